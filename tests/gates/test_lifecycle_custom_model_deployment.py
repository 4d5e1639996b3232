"""Custom::BedrockCustomModelDeployment through CloudFormation's whole lifecycle, against a stateful Bedrock.

A deployment is what applications invoke (its ARN is their modelId): a model swap must keep the ARN, and no
retried, replayed or rolled-back request may leave a second deployment behind that the stack does not track.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gates.fake_bedrock import ACCOUNT, REGION, FakeBedrock
from tests.gates.lifecycle import CREATE_FAILED, Lifecycle, Resource
from tests.gates.seams import install
from tests.support import load_handler

handler = load_handler("custom_model_deployment")
BASE_ARN = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-micro-v1:0:128k"
MODEL_A = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k/aaaaaaaaaaaa"
MODEL_B = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k/bbbbbbbbbbbb"
PROPS = {"ModelArn": MODEL_A, "DeploymentName": "chat", "Description": "support chat", "Tags": []}


@pytest.fixture
def bedrock() -> Iterator[FakeBedrock]:
    fake = FakeBedrock()
    fake.custom_models.update({MODEL_A: BASE_ARN, MODEL_B: BASE_ARN})
    with install(handler, bedrock=fake):
        yield fake


@pytest.fixture
def cfn() -> Lifecycle:
    return Lifecycle(handler, resource_type="Custom::BedrockCustomModelDeployment")


def test_create_deploys_once_and_waits_until_active(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    outcome = cfn.create(PROPS)
    assert outcome.ok, outcome.reason
    assert [d.arn for d in bedrock.live_deployments()] == [outcome.physical_id]
    assert outcome.data["Status"] == "Active" and outcome.data["ModelArn"] == MODEL_A
    assert outcome.polls == bedrock.polls_until_in_service + 1


def test_a_create_delivered_twice_deploys_once(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    event = cfn.event("Create", PROPS, request_id="same-request")
    first, second = cfn.send(event), cfn.send(dict(event))
    assert first.ok and second.ok
    assert first.physical_id == second.physical_id
    assert len(bedrock.deployments) == 1


def test_a_new_model_is_swapped_in_place_behind_the_same_arn(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    updated, outcome = cfn.stack_update(resource, {**PROPS, "ModelArn": MODEL_B})
    assert updated.physical_id == resource.physical_id
    assert outcome.data["ModelArn"] == MODEL_B
    (live,) = bedrock.live_deployments()
    assert live.model_arn == MODEL_B
    assert len(bedrock.deployments) == 1


def test_update_rollback_of_a_model_swap_swaps_the_old_model_back(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    forward, rollback = cfn.failed_stack_update(resource, {**PROPS, "ModelArn": MODEL_B})
    assert forward.physical_id == rollback.physical_id == resource.physical_id
    assert rollback.ok, rollback.reason
    (live,) = bedrock.live_deployments()
    assert live.model_arn == MODEL_A


def test_a_new_description_replaces_it_under_another_name_and_the_cleanup_deletes_the_old_one(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    resource = cfn.deploy(PROPS)
    outcome = cfn.update(resource, {**PROPS, "Description": "support chat v2"})
    assert outcome.ok, outcome.reason
    assert outcome.physical_id != resource.physical_id
    names = [d.name for d in bedrock.live_deployments()]
    assert len(set(names)) == 2 and all(n.startswith("chat") and len(n) <= 63 for n in names)
    assert cfn.delete(resource).ok
    assert [d.arn for d in bedrock.live_deployments()] == [outcome.physical_id]


def test_update_rollback_after_a_replacement_returns_to_the_original(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    forward, rollback = cfn.failed_stack_update(resource, {**PROPS, "DeploymentName": "chat-v2"})
    assert forward.physical_id != resource.physical_id
    assert rollback.ok and rollback.physical_id == resource.physical_id
    assert [d.arn for d in bedrock.live_deployments()] == [resource.physical_id]


def test_tags_change_in_place(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy({**PROPS, "Tags": [{"Key": "team", "Value": "a"}, {"Key": "old", "Value": "x"}]})
    updated, _ = cfn.stack_update(resource, {**PROPS, "Tags": [{"Key": "team", "Value": "b"}]})
    assert updated.physical_id == resource.physical_id
    (live,) = bedrock.live_deployments()
    assert live.tags == {"team": "b"}


def test_a_deployment_that_fails_is_deleted_by_the_rollback(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    bedrock.failing_models.add(MODEL_A)
    outcome = cfn.create(PROPS)
    assert not outcome.ok and "cannot be deployed" in outcome.reason
    assert outcome.physical_id.startswith("arn:aws:bedrock:")
    assert cfn.delete(Resource(dict(PROPS), outcome.physical_id)).ok
    assert bedrock.live_deployments() == []


def test_a_create_that_fails_before_deploying_leaves_nothing_and_its_delete_is_ignored(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    outcome = cfn.create({**PROPS, "ModelArn": "amazon.nova-micro-v1:0"})
    assert not outcome.ok and "ModelArn" in outcome.reason
    assert outcome.physical_id == CREATE_FAILED
    assert cfn.delete(Resource(dict(PROPS), CREATE_FAILED)).ok
    assert bedrock.deployments == {}


def test_deleting_a_deployment_twice_succeeds(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    assert cfn.delete(resource).ok
    assert cfn.delete(resource).ok
    assert bedrock.live_deployments() == []
