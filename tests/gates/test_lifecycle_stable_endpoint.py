"""Custom::BedrockStableEndpoint through CloudFormation's whole lifecycle, against a stateful Bedrock and moto's SSM.

The resource configures the endpoint's record and, on stack delete, deletes what promotions bought: the
deployment or the no-commitment throughput, never a committed throughput, and the recorded custom models only
with CustomModelRemovalPolicy destroy. Promotions (Step Functions tasks of the same handler) put state into the
record between the stack operations.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bedrock_ops.serving import promotion
from tests.gates.fake_bedrock import ACCOUNT, REGION, FakeBedrock
from tests.gates.lifecycle import CREATE_FAILED, Lifecycle, Resource
from tests.gates.seams import install
from tests.support import load_handler

handler = load_handler("serving_promoter")
PARAMETER = "/bedrock-ops/stable-endpoints/app-Chat"
BASE_ARN = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-micro-v1:0:128k"
MODEL_A = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k/aaaaaaaaaaaa"
MODEL_B = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k/bbbbbbbbbbbb"
PROPS: dict[str, Any] = {
    "ParameterName": PARAMETER,
    "EndpointKind": "deployment",
    "EndpointName": "chat",
    "ModelUnits": 1,
    "Commitment": "NoCommitment",
    "BaseModelId": "amazon.nova-micro-v1:0",
    "CustomModelRemovalPolicy": "retain",
    "TagKey": "bedrock-ops:stable-endpoint",
}
THROUGHPUT = {**PROPS, "EndpointKind": "provisioned-throughput", "BaseModelId": "amazon.titan-text-express-v1"}


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBedrock]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("PARAMETER_NAME", PARAMETER)
    fake = FakeBedrock(polls_until_in_service=0)
    fake.custom_models.update({MODEL_A: BASE_ARN, MODEL_B: BASE_ARN})
    with mock_aws():
        ssm = boto3.client("ssm", region_name=REGION)
        ssm.put_parameter(Name=PARAMETER, Value=promotion.initial_record().dumps(), Type="String")
        with install(handler, bedrock=fake, ssm=ssm):
            yield fake


@pytest.fixture
def cfn() -> Lifecycle:
    return Lifecycle(handler, resource_type="Custom::BedrockStableEndpoint")


def record() -> dict[str, Any]:
    value = boto3.client("ssm", region_name=REGION).get_parameter(Name=PARAMETER)["Parameter"]["Value"]
    return dict(json.loads(value))


def promote(model_arn: str) -> dict[str, Any]:
    return dict(handler.on_event({"action": "promote", "modelArn": model_arn, "scores": {"accuracy": 0.9}}))


def test_create_writes_the_endpoint_configuration_into_the_record(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    outcome = cfn.create(PROPS)
    assert outcome.ok, outcome.reason
    assert outcome.physical_id == PARAMETER
    saved = record()
    assert saved["endpointKind"] == "deployment" and saved["endpointArn"] is None
    assert saved["endpoint"]["name"] == "chat" and saved["endpoint"]["modelUnits"] == 1
    assert bedrock.deployments == {}


def test_a_create_delivered_twice_configures_once_and_buys_nothing(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    event = cfn.event("Create", PROPS, request_id="same-request")
    first, second = cfn.send(event), cfn.send(dict(event))
    assert first.ok and second.ok and first.physical_id == second.physical_id
    assert bedrock.deployments == {} and bedrock.throughputs == {}


def test_an_update_keeps_the_promoted_endpoint_and_models(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    promoted = promote(MODEL_A)
    updated, _ = cfn.stack_update(resource, {**PROPS, "EndpointName": "chat-v2"})
    assert updated.physical_id == resource.physical_id
    saved = record()
    assert saved["endpointArn"] == promoted["endpointArn"] and saved["currentModelArn"] == MODEL_A
    assert saved["endpoint"]["name"] == "chat-v2"
    assert len(bedrock.live_deployments()) == 1


def test_update_rollback_restores_the_configuration(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    forward, rollback = cfn.failed_stack_update(resource, {**PROPS, "EndpointName": "chat-v2"})
    assert forward.ok and rollback.ok and rollback.physical_id == resource.physical_id
    assert record()["endpoint"]["name"] == "chat"


def test_changing_the_kind_of_an_endpoint_in_use_fails_and_names_the_way_out(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    resource = cfn.deploy(PROPS)
    promote(MODEL_A)
    outcome = cfn.update(resource, {**PROPS, "EndpointKind": "provisioned-throughput"})
    assert not outcome.ok
    assert "EndpointKind cannot change from deployment to provisioned-throughput" in outcome.reason
    assert "new StableEndpoint" in outcome.reason
    assert record()["endpointKind"] == "deployment"


def test_a_create_with_a_bad_property_fails_and_its_delete_is_ignored(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    outcome = cfn.create({**PROPS, "ModelUnits": "many"})
    assert not outcome.ok and "ModelUnits must be an integer >= 1, got 'many'" in outcome.reason
    assert outcome.physical_id == CREATE_FAILED
    assert cfn.delete(Resource(dict(PROPS), CREATE_FAILED)).ok
    assert bedrock.calls == []


def test_delete_removes_the_deployment_and_keeps_the_models_by_default(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    promote(MODEL_A)
    promote(MODEL_B)
    assert cfn.delete(resource).ok
    assert bedrock.live_deployments() == []
    assert bedrock.deleted_models == []
    assert record()["endpointArn"] is None


def test_delete_with_destroy_removes_the_current_and_previous_models(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    props = {**PROPS, "CustomModelRemovalPolicy": "destroy"}
    resource = cfn.deploy(props)
    promote(MODEL_A)
    promote(MODEL_B)
    assert cfn.delete(resource).ok
    assert bedrock.live_deployments() == []
    assert sorted(bedrock.deleted_models) == sorted([MODEL_A, MODEL_B])


def test_deleting_twice_succeeds_and_deletes_nothing_more(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy({**PROPS, "CustomModelRemovalPolicy": "destroy"})
    promote(MODEL_A)
    assert cfn.delete(resource).ok
    calls = len(bedrock.calls)
    assert cfn.delete(resource).ok
    assert [name for name, _ in bedrock.calls[calls:] if name.startswith("delete")] == []
    assert bedrock.deleted_models == [MODEL_A]


def test_delete_when_the_record_is_empty_calls_nothing(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    assert cfn.delete(resource).ok
    assert bedrock.calls == []


def test_delete_when_the_parameter_is_gone_succeeds(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    boto3.client("ssm", region_name=REGION).delete_parameter(Name=PARAMETER)
    assert cfn.delete(resource).ok


def test_delete_removes_a_no_commitment_throughput(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(THROUGHPUT)
    promote(MODEL_A)
    assert len(bedrock.live()) == 1
    assert cfn.delete(resource).ok
    assert bedrock.live() == []


def test_delete_keeps_a_committed_throughput_and_the_model_it_serves(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    props = {**THROUGHPUT, "Commitment": "OneMonth", "CustomModelRemovalPolicy": "destroy"}
    resource = cfn.deploy(props)
    promote(MODEL_A)
    (bought,) = bedrock.live()
    assert bought.commitment == "OneMonth"
    assert cfn.delete(resource).ok
    assert [t.arn for t in bedrock.live()] == [bought.arn]
    assert MODEL_A not in bedrock.deleted_models
    assert record()["retained"] == [bought.arn]
    assert [op for op, _ in bedrock.calls].count("delete_provisioned_model_throughput") == 0


def test_a_promotion_retried_after_its_record_write_failed_buys_one_deployment(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    cfn.deploy(PROPS)
    ssm = handler.clients.get("ssm")

    class FailingWrites:
        def __init__(self) -> None:
            self.failures = 1

        def __getattr__(self, name: str) -> Any:
            return getattr(ssm, name)

        def put_parameter(self, **params: Any) -> Any:
            if self.failures:
                self.failures -= 1
                raise RuntimeError("the Lambda timed out after the create call")
            return ssm.put_parameter(**params)

    handler.clients.override("ssm", FailingWrites())
    with pytest.raises(RuntimeError):
        promote(MODEL_A)
    answer = promote(MODEL_A)
    assert len(bedrock.deployments) == 1
    assert answer["endpointArn"] == next(iter(bedrock.deployments))


def test_a_replaced_throughput_is_deleted_by_the_status_check_once_its_successor_is_active(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    other = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.nova-lite-v1:0:300k/cccccccccccc"
    bedrock.custom_models[other] = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-lite-v1:0:300k"
    cfn.deploy(THROUGHPUT)
    first = promote(MODEL_A)["endpointArn"]
    second = promote(other)
    assert second["changed"] and second["endpointArn"] != first
    assert {t.arn for t in bedrock.live()} == {first, second["endpointArn"]}
    status = handler.on_event({"action": "status"})
    assert status["status"] == "Active" and status["endpointArn"] == second["endpointArn"]
    assert [t.arn for t in bedrock.live()] == [second["endpointArn"]]
    assert record()["pendingDeletion"] == []


def test_rollback_through_the_handler_swaps_current_and_previous(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    cfn.deploy(PROPS)
    promote(MODEL_A)
    promote(MODEL_B)
    answer = handler.on_event({"action": "rollback"})
    assert (answer["currentModelArn"], answer["previousModelArn"]) == (MODEL_A, MODEL_B)
    (live,) = bedrock.live_deployments()
    assert live.update_to == MODEL_A  # UpdateCustomModelDeployment back to the previous model, same ARN


def test_an_unknown_task_action_names_the_allowed_ones(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    allowed = "'promote', 'rollback', 'status', 'record' or 'release'"
    with pytest.raises(ValueError, match=f"action must be {allowed}, got 'deploy'"):
        handler.on_event({"action": "deploy"})


def test_release_deletes_the_throughput_keeps_the_models_and_the_next_promotion_buys_a_new_one(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    resource = cfn.deploy(THROUGHPUT)
    first = promote(MODEL_A)["endpointArn"]
    answer = handler.on_event({"action": "release"})
    assert answer == {"released": [first], "kept": []} and bedrock.live() == []
    saved = record()
    assert saved["endpointArn"] is None and saved["currentModelArn"] == MODEL_A
    assert handler.on_event({"action": "release"}) == {"released": [], "kept": []}  # nothing left: nothing deleted
    again = promote(MODEL_A)  # the same model evaluated again: a new purchase, under a new name
    (live,) = bedrock.live()
    assert live.arn == again["endpointArn"] != first and live.name.startswith("chat-")
    assert MODEL_A not in bedrock.deleted_models
    assert cfn.delete(resource).ok and bedrock.live() == []


def test_release_keeps_a_committed_throughput(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    cfn.deploy({**THROUGHPUT, "Commitment": "OneMonth"})
    bought = promote(MODEL_A)["endpointArn"]
    answer = handler.on_event({"action": "release"})
    assert answer == {"released": [], "kept": [bought]}
    assert [t.arn for t in bedrock.live()] == [bought] and record()["retained"] == [bought]


def test_the_record_action_reads_the_scores_without_calling_bedrock(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    cfn.deploy(PROPS)
    promote(MODEL_A)
    calls = len(bedrock.calls)
    answer = handler.on_event({"action": "record"})
    assert answer["currentModelArn"] == MODEL_A and answer["currentScores"] == {"accuracy": 0.9}
    assert answer["previousModelArn"] is None and len(bedrock.calls) == calls


def test_an_owned_endpoint_is_neither_moved_nor_released_for_another_execution(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    cfn.deploy(THROUGHPUT)
    first, second = "arn:aws:states:us-east-1:123456789012:execution:m:first", "arn:aws:states:...:second"
    bought = handler.on_event({"action": "promote", "modelArn": MODEL_A, "owner": first})["endpointArn"]
    assert record()["owner"] == first
    with pytest.raises(handler.CandidateBusy, match=f"serving {MODEL_A} for execution {first}"):
        handler.on_event({"action": "promote", "modelArn": MODEL_B, "owner": second})
    assert handler.on_event({"action": "release", "owner": second})["skipped"].endswith(f"{first}, not {second}")
    assert [t.arn for t in bedrock.live()] == [bought] and bedrock.live()[0].model_arn() == MODEL_A
    # A retry of the first execution's own promotion changes nothing; its release deletes the throughput.
    assert handler.on_event({"action": "promote", "modelArn": MODEL_A, "owner": first})["changed"] is False
    assert handler.on_event({"action": "release", "owner": first})["released"] == [bought]
    assert record()["owner"] is None and bedrock.live() == []


def test_an_owner_that_is_not_an_execution_arn_is_refused(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    cfn.deploy(THROUGHPUT)
    with pytest.raises(ValueError, match="owner must be an execution ARN, got 42"):
        handler.on_event({"action": "release", "owner": 42})
