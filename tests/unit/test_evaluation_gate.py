"""EvaluationGate: synth-time checks against the knowledge base, the shared request builder, least-privilege IAM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from bedrock_ops import (
    BuiltinDataset,
    EvaluationDataset,
    EvaluationGate,
    ModelEvaluation,
    TrainingDataBucket,
)
from bedrock_ops.evaluation.gate import _MAX_TIMEOUT
from tests.support import ACCOUNT, REGION

GIGAWORD = EvaluationDataset(builtin=BuiltinDataset.GIGAWORD)


def _stack() -> tuple[Stack, TrainingDataBucket]:
    stack = Stack(App(), "Gate", env=Environment(account=ACCOUNT, region=REGION))
    return stack, TrainingDataBucket(stack, "Data")


def _gate(**props: Any) -> tuple[Stack, EvaluationGate]:
    stack, data = _stack()
    settings: dict[str, Any] = {
        "datasets": [GIGAWORD],
        "thresholds": {"Builtin.Accuracy": 0.6},
        "output_bucket": data.bucket,
        **props,
    }
    return stack, EvaluationGate(stack, "Gate", **settings)


def _machine(stack: Stack, gate: EvaluationGate, **kwargs: Any) -> dict[str, Any]:
    chain = gate.gate_chain(
        stack,
        "Evaluate",
        model_arn_path="$.model.arn",
        current_scores_path=kwargs.pop("current_scores_path", "$.endpoint.currentScores"),
        on_pass=sfn.Pass(stack, "Promote"),
        on_fail=sfn.Pass(stack, "Reject"),
    )
    sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(chain))
    template = Template.from_stack(stack).to_json()
    (machine,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else json.dumps("TOKEN")[1:-1] for p in parts)
    return json.loads(text)  # type: ignore[no-any-return]


def _policy_statements(stack: Stack, role_fragment: str) -> list[dict[str, Any]]:
    template = Template.from_stack(stack).to_json()
    statements: list[dict[str, Any]] = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        roles = json.dumps(resource["Properties"].get("Roles", []))
        if role_fragment in roles:
            statements.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    return statements


def test_an_unknown_threshold_metric_fails_with_did_you_mean() -> None:
    with pytest.raises(ValueError, match=r"'Builtin.Acuracy' is not a metric this evaluation computes; did you mean"):
        _gate(thresholds={"Builtin.Acuracy": 0.6})


def test_a_threshold_on_a_metric_the_job_does_not_compute_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match=r"allowed: Builtin.Accuracy, Builtin.Robustness, Builtin.Toxicity"):
        _gate(thresholds={"Builtin.Correctness": 0.6})


def test_a_threshold_on_a_metric_of_undocumented_direction_fails_until_a_models_file_sets_it(tmp_path: Path) -> None:
    judged = EvaluationDataset(s3_uri="s3://prompts/qa.jsonl", metric_names=["Builtin.Harmfulness"])
    props = {
        "datasets": [judged],
        "evaluator_model": "amazon.nova-pro-v1:0",
        "thresholds": {"Builtin.Harmfulness": 0.1},
    }
    with pytest.raises(ValueError, match=r"Builtin.Harmfulness scores are better is not documented"):
        _gate(**props)
    models_file = tmp_path / "models.json"
    models_file.write_text(json.dumps({"evaluation_results": {"metric_directions": {"Builtin.Harmfulness": "lower"}}}))
    _, gate = _gate(**props, models_file=models_file)
    assert gate.directions == {"Builtin.Harmfulness": "lower"}


def test_directions_come_from_the_knowledge_base() -> None:
    _, gate = _gate(thresholds={"Builtin.Accuracy": 0.6, "Builtin.Robustness": 0.2, "Builtin.Toxicity": 0.1})
    assert gate.directions == {"Builtin.Accuracy": "higher", "Builtin.Robustness": "lower", "Builtin.Toxicity": "lower"}


def test_the_judge_is_checked_against_the_knowledge_base() -> None:
    judged = EvaluationDataset(s3_uri="s3://prompts/qa.jsonl", metric_names=["Builtin.Correctness"])
    with pytest.raises(ValueError, match=r"is not an evaluator model"):
        _gate(datasets=[judged], evaluator_model="amazon.titan-text-express-v1", thresholds={"Builtin.Correctness": 1})


def test_thresholds_must_name_a_metric_and_be_numbers() -> None:
    with pytest.raises(ValueError, match=r"thresholds must name at least one metric"):
        _gate(thresholds={})
    with pytest.raises(ValueError, match=r"thresholds: Builtin.Accuracy must be a number, got 'high'"):
        _gate(thresholds={"Builtin.Accuracy": "high"})


def test_the_timeout_is_bounded_by_the_poll_interval_and_a_standard_workflows_year() -> None:
    with pytest.raises(ValueError, match=r"timeout must be poll_interval \(300 s\) to 31536000 s"):
        _gate(timeout=Duration.minutes(1))
    with pytest.raises(ValueError, match=r"no maximum job duration is documented"):
        _gate(timeout=Duration.days(400))
    _, gate = _gate(timeout=_MAX_TIMEOUT, poll_interval=Duration.days(1))
    assert gate.max_polls == 365


def test_the_timeout_is_bounded_by_a_max_job_duration_a_models_file_gives(tmp_path: Path) -> None:
    models_file = tmp_path / "models.json"
    models_file.write_text(json.dumps({"evaluation_results": {"max_job_duration_hours": 12}}))
    with pytest.raises(ValueError, match=r"the knowledge base's max_job_duration_hours \(12\)"):
        _gate(timeout=Duration.hours(13), models_file=models_file)


def test_paths_must_be_dotted_json_paths_and_must_beat_current_needs_one() -> None:
    stack, gate = _gate(must_beat_current=True)
    with pytest.raises(ValueError, match=r"model_arn_path must be a JSON path of names, e.g. '\$.model.arn', got"):
        gate.gate_chain(stack, "A", model_arn_path="model", current_scores_path=None, on_pass=sfn.Pass(stack, "P"),
                        on_fail=sfn.Pass(stack, "F"))  # fmt: skip
    with pytest.raises(ValueError, match=r"must_beat_current needs current_scores_path"):
        gate.gate_chain(stack, "B", model_arn_path="$.m", current_scores_path=None, on_pass=sfn.Pass(stack, "P2"),
                        on_fail=sfn.Pass(stack, "F2"))  # fmt: skip


def test_the_request_is_the_one_model_evaluation_builds_with_the_model_from_the_input() -> None:
    stack, data = _stack()
    evaluation = ModelEvaluation(stack, "Eval", data_bucket=data, models=["amazon.nova-lite-v1:0"], datasets=[GIGAWORD])
    gate = EvaluationGate(stack, "Gate", datasets=[GIGAWORD], thresholds={"Builtin.Accuracy": 0.6},
                          output_bucket=data.bucket)  # fmt: skip
    definition = _machine(stack, gate)

    request = definition["States"]["EvaluateStart"]["Parameters"]["request"]
    assert request["evaluationConfig"] == evaluation.request["evaluationConfig"]
    assert request["inferenceConfig"] == {"models": [{"bedrockModel": {"modelIdentifier.$": "$.model.arn"}}]}
    assert request["applicationType"] == evaluation.request["applicationType"]
    start = definition["States"]["EvaluateStart"]["Parameters"]
    assert start["executionId.$"] == "$$.Execution.Id"  # the client token's basis: stable across retries
    assert "provisioned-model" in start["evaluableResources"]
    assert "custom-model" not in start["evaluableResources"]


def test_the_states_poll_in_a_bounded_loop_and_end_in_on_pass_or_on_fail() -> None:
    stack, gate = _gate(timeout=Duration.hours(2), poll_interval=Duration.minutes(10))
    states = _machine(stack, gate)["States"]
    assert states["EvaluateWait"] == {"Type": "Wait", "Seconds": 600, "Next": "EvaluateCheck"}
    assert states["EvaluateStart"]["Parameters"]["maxPolls"] == 12
    assert states["EvaluatePassed"]["Choices"][0]["Next"] == "Promote"
    assert states["EvaluatePassed"]["Default"] == "Reject"
    assert states["EvaluateNotPassed"]["Next"] == "Reject"
    assert states["EvaluateScore"]["Parameters"]["directions"] == {"Builtin.Accuracy": "higher"}


def test_the_function_reads_only_the_results_prefix_and_decrypts_with_the_given_key() -> None:
    stack, data = _stack()
    key = kms.Key(stack, "ResultsKey", enable_key_rotation=True)
    EvaluationGate(stack, "Gate", datasets=[GIGAWORD], thresholds={"Builtin.Accuracy": 0.6},
                   output_bucket=data.bucket, output_prefix="gates/chat", encryption_key=key)  # fmt: skip
    statements = _policy_statements(stack, "GateFunctionRole")
    s3_actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
                  if a.startswith("s3:")}  # fmt: skip
    assert s3_actions == {"s3:GetObject", "s3:ListBucket"}
    (read,) = [s for s in statements if s.get("Sid") == "ReadTheResults"]
    assert json.dumps(read["Resource"]).endswith('/gates/chat/*"]]}')
    (listing,) = [s for s in statements if s.get("Sid") == "ListTheResults"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["gates/chat/*"]}}
    kms_statements = [s for s in statements if "kms:Decrypt" in json.dumps(s["Action"])]
    assert any("ResultsKey" in json.dumps(s["Resource"]) and s["Action"] == "kms:Decrypt" for s in kms_statements)


def test_the_service_role_is_trusted_only_for_this_accounts_evaluation_jobs() -> None:
    stack, _ = _gate()
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Principal": {"Service": "bedrock.amazonaws.com"},
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": ACCOUNT},
                            "ArnEquals": {
                                "aws:SourceArn": {
                                    "Fn::Join": [
                                        "",
                                        [
                                            "arn:",
                                            {"Ref": "AWS::Partition"},
                                            f":bedrock:{REGION}:{ACCOUNT}:evaluation-job/*",
                                        ],
                                    ]
                                }
                            },
                        },
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                    }
                ]
            }
        },
    )


def test_create_evaluation_job_is_granted_on_custom_models_not_provisioned_model_arns() -> None:
    stack = Stack(App(), "Agnostic", env=Environment(region=REGION))  # account-agnostic: ARNs carry tokens
    data = TrainingDataBucket(stack, "Data")
    EvaluationGate(stack, "Gate", datasets=[GIGAWORD], thresholds={"Builtin.Accuracy": 0.6}, output_bucket=data.bucket)
    (create,) = [
        s for s in _policy_statements(stack, "GateFunctionRole") if s["Action"] == "bedrock:CreateEvaluationJob"
    ]
    assert "custom-model/*" in json.dumps(create["Resource"])
    assert "provisioned-model" not in json.dumps(create["Resource"])
