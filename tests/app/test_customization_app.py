"""The customization section of the configuration and the customization stack of the default app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.config import ConfigError, load_config

JOB = """customization:
  jobs:
    - name: chat
      base_model: {base_model}
      customization_type: {customization_type}
      training_data_key: training/chat/train.jsonl
{extra}"""


def _error(
    tmp_path: Path, base_model: str = "amazon.titan-text-express-v1", ctype: str = "FINE_TUNING", extra: str = ""
) -> str:
    path = tmp_path / "jobs.yaml"
    path.write_text(JOB.format(base_model=base_model, customization_type=ctype, extra=extra), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_default_config_declares_one_fine_tuning_and_one_continued_pre_training_job() -> None:
    jobs = load_config().customization.jobs

    assert sorted(job.customization_type for job in jobs) == ["CONTINUED_PRE_TRAINING", "FINE_TUNING"]
    fine_tuning = next(job for job in jobs if job.customization_type == "FINE_TUNING")
    assert fine_tuning.training_data_file == "examples/datasets/converse-single-turn/train.jsonl"


def test_hyperparameter_out_of_range_names_the_job_and_the_range(tmp_path: Path) -> None:
    message = _error(tmp_path, extra="      hyperparameters: {epochCount: 11}\n")

    assert "customization.jobs.0: hyperparameter epochCount for amazon.titan-text-express-v1 must be 1-10" in message


def test_unknown_base_model_suggests_a_known_one(tmp_path: Path) -> None:
    message = _error(tmp_path, base_model="amazon.titan-text-expres-v1")

    assert (
        "customization.jobs.0: base_model 'amazon.titan-text-expres-v1' is not a known Bedrock foundation model"
        in message
    )
    assert "did you mean 'amazon.titan-text-express-v1'" in message


def test_unsupported_customization_type_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, ctype="DISTILLATION", extra="      teacher_model: amazon.nova-pro-v1:0\n")

    assert "does not support DISTILLATION" in message


def test_unknown_customization_type_lists_the_allowed(tmp_path: Path) -> None:
    message = _error(tmp_path, ctype="RLHF")

    assert "customization.jobs.0.customization_type: must be one of 'FINE_TUNING'" in message


def test_distillation_needs_a_teacher(tmp_path: Path) -> None:
    message = _error(tmp_path, base_model="amazon.nova-micro-v1:0", ctype="DISTILLATION")

    assert "teacher_model is required for DISTILLATION" in message


def test_duplicate_job_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "jobs.yaml"
    job = "    - {name: chat, base_model: amazon.titan-text-express-v1, training_data_key: training/t.jsonl}\n"
    path.write_text("customization:\n  jobs:\n" + job + job, encoding="utf-8")

    with pytest.raises(ConfigError, match="job names must be unique, got chat more than once"):
        load_config(path)


def _customization_template(templates: list[Path]) -> dict[str, object]:
    (template_file,) = [t for t in templates if "customization" in t.name]
    template: dict[str, object] = json.loads(template_file.read_text())
    return template


def test_default_app_has_one_workflow_per_job_and_one_topic(default_templates: list[Path]) -> None:
    template = _customization_template(default_templates)
    resources = template["Resources"]
    assert isinstance(resources, dict)

    types = [resource["Type"] for resource in resources.values()]
    assert types.count("AWS::StepFunctions::StateMachine") == 2
    assert types.count("AWS::SNS::Topic") == 2  # the workflows' topic and the stable endpoint's promotion notices
    assert types.count("AWS::CloudWatch::Alarm") == 2


def test_the_default_chat_job_promotes_behind_a_stable_endpoint_and_creates_nothing_billable_on_deploy(
    default_templates: list[Path],
) -> None:
    template = _customization_template(default_templates)
    resources = template["Resources"]
    assert isinstance(resources, dict)
    (endpoint,) = [r for r in resources.values() if r["Type"] == "Custom::BedrockStableEndpoint"]
    properties = endpoint["Properties"]
    assert (properties["EndpointKind"], properties["EndpointName"]) == ("deployment", "service-desk-chat")
    billable = {"Custom::BedrockCustomModelDeployment", "Custom::BedrockProvisionedThroughput"}
    assert not [r for r in resources.values() if r["Type"] in billable]
    chat = next(
        json.dumps(r["Properties"]["DefinitionString"])
        for name, r in resources.items()
        if r["Type"] == "AWS::StepFunctions::StateMachine" and name.startswith("servicedeskchat")
    )
    assert "NotifyPromotion" in chat


def test_serving_of_a_job_takes_the_throughput_keys_with_their_bounds(tmp_path: Path) -> None:
    message = _error(
        tmp_path, base_model="amazon.nova-micro-v1:0", extra="      serving: {kind: on-demand, model_units: 0}\n"
    )
    assert "customization.jobs.0.serving.kind" in message and "on-demand" in message
    assert "customization.jobs.0.serving.model_units" in message


def test_default_jobs_start_only_by_hand(default_templates: list[Path]) -> None:
    template = _customization_template(default_templates)
    resources = template["Resources"]
    assert isinstance(resources, dict)

    assert not [r for r in resources.values() if r["Type"] == "Custom::BedrockModelCustomization"]
    outputs = template["Outputs"]
    assert isinstance(outputs, dict)
    assert sum(1 for name in outputs if name.endswith("StateMachineArn")) == 2


def test_workflow_timeout_comes_from_the_job(default_templates: list[Path]) -> None:
    template = _customization_template(default_templates)
    resources = template["Resources"]
    assert isinstance(resources, dict)

    machines = [r for r in resources.values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    definitions = [json.dumps(m["Properties"]["DefinitionString"]) for m in machines]
    assert all('\\"TimeoutSeconds\\":259200' in d for d in definitions)


def test_default_workflows_validate_the_dataset_before_training(default_templates: list[Path]) -> None:
    template = _customization_template(default_templates)
    resources = template["Resources"]
    assert isinstance(resources, dict)

    machines = [r for r in resources.values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    definitions = [json.dumps(m["Properties"]["DefinitionString"]) for m in machines]
    assert len(definitions) == 2
    assert all('\\"ValidateDataset\\":{' in d and "DatasetValidator" in d for d in definitions)


def test_teacher_that_does_not_teach_the_base_model_names_the_file_and_the_teachers(tmp_path: Path) -> None:
    extra = "      teacher_model: amazon.nova-lite-v1:0\n"
    message = _error(tmp_path, base_model="amazon.nova-pro-v1:0", ctype="DISTILLATION", extra=extra)

    assert "teacher_model 'amazon.nova-lite-v1:0' cannot teach amazon.nova-pro-v1:0" in message
    assert "documented teachers are amazon.nova-premier-v1:0" in message


def test_profile_only_teacher_as_a_model_id_names_the_profile_to_use(tmp_path: Path) -> None:
    extra = "      teacher_model: amazon.nova-premier-v1:0\n"
    message = _error(tmp_path, base_model="amazon.nova-micro-v1:0", ctype="DISTILLATION", extra=extra)

    assert "give the profile, e.g. 'us.amazon.nova-premier-v1:0'" in message


GATE = """      serving:
        gate:
          datasets: [{builtin: Builtin.Gigaword}]
          thresholds: {Builtin.Accuracy: 0.6}
