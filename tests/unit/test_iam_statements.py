"""The IAM statements the IAM gate found wrong, one construct each: they now grant each action on resources
the Service Authorization Reference lists for it, and the service roles what the user guide requires."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk.assertions import Template

from bedrock_ops import TrainingDataBucket
from bedrock_ops.customization.workflow import CustomizationHyperparameters, ModelCustomizationWorkflow
from bedrock_ops.evaluation.model_evaluation import (
    BuiltinDataset,
    EvaluationDataset,
    EvaluationTaskType,
    ModelEvaluation,
)
from bedrock_ops.models.facts import CustomizationType
from bedrock_ops.serving.provisioned_throughput import ProvisionedThroughput
from tests.gates import iam
from tests.support import ACCOUNT, REGION, nag_findings, new_stack


def _gate(stack: Stack) -> list[str]:
    template = Template.from_stack(stack).to_json()
    return iam.check([iam.StackTemplate("unit", stack.stack_name, stack.stack_name, REGION, ACCOUNT, template)])


def _statements(stack: Stack, policy_prefix: str) -> list[dict[str, Any]]:
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    return [
        s
        for lid, p in policies.items()
        if lid.startswith(policy_prefix)
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def _granted(statements: list[dict[str, Any]], action: str) -> list[Any]:
    out: list[Any] = []
    for s in statements:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        if action in actions:
            out += s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
    return out


def _evaluation(models: list[str]) -> Stack:
    stack = new_stack("Evaluation")
    data = TrainingDataBucket(stack, "Data")
    ModelEvaluation(
        stack,
        "Qa",
        data_bucket=data,
        job_name="qa",
        models=models,
        datasets=[EvaluationDataset(builtin=BuiltinDataset.BOOLQ, task_type=EvaluationTaskType.QUESTION_AND_ANSWER)],
    )
    return stack


def test_create_evaluation_job_is_granted_on_the_evaluated_models_not_on_jobs() -> None:
    stack = _evaluation(["amazon.titan-text-express-v1"])

    provider = _statements(stack, "BedrockOpsEvaluationJobProviderOnEventRole")
    assert _granted(provider, "bedrock:CreateEvaluationJob") == [
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1"
    ]
    assert _gate(stack) == []
    assert nag_findings(stack) == []


def test_create_evaluation_job_of_an_inference_profile_names_its_foundation_model_in_every_region() -> None:
    stack = _evaluation(["us.amazon.nova-lite-v1:0"])

    provider = _statements(stack, "BedrockOpsEvaluationJobProviderOnEventRole")
    assert _granted(provider, "bedrock:CreateEvaluationJob") == [
        "arn:aws:bedrock:*::foundation-model/amazon.nova-lite-v1:0"
    ]
    assert _gate(stack) == []
    assert nag_findings(stack) == []


def test_automatic_evaluation_role_may_run_its_batch_inference_and_look_up_models() -> None:
    stack = _evaluation(["amazon.titan-text-express-v1"])

    role = _statements(stack, "QaServiceRoleDefaultPolicy")
    model = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1"
    for action in ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:CreateModelInvocationJob"):
        assert model in _granted(role, action), action
    assert _granted(role, "bedrock:ListInferenceProfiles") == ["*"]
    for action, resource in (
        ("bedrock:StopModelInvocationJob", ":model-invocation-job/*"),
        ("bedrock:GetProvisionedModelThroughput", ":provisioned-model/*"),
        ("bedrock:GetInferenceProfile", ":inference-profile/*"),
        ("bedrock:GetImportedModel", ":imported-model/*"),
        ("bedrock:GetPromptRouter", ":prompt-router/*"),
    ):
        assert any(resource in str(r) for r in _granted(role, action)), action


def test_provisioned_throughput_is_created_on_the_model_only() -> None:
    stack = new_stack("Serving")
    ProvisionedThroughput(stack, "Pt", model="amazon.titan-text-express-v1:0:8k", provisioned_model_name="pt")

    provider = _statements(stack, "BedrockOpsProvisionedThroughputProviderOnEventRole")
    assert set(_granted(provider, "bedrock:CreateProvisionedModelThroughput")) == {
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1",
    }
    assert _gate(stack) == []
    assert nag_findings(stack) == []


def _distillation(teacher: str) -> Stack:
    stack = new_stack("Distillation")
    data = TrainingDataBucket(stack, "Data")
    ModelCustomizationWorkflow(
        stack,
        "Distilled",
        base_model_id="amazon.nova-micro-v1:0",
        customization_type=CustomizationType.DISTILLATION,
        teacher_model_id=teacher,
        data_bucket=data,
        training_data_key="training/distillation/prompts.jsonl",
        custom_model_name="distilled",
        hyperparameters=CustomizationHyperparameters(epoch_count=2, learning_rate=0.00001),
    )
    return stack


def test_an_inference_profile_teacher_is_named_by_its_foundation_model_when_the_job_is_created() -> None:
    stack = _distillation("us.amazon.nova-premier-v1:0")

    machine = _statements(stack, "DistilledStateMachineRole")
    created_on = [r for r in _granted(machine, "bedrock:CreateModelCustomizationJob") if isinstance(r, str)]
    assert "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-premier-v1:0" in created_on
    assert not [r for r in created_on if "/us." in r]
    assert _gate(stack) == []
    assert nag_findings(stack) == []


def test_an_inference_profile_teacher_may_be_invoked_by_the_service_role_in_every_region() -> None:
    stack = _distillation("us.amazon.nova-premier-v1:0")

    role = _statements(stack, "DistilledServiceRoleDefaultPolicy")
    assert set(_granted(role, "bedrock:InvokeModel")) == {
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.amazon.nova-premier-v1:0",
        "arn:aws:bedrock:*::foundation-model/amazon.nova-premier-v1:0",
    }


def test_a_foundation_model_teacher_needs_no_invoke_grant() -> None:
    stack = _distillation("amazon.nova-pro-v1:0")

    assert _granted(_statements(stack, "DistilledServiceRoleDefaultPolicy"), "bedrock:InvokeModel") == []
    assert _gate(stack) == []
