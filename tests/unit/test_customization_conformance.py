"""What a customization job sends to Bedrock and may do, as the AWS documentation requires (conformance defects
6: the documented baseModelIdentifier, 7: teacher/student pairs and profile-only teachers, 14: the cited
learningRateWarmupSteps conflict; the Nova media grants of defect 9)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from bedrock_ops.customization.workflow import CustomizationHyperparameters, ModelCustomizationWorkflow
from bedrock_ops.data.training_bucket import TrainingDataBucket
from bedrock_ops.models import CustomizationType, load_models
from tests.support import nag_findings, new_stack

FT = CustomizationType.FINE_TUNING
DISTILLATION = CustomizationType.DISTILLATION


def _workflow(stack: Stack | None = None, **overrides: Any) -> ModelCustomizationWorkflow:
    stack = stack or new_stack("Conformance")
    props: dict[str, Any] = {
        "base_model_id": "amazon.nova-micro-v1:0",
        "customization_type": FT,
        "data_bucket": TrainingDataBucket(stack, "Data"),
        "training_data_key": "training/chat/train.jsonl",
        "custom_model_name": "chat",
        "start_on_deploy": False,
    }
    props.update(overrides)
    return ModelCustomizationWorkflow(stack, "Job", **props)


def _distillation(student: str, teacher: str) -> ModelCustomizationWorkflow:
    return _workflow(base_model_id=student, customization_type=DISTILLATION, teacher_model_id=teacher)


def _statements(workflow: ModelCustomizationWorkflow, role_path: str) -> list[dict[str, Any]]:
    stack = Stack.of(workflow)
    template = Template.from_stack(stack)
    statements: list[dict[str, Any]] = []
    for logical_id, policy in template.find_resources("AWS::IAM::Policy").items():
        if role_path in logical_id:
            statements.extend(stack.resolve(policy["Properties"]["PolicyDocument"])["Statement"])
    return statements


def _resources(statement: dict[str, Any]) -> list[str]:
    resources = statement["Resource"]
    return [
        json.dumps(r) if not isinstance(r, str) else r
        for r in (resources if isinstance(resources, list) else [resources])
    ]


def _create_job_resources(workflow: ModelCustomizationWorkflow) -> list[str]:
    (statement,) = [
        s for s in _statements(workflow, "StateMachineRole") if "bedrock:CreateModelCustomizationJob" in s["Action"]
    ]
    return [r for r in _resources(statement) if "foundation-model" in r]


def _invoke_resources(workflow: ModelCustomizationWorkflow) -> list[str]:
    return [
        r
        for s in _statements(workflow, "ServiceRole")
        if s["Action"] == "bedrock:InvokeModel" or "bedrock:InvokeModel" in s["Action"]
        for r in _resources(s)
    ]


# -- defect 6: the documented baseModelIdentifier -------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("amazon.nova-micro-v1:0", "amazon.nova-micro-v1:0:128k"),
        ("amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0:300k"),
        ("amazon.nova-pro-v1:0:300k", "amazon.nova-pro-v1:0:300k"),
        ("anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0:200k"),
        ("meta.llama3-1-8b-instruct-v1:0", "meta.llama3-1-8b-instruct-v1:0:128k"),
        (
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1",
            "amazon.titan-text-express-v1:0:8k",
        ),
    ],
)
def test_request_sends_the_base_model_id_the_fine_tuning_table_documents(given: str, sent: str) -> None:
    workflow = _workflow(base_model_id=given)

    assert workflow.request["BaseModelIdentifier"] == sent
    assert workflow.base_model_identifier == sent


def test_create_job_is_granted_on_the_sent_base_model_only() -> None:
    workflow = _workflow(base_model_id="amazon.nova-micro-v1:0")

    assert _create_job_resources(workflow) == [
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0:128k"
    ]


def test_every_customizable_model_documents_its_base_model_id_or_says_it_is_unconfirmed() -> None:
    models = load_models()
    raw = models.document["models"]
    for model_id in models.model_ids:
        entry = models.resolve(model_id)
        for ctype, facts in entry.customization.items():
            unconfirmed = raw[model_id]["customization"][ctype.value].get("unconfirmed", [])
            assert facts.base_model_id is not None or "base_model_id" in unconfirmed, (model_id, ctype)
            if facts.base_model_id is not None:
                assert facts.base_model_id in entry.ids, (model_id, ctype, facts.base_model_id)


# -- defect 7: documented teacher/student pairs, profile-only teachers ---------------------------------------


def test_nova_pro_is_taught_only_by_nova_premier() -> None:
    with pytest.raises(ValueError, match=r"teacher_model_id 'amazon.nova-lite-v1:0' cannot teach amazon.nova-pro-v1:0"):
        _distillation("amazon.nova-pro-v1:0", "amazon.nova-lite-v1:0")
    with pytest.raises(ValueError, match=r"documented teachers are amazon.nova-premier-v1:0 "):
        _distillation("amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0")

    workflow = _distillation("amazon.nova-pro-v1:0", "us.amazon.nova-premier-v1:0")
    assert workflow.request["BaseModelIdentifier"] == "amazon.nova-pro-v1:0:300k"


def test_llama_3_3_70b_is_a_student_of_llama_3_1_405b() -> None:
    workflow = _distillation("meta.llama3-3-70b-instruct-v1:0", "meta.llama3-1-405b-instruct-v1:0")

    teacher = workflow.request["CustomizationConfig"]["DistillationConfig"]["TeacherModelConfig"]
    assert teacher["TeacherModelIdentifier"] == "meta.llama3-1-405b-instruct-v1:0"
    assert workflow.request["BaseModelIdentifier"] == "meta.llama3-3-70b-instruct-v1:0:128k"


@pytest.mark.parametrize(
    ("student", "teacher"),
    [
        ("amazon.nova-micro-v1:0", "amazon.nova-premier-v1:0"),
        ("meta.llama3-1-8b-instruct-v1:0", "meta.llama3-1-70b-instruct-v1:0"),
    ],
)
def test_profile_only_teacher_given_as_a_model_id_is_refused(student: str, teacher: str) -> None:
    with pytest.raises(
        ValueError,
        match=rf"invoked only through a cross-Region inference profile; give the profile, e.g. 'us.{teacher}'",
    ):
        _distillation(student, teacher)


def test_teacher_from_another_provider_is_refused() -> None:
    with pytest.raises(ValueError, match=r"cannot teach amazon.nova-micro-v1:0"):
        _distillation("amazon.nova-micro-v1:0", "meta.llama3-1-405b-instruct-v1:0")


def test_profile_teacher_lets_the_service_role_invoke_the_profile_and_its_model_in_every_region() -> None:
    workflow = _distillation("amazon.nova-micro-v1:0", "us.amazon.nova-premier-v1:0")

    resources = _invoke_resources(workflow)
    assert any(":inference-profile/us.amazon.nova-premier-v1:0" in r for r in resources), resources
    assert any(":bedrock:*::foundation-model/amazon.nova-premier-v1:0" in r for r in resources), resources
    assert nag_findings(Stack.of(workflow)) == []


def test_create_job_grant_for_a_profile_teacher_names_real_foundation_model_arns() -> None:
    workflow = _distillation("amazon.nova-micro-v1:0", "us.amazon.nova-premier-v1:0")

    resources = _create_job_resources(workflow)
    assert [r.rsplit("foundation-model/", 1)[1] for r in resources] == [
        "amazon.nova-micro-v1:0:128k",
        "amazon.nova-premier-v1:0",
    ]
    assert not any("foundation-model/us." in r for r in resources)


# -- defect 14: Nova learningRateWarmupSteps, 100 (Bedrock) vs 20 (Nova guide) --------------------------------


def test_nova_warmup_steps_use_the_winning_maximum_of_100() -> None:
    workflow = _workflow(hyperparameters=CustomizationHyperparameters(learning_rate_warmup_steps=100))

    assert workflow.request["HyperParameters"] == {"learningRateWarmupSteps": "100"}


def test_nova_warmup_steps_over_the_maximum_cite_both_pages_and_the_winner() -> None:
    with pytest.raises(ValueError) as info:
        _workflow(hyperparameters=CustomizationHyperparameters(learning_rate_warmup_steps=101))

    message = str(info.value)
    assert "learningRateWarmupSteps for amazon.nova-micro-v1:0 must be 0-100, got 101" in message
    assert "https://docs.aws.amazon.com/bedrock/latest/userguide/cm-hp-nova-mm.html says 100" in message
    assert (
        "https://docs.aws.amazon.com/nova/latest/userguide/customize-fine-tune-hyperparameters.html says 20" in message
    )
    assert "the first wins" in message


def test_nova_warmup_conflict_keeps_both_citations_with_url_and_date() -> None:
    document = load_models().document
    (conflict,) = document["hyperparameter_sets"]["nova"]["conflicts"]

    assert conflict["fact"] == "learningRateWarmupSteps.maximum"
    assert conflict["values"] == {"cm-hp-nova-mm": 100, "nova-fine-tune-hyperparameters": 20}
    assert conflict["winner"] == "cm-hp-nova-mm"
    for key in conflict["values"]:
        source = document["sources"][key]
        assert source["url"].startswith("https://docs.aws.amazon.com/") and source["as_of"], key


# -- defect 9: Nova media in the dataset's bucket, readable by the service role -------------------------------


def test_media_prefixes_let_the_service_role_read_the_media() -> None:
    workflow = _workflow(media_prefixes=["media/"])

    get_objects = [
        r for s in _statements(workflow, "ServiceRole") if s["Action"] == "s3:GetObject" for r in _resources(s)
    ]
    assert any(r.endswith('/media/*"]]}') for r in get_objects), get_objects
    assert nag_findings(Stack.of(workflow)) == []


def test_local_training_file_with_media_outside_the_readable_prefixes_is_refused(tmp_path: Path) -> None:
    record = {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"text": "What is shown?"},
                    {"image": {"format": "png", "source": {"s3Location": {"uri": "s3://data/media/cat.png"}}}},
                ],
            },
            {"role": "assistant", "content": [{"text": "A cat."}]},
        ],
    }
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")

    with pytest.raises(ValueError, match=r"line 1: medium 's3://data/media/cat.png' is outside the prefixes"):
        _workflow(training_data_file=path)
    assert _workflow(training_data_file=path, media_prefixes=["media/"]).request["TrainingDataConfig"]