"""


def test_a_serving_gate_needs_datasets_and_thresholds(tmp_path: Path) -> None:
    message = _error(tmp_path, base_model="amazon.nova-micro-v1:0", extra="      serving: {gate: {thresholds: {}}}\n")
    assert "customization.jobs.0.serving.gate.datasets" in message
    assert "customization.jobs.0.serving.gate.thresholds" in message


def test_a_serving_gate_without_the_candidate_cost_acknowledgment_names_the_key_and_the_estimate(
    tmp_path: Path,
) -> None:
    from infra.app import build_app, new_app

    path = tmp_path / "jobs.yaml"
    path.write_text(JOB.format(base_model="amazon.nova-micro-v1:0", customization_type="FINE_TUNING", extra=GATE))
    with pytest.raises(ConfigError) as info:
        build_app(load_config(path), new_app(str(tmp_path / "out")))
    message = str(info.value)
    assert message.startswith(f"{path}: customization.jobs.0.serving.acknowledge_candidate_cost: evaluation_gate")
    assert "USD" in message and "/hour" in message


def test_the_all_features_chat_job_evaluates_on_a_candidate_before_promoting(all_features_assembly: object) -> None:
    from aws_cdk import cx_api

    assert isinstance(all_features_assembly, cx_api.CloudAssembly)
    (stack,) = [s for s in all_features_assembly.stacks_recursively if s.stack_name.endswith("-customization")]
    resources = stack.template["Resources"]
    endpoints = [r["Properties"] for r in resources.values() if r["Type"] == "Custom::BedrockStableEndpoint"]
    assert sorted((e["EndpointName"], e["EndpointKind"], e["Commitment"]) for e in endpoints) == [
        ("service-desk-chat", "deployment", "NoCommitment"),
        ("service-desk-chat-candidate", "provisioned-throughput", "NoCommitment"),
    ]
    chat = next(
        json.dumps(r["Properties"]["DefinitionString"])
        for name, r in resources.items()
        if r["Type"] == "AWS::StepFunctions::StateMachine" and name.startswith("servicedeskchat")
    )
    assert "EvaluateCandidate" in chat and "ReleaseCandidate" in chat and "NotifyNotPromoted" in chat
