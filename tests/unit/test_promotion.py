"""bedrock_ops.serving.promotion: the record, the plan (promote / rollback / no-op / update / replace), apply,
the status map, and the knowledge base facts it reads."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bedrock_ops.models._files import source_problems
from bedrock_ops.models.knowledge import load_models
from bedrock_ops.serving import promotion
from tests.gates.fake_bedrock import ACCOUNT, REGION, FakeBedrock

RULES = promotion.load_rules()
NOVA = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k"
MODEL_A, MODEL_B = f"{NOVA}/aaaaaaaaaaaa", f"{NOVA}/bbbbbbbbbbbb"
TITAN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.titan-text-express-v1:0:8k/cccccccccccc"
DEPLOYMENT_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model-deployment/000000000001"
THROUGHPUT_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/pt0000000001"
CONFIG = promotion.EndpointConfig(name="chat")


def deployment(**fields: Any) -> promotion.Record:
    return promotion.Record(endpoint_kind="deployment", endpoint=CONFIG, **fields)


def throughput(commitment: str = "NoCommitment", **fields: Any) -> promotion.Record:
    config = promotion.EndpointConfig(name="chat", model_units=2, commitment=commitment)
    return promotion.Record(endpoint_kind="provisioned-throughput", endpoint=config, **fields)


def test_the_knowledge_base_cites_the_promotion_facts() -> None:
    document = dict(load_models().document)
    assert document["promotion"]["throughput_model_swap"] == "same-base-custom-model"
    assert "deployment_model_swap_same_base_only" in document["promotion"]["unconfirmed"]
    assert not [p for p in source_problems(document) if p.startswith("promotion")]


def test_a_promotion_group_without_a_source_is_reported() -> None:
    document = dict(load_models().document)
    document["promotion"] = {**document["promotion"], "source": []}
    assert "promotion: no source" in source_problems(document)


def test_the_record_round_trips_with_the_field_names_the_evaluation_gate_reads() -> None:
    record = deployment(endpoint_arn=DEPLOYMENT_ARN, current_model_arn=MODEL_A, current_scores={"accuracy": 0.9})
    raw = record.to_json()
    assert {"version", "endpointKind", "endpointArn", "currentModelArn", "previousModelArn"} <= set(raw)
    assert {"currentScores", "previousScores", "updatedAt"} <= set(raw)
    assert raw["currentScores"] == {"accuracy": 0.9}
    assert promotion.Record.loads(record.dumps(), "x") == record


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "the record is not JSON"),
        ('{"version": 2}', "record version must be 1, got 2"),
        ('{"version": 1, "endpointKind": "lambda"}', "endpointKind must be one of deployment, provisioned-throughput"),
        ('{"version": 1, "endpointKind": null, "currentScores": {"a": "high"}}', "currentScores must be an object"),
    ],
)
def test_a_bad_record_names_the_parameter_and_the_bad_value(text: str, message: str) -> None:
    with pytest.raises(promotion.PromotionError, match=message) as error:
        promotion.Record.loads(text, "parameter /p")
    assert str(error.value).startswith("parameter /p:")


def test_the_first_promotion_creates_a_deployment_with_an_idempotency_token() -> None:
    plan = promotion.plan(deployment(), MODEL_A, rules=RULES, parameter_name="/p", updated_at="t")
    (call,) = plan.calls
    assert plan.mode == "create"
    assert call.operation == "CreateCustomModelDeployment" and call.method == "create_custom_model_deployment"
    assert call.params["modelArn"] == MODEL_A and call.params["modelDeploymentName"] == "chat"
    assert call.params["tags"] == [{"key": "bedrock-ops:stable-endpoint", "value": "/p"}]
    again = promotion.plan(deployment(), MODEL_A, rules=RULES, parameter_name="/p", updated_at="later")
    assert again.calls[0].params["clientRequestToken"] == call.params["clientRequestToken"]


def test_promoting_the_current_model_is_a_no_op_and_says_so() -> None:
    record = deployment(endpoint_arn=DEPLOYMENT_ARN, current_model_arn=MODEL_A)
    plan = promotion.plan(record, MODEL_A, rules=RULES)
    assert plan.mode == "noop" and not plan.changed and plan.calls == ()
    assert "already the current model" in plan.describe()
    assert promotion.apply(plan, bedrock=object(), rules=RULES) is record


def test_a_deployment_swaps_its_model_in_place_and_keeps_the_previous_one() -> None:
    record = deployment(endpoint_arn=DEPLOYMENT_ARN, current_model_arn=MODEL_A, current_scores={"a": 1.0})
    plan = promotion.plan(record, MODEL_B, rules=RULES, scores={"a": 2.0})
    (call,) = plan.calls
    assert call.operation == "UpdateCustomModelDeployment"
    assert call.params == {"customModelDeploymentIdentifier": DEPLOYMENT_ARN, "modelArn": MODEL_B}
    assert plan.after.endpoint_arn == DEPLOYMENT_ARN
    assert (plan.after.current_model_arn, plan.after.previous_model_arn) == (MODEL_B, MODEL_A)
    assert (plan.after.current_scores, plan.after.previous_scores) == ({"a": 2.0}, {"a": 1.0})


def test_rollback_promotes_the_previous_model_and_swaps_the_scores() -> None:
    record = deployment(
        endpoint_arn=DEPLOYMENT_ARN,
        current_model_arn=MODEL_B,
        previous_model_arn=MODEL_A,
        current_scores={"a": 2.0},
        previous_scores={"a": 1.0},
    )
    plan = promotion.plan(record, action="rollback", rules=RULES)
    assert plan.calls[0].params["modelArn"] == MODEL_A
    assert (plan.after.current_model_arn, plan.after.previous_model_arn) == (MODEL_A, MODEL_B)
    assert (plan.after.current_scores, plan.after.previous_scores) == ({"a": 1.0}, {"a": 2.0})


def test_rollback_without_a_previous_model_fails_with_a_clear_message() -> None:
    record = deployment(endpoint_arn=DEPLOYMENT_ARN, current_model_arn=MODEL_A)
    with pytest.raises(promotion.PromotionError, match="nothing to roll back to: the record has no previousModelArn"):
        promotion.plan(record, action="rollback", rules=RULES, parameter_name="/p")


def test_a_record_the_stack_has_not_configured_cannot_be_promoted_into() -> None:
    with pytest.raises(promotion.PromotionError, match="not configured yet"):
        promotion.plan(promotion.initial_record(), MODEL_A, rules=RULES)


def test_a_model_arn_that_is_not_a_custom_model_is_refused() -> None:
    with pytest.raises(promotion.PromotionError, match="must be a custom model ARN"):
        promotion.plan(deployment(), "amazon.nova-micro-v1:0", rules=RULES)


def test_a_throughput_moves_in_place_to_a_custom_model_of_the_same_base_model() -> None:
    record = throughput(endpoint_arn=THROUGHPUT_ARN, current_model_arn=MODEL_A)
    plan = promotion.plan(record, MODEL_B, rules=RULES)
    (call,) = plan.calls
    assert call.operation == "UpdateProvisionedModelThroughput"
    assert call.params == {"provisionedModelId": THROUGHPUT_ARN, "desiredModelId": MODEL_B}


def test_a_throughput_of_another_base_model_is_replaced_and_the_old_one_deleted_once_the_new_one_is_active() -> None:
    record = throughput(endpoint_arn=THROUGHPUT_ARN, current_model_arn=MODEL_A)
    plan = promotion.plan(record, TITAN, rules=RULES)
    (call,) = plan.calls
    assert plan.mode == "replace" and call.operation == "CreateProvisionedModelThroughput"
    assert call.params["modelUnits"] == 2 and "commitmentDuration" not in call.params
    assert call.params["provisionedModelName"].startswith("chat-")
    assert plan.after.pending_deletion == (THROUGHPUT_ARN,)
    assert "base models differ" in plan.describe()


def test_a_replaced_committed_throughput_is_kept() -> None:
    record = throughput("OneMonth", endpoint_arn=THROUGHPUT_ARN, current_model_arn=MODEL_A)
    plan = promotion.plan(record, TITAN, rules=RULES)
    assert plan.calls[0].params["commitmentDuration"] == "OneMonth"
    assert plan.after.pending_deletion == () and plan.after.retained == (THROUGHPUT_ARN,)
    assert "cannot be deleted before its term ends" in plan.describe()


def test_the_base_model_comes_from_get_custom_model_when_a_client_is_given() -> None:
    fake = FakeBedrock()
    imported = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/imported/dddddddddddd"
    fake.custom_models.update({MODEL_A: "arn:aws:bedrock:::foundation-model/x", imported: "arn:::foundation-model/x"})
    record = throughput(endpoint_arn=THROUGHPUT_ARN, current_model_arn=MODEL_A)
    by_arn = promotion.plan(record, imported, rules=RULES)
    by_lookup = promotion.plan(record, imported, rules=RULES, base_model_of=promotion.base_model_lookup(fake))
    assert by_arn.mode == "replace" and by_lookup.mode == "update"


def test_apply_replaces_a_throughput_and_retire_deletes_the_old_one_when_the_new_one_is_active() -> None:
    fake = FakeBedrock(polls_until_in_service=0)
    fake.custom_models.update({MODEL_A: "base-a", TITAN: "base-t"})
    old = fake.create_provisioned_model_throughput(modelUnits=2, provisionedModelName="chat", modelId=MODEL_A)
    record = throughput(endpoint_arn=old["provisionedModelArn"], current_model_arn=MODEL_A)
    after = promotion.apply(promotion.plan(record, TITAN, rules=RULES), bedrock=fake, rules=RULES)
    assert after.endpoint_arn != old["provisionedModelArn"]
    assert len(fake.live()) == 2
    assert promotion.status(fake, after, RULES).status == "Active"
    retired, deleted = promotion.retire(fake, after, RULES)
    assert deleted == [old["provisionedModelArn"]] and retired.pending_deletion == ()
    assert [t.arn for t in fake.live()] == [after.endpoint_arn]


def test_apply_refuses_while_the_endpoint_is_still_creating() -> None:
    fake = FakeBedrock(polls_until_in_service=5)
    fake.custom_models.update({MODEL_A: "b", MODEL_B: "b"})
    arn = fake.create_custom_model_deployment(modelDeploymentName="chat", modelArn=MODEL_A)["customModelDeploymentArn"]
    record = deployment(endpoint_arn=arn, current_model_arn=MODEL_A)
    with pytest.raises(promotion.PromotionError, match="is Creating; promote once it is Active"):
        promotion.apply(promotion.plan(record, MODEL_B, rules=RULES), bedrock=fake, rules=RULES)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"status": "Creating"}, "Creating"),
        ({"status": "Active"}, "Active"),
        ({"status": "Active", "updateDetails": {"updateStatus": "Updating"}}, "Updating"),
        ({"status": "Active", "updateDetails": {"updateStatus": "UpdateFailed"}}, "Failed"),
        ({"status": "Failed", "failureMessage": "no capacity"}, "Failed"),
    ],
)
def test_the_deployment_status_maps_to_the_wait_loops_statuses(answer: dict[str, Any], expected: str) -> None:
    class Bedrock:
        def get_custom_model_deployment(self, **_: Any) -> dict[str, Any]:
            return {"modelArn": MODEL_A, **answer}

    record = deployment(endpoint_arn=DEPLOYMENT_ARN, current_model_arn=MODEL_A)
    assert promotion.status(Bedrock(), record, RULES).status == expected


def test_an_endpoint_that_is_gone_is_failed_with_a_message() -> None:
    record = deployment(endpoint_arn=DEPLOYMENT_ARN, current_model_arn=MODEL_A)
    state = promotion.status(FakeBedrock(), record, RULES)
    assert state.status == "Failed" and "does not exist" in str(state.failure_message)


def test_the_rules_come_from_a_models_file_when_one_is_given(tmp_path: Any) -> None:
    group = {**dict(load_models().document)["promotion"], "deployment_model_swap": False}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"promotion": group}))
    rules = promotion.load_rules(path)
    record = deployment(endpoint_arn=DEPLOYMENT_ARN, current_model_arn=MODEL_A)
    with pytest.raises(promotion.PromotionError, match="cannot swap its model"):
        promotion.plan(record, MODEL_B, rules=rules)
