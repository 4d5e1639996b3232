"""Composition like an L2 (issue 17, item 1): data buckets as any s3.IBucket, from_* importers, enum parameters as
their strings, the configuration's bounds and types in the constructs, one list check."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from bedrock_ops import (
    BatchInference,
    BedrockJobType,
    BedrockMonitoring,
    BedrockServiceRole,
    BuiltinDataset,
    Commitment,
    CustomizationHyperparameters,
    CustomizationType,
    CustomModel,
    CustomModelDeployment,
    DataPrefixes,
    DatasetValidator,
    EvaluationDataset,
    HumanMetric,
    HumanRatingMethod,
    InvocationLogging,
    LocalDataset,
    LocalDatasets,
    ModelAccess,
    ModelCopy,
    ModelCustomizationWorkflow,
    ModelEvaluation,
    ProvisionedThroughput,
    RewardFunction,
    RewardTemplate,
    TrainingDataBucket,
)
from bedrock_ops._core.enums import parse_enum
from bedrock_ops._core.limits import MODEL_UNITS, WORKFLOW_TIMEOUT_HOURS
from bedrock_ops.batch.requests import BatchFormat
from tests.support import ACCOUNT, REGION, nag_findings, new_stack

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "datasets" / "converse-single-turn" / "train.jsonl"
PT_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/abcdefgh1234"
CUSTOM_MODEL_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k/abcdefgh1234"
WORKFLOW: dict[str, Any] = {
    "base_model_id": "amazon.titan-text-express-v1",
    "training_data_key": "training/chat/train.jsonl",
    "custom_model_name": "chat",
}


def _imported(stack: Stack, *, with_key: bool = True) -> tuple[s3.IBucket, kms.IKey | None]:
    bucket = s3.Bucket.from_bucket_name(stack, "Existing", "team-ml-data")
    key = (
        kms.Key.from_key_arn(stack, "ExistingKey", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd") if with_key else None
    )
    return bucket, key


def _statements(stack: Stack, policy_prefix: str) -> list[dict[str, Any]]:
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    return [
        statement
        for name, policy in policies.items()
        if name.startswith(policy_prefix)
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _shape(statements: list[dict[str, Any]]) -> list[tuple[str, tuple[str, ...], str]]:
    """Actions, resources with the bucket and key abstracted, conditions: what must not differ between bucket kinds."""

    def resource(value: Any) -> str:
        rendered = json.dumps(value)
        prefix = re.search(r"/((?:training|validation|output|evaluation)/[^\"]*)", rendered)
        if prefix:
            return f"<bucket>/{prefix.group(1)}"
        return "<key>" if "kms" in rendered or "Key" in rendered else "<bucket>"

    rows = []
    for statement in statements:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        rows.append(
            (str(statement["Action"]), tuple(sorted(resource(r) for r in resources)), str(statement.get("Condition")))
        )
    return sorted(rows)


# ---------------------------------------------------------------------------------------------- data buckets


def test_an_imported_bucket_is_the_data_bucket_of_every_construct() -> None:
    """Was: AttributeError: '_BucketBaseProxy' object has no attribute 'bucket'."""
    stack = new_stack()
    bucket, key = _imported(stack)
    BedrockServiceRole(stack, "Role", data_bucket=bucket, data_bucket_key=key)
    DatasetValidator(stack, "Validator", data_bucket=bucket, data_bucket_key=key, base_model="amazon.nova-micro-v1:0")
    LocalDatasets(
        stack,
        "Datasets",
        data_bucket=bucket,
        data_bucket_key=key,
        datasets=[LocalDataset(name="desk", path=SAMPLE, base_model="amazon.nova-micro-v1:0")],
    )
    ModelCustomizationWorkflow(
        stack,
        "Chat",
        customization_type=CustomizationType.FINE_TUNING,
        data_bucket=bucket,
        data_bucket_key=key,
        **WORKFLOW,
    )
    ModelEvaluation(
        stack,
        "Eval",
        data_bucket=bucket,
        data_bucket_key=key,
        models=["amazon.titan-text-express-v1"],
        datasets=[EvaluationDataset(builtin=BuiltinDataset.BOOLQ)],
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::S3::Bucket", 0)
    assert nag_findings(stack) == []


def test_grants_on_an_imported_bucket_are_the_training_data_buckets_statements() -> None:
    own = new_stack("Own")
    BedrockServiceRole(own, "Role", data_bucket=TrainingDataBucket(own, "Data"))
    expected = _shape(_statements(own, "Role"))

    imported = new_stack("Imported")
    bucket, key = _imported(imported)
    BedrockServiceRole(imported, "Role", data_bucket=bucket, data_bucket_key=key)
    assert _shape(_statements(imported, "Role")) == expected


def test_from_bucket_name_gives_the_same_grants_as_an_s3_ibucket_with_its_key() -> None:
    stack = new_stack()
    bucket, key = _imported(stack)
    BedrockServiceRole(stack, "A", data_bucket=bucket, data_bucket_key=key)
    data = TrainingDataBucket.from_bucket_name(stack, "ByName", "team-ml-data", encryption_key=key)
    BedrockServiceRole(stack, "B", data_bucket=data, job_type=BedrockJobType.MODEL_CUSTOMIZATION)
    assert _shape(_statements(stack, "ARole")) == _shape(_statements(stack, "BRole"))


def test_an_imported_bucket_without_a_key_is_granted_no_kms() -> None:
    stack = new_stack()
    bucket, _ = _imported(stack, with_key=False)
    BedrockServiceRole(stack, "Role", data_bucket=bucket)
    actions = [
        a for s in _statements(stack, "Role") for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    ]
    assert "s3:GetObject" in actions
    assert not [a for a in actions if a.startswith("kms:")]


def test_an_imported_bucket_takes_its_own_prefixes() -> None:
    stack = new_stack()
    data = TrainingDataBucket.from_bucket_attributes(
        stack,
        "Data",
        bucket_arn="arn:aws:s3:::team-ml-data",
        prefixes=DataPrefixes(training="datasets/train/", validation="datasets/val/", output="models/"),
    )
    assert data.prefixes.evaluation == "evaluation/"
    ModelCustomizationWorkflow(
        stack,
        "Chat",
        customization_type="FINE_TUNING",
        data_bucket=data,
        base_model_id="amazon.titan-text-express-v1",
        training_data_key="datasets/train/chat.jsonl",
        custom_model_name="chat",
    )
    resources = [str(s["Resource"]) for s in _statements(stack, "ChatServiceRole")]
    assert any("datasets/train/*" in r for r in resources)
    assert any("models/*" in r for r in resources)
    with pytest.raises(ValueError, match=r"training_data_key must be under the bucket's 'datasets/train/'"):
        ModelCustomizationWorkflow(stack, "Other", customization_type="FINE_TUNING", data_bucket=data, **WORKFLOW)


def test_data_prefixes_must_end_with_a_slash() -> None:
    with pytest.raises(ValueError, match=r"DataPrefixes.training must be a relative key prefix ending in '/'.*'train'"):
        DataPrefixes(training="train")


def test_a_data_bucket_of_the_wrong_type_names_the_parameter() -> None:
    with pytest.raises(
        TypeError, match=r"data_bucket must be a TrainingDataBucket .* or an s3.IBucket, got str 'my-bucket'"
    ):
        BedrockServiceRole(new_stack(), "Role", data_bucket="my-bucket")  # type: ignore[arg-type]


def test_a_key_beside_a_training_data_bucket_is_refused() -> None:
    stack = new_stack()
    _, key = _imported(stack)
    with pytest.raises(ValueError, match=r"data_bucket_key applies to an s3\.IBucket only"):
        BedrockServiceRole(stack, "Role", data_bucket=TrainingDataBucket(stack, "Data"), data_bucket_key=key)


def test_from_bucket_attributes_refuses_an_arn_that_is_no_bucket() -> None:
    with pytest.raises(ValueError, match=r"bucket_arn must be an S3 bucket ARN, arn:<partition>:s3:::<bucket name>"):
        TrainingDataBucket.from_bucket_attributes(new_stack(), "Data", bucket_arn="arn:aws:s3:::bucket/prefix")


def test_an_imported_bucket_keyed_topic_falls_back_to_the_aws_managed_key() -> None:
    stack = new_stack()
    bucket, _ = _imported(stack, with_key=False)
    DatasetValidator(stack, "Validator", data_bucket=bucket, base_model="amazon.nova-micro-v1:0")
    topics = Template.from_stack(stack).find_resources("AWS::SNS::Topic")
    (topic,) = topics.values()
    assert "alias/aws/sns" in str(topic["Properties"]["KmsMasterKeyId"])
    assert nag_findings(stack) == []


# ---------------------------------------------------------------------------------------------- importers


def test_from_provisioned_model_arn_grants_invoke_and_measures() -> None:
    stack = new_stack()
    imported = ProvisionedThroughput.from_provisioned_model_arn(stack, "Existing", PT_ARN)
    role = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    imported.grant_invoke(role)
    (statement,) = _statements(stack, "Caller")
    assert statement["Resource"] == PT_ARN
    assert imported.metric_invocations().dimensions == {"ModelId": PT_ARN}


def test_from_provisioned_model_arn_names_the_parameter_value_and_form() -> None:
    with pytest.raises(
        ValueError,
        match=r"provisioned_model_arn must be arn:aws:bedrock:<region>:<account>:provisioned-model/<id>, got "
        r"'arn:aws:bedrock:.*custom-model/.*' \(a custom-model reference\)",
    ):
        ProvisionedThroughput.from_provisioned_model_arn(new_stack(), "X", CUSTOM_MODEL_ARN)


def test_importers_accept_tokens() -> None:
    stack = new_stack()
    arn = Token.as_string({"Fn::ImportValue": "pt-arn"})
    assert ProvisionedThroughput.from_provisioned_model_arn(stack, "Pt", arn).provisioned_model_arn == arn
    model = CustomModel.from_custom_model_arn(stack, "Model", arn)
    assert model.base_model_id is None


def test_a_custom_model_importer_serves_a_deployment_and_names_its_base_model() -> None:
    stack = new_stack()
    model = CustomModel.from_custom_model_arn(stack, "Model", CUSTOM_MODEL_ARN)
    assert model.base_model_id == "amazon.nova-micro-v1:0:128k"
    CustomModelDeployment(stack, "Deployment", model=model, deployment_name="chat")
    deployment = Template.from_stack(stack).find_resources("Custom::BedrockCustomModelDeployment")
    assert CUSTOM_MODEL_ARN in str(deployment)


def test_a_custom_model_importer_refuses_a_foundation_model_id() -> None:
    with pytest.raises(ValueError, match=r"custom_model_arn must be arn:aws:bedrock:<region>:<account>:custom-model/"):
        CustomModel.from_custom_model_arn(new_stack(), "Model", "amazon.nova-micro-v1:0")


def test_invocation_logging_from_attributes_grants_reading_its_logs_only() -> None:
    stack = new_stack()
    key = kms.Key.from_key_arn(stack, "LogKey", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd")
    logging = InvocationLogging.from_logging_attributes(
        stack,
        "Existing",
        log_group_name="/org/bedrock",
        bucket_name="org-logs",
        key_prefix="bedrock",
        encryption_key=key,
    )
    reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    logging.grant_read_logs(reader)
    rendered = str(_statements(stack, "Reader"))
    assert "org-logs/bedrock/*" in rendered
    assert "/org/bedrock" in rendered
    assert "kms:Decrypt" in rendered
    assert "s3:PutObject" not in rendered
    assert logging.metric_s3_delivery_failure().namespace == "AWS/Bedrock"
    Template.from_stack(stack).resource_count_is("Custom::BedrockInvocationLogging", 0)


def test_invocation_logging_from_attributes_needs_a_destination() -> None:
    with pytest.raises(ValueError, match="needs log_group_name or bucket_name"):
        InvocationLogging.from_logging_attributes(new_stack(), "Existing")


# ---------------------------------------------------------------------------------------------- enums


@pytest.mark.parametrize("spelling", ["FINE_TUNING", "fine-tuning", "Fine_Tuning", CustomizationType.FINE_TUNING])
def test_customization_type_takes_the_api_value_and_the_member_name(spelling: Any) -> None:
    """Was: AttributeError: 'str' object has no attribute 'value' for "fine-tuning"."""
    stack = new_stack()
    workflow = ModelCustomizationWorkflow(
        stack, "Chat", customization_type=spelling, data_bucket=TrainingDataBucket(stack, "Data"), **WORKFLOW
    )
    assert workflow.customization_type is CustomizationType.FINE_TUNING


def test_an_unknown_enum_string_names_the_parameter_the_value_and_the_allowed_values() -> None:
    stack = new_stack()
    with pytest.raises(
        ValueError,
        match=r"customization_type: 'fine-tunning' is not a CustomizationType \(did you mean '.*'\?\); "
        r"allowed: FINE_TUNING, CONTINUED_PRE_TRAINING, DISTILLATION",
    ):
        ModelCustomizationWorkflow(
            stack, "Chat", customization_type="fine-tunning", data_bucket=TrainingDataBucket(stack, "Data"), **WORKFLOW
        )


def test_an_enum_parameter_of_another_type_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match=r"commitment must be a Commitment or one of the strings NoCommitment"):
        parse_enum(Commitment, 6, param="commitment")


@pytest.mark.parametrize(
    ("enum_type", "spelling", "member"),
    [
        (Commitment, "SIX_MONTHS", Commitment.SIX_MONTHS),
        (Commitment, "SixMonths", Commitment.SIX_MONTHS),
        (BedrockJobType, "evaluation-job", BedrockJobType.EVALUATION),
        (BedrockJobType, "EVALUATION", BedrockJobType.EVALUATION),
        (BatchFormat, "converse", BatchFormat.CONVERSE),
        (RewardTemplate, "exact", RewardTemplate.EXACT_MATCH),
        (HumanRatingMethod, "thumbs_up_down", HumanRatingMethod.THUMBS_UP_DOWN),
    ],
)
def test_every_enum_reads_its_value_and_its_member_name(enum_type: Any, spelling: str, member: Any) -> None:
    assert parse_enum(enum_type, spelling, param="p") is member


def test_enum_parameters_of_constructs_and_props_read_strings() -> None:
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    assert BedrockServiceRole(stack, "Role", job_type="EVALUATION").job_type is BedrockJobType.EVALUATION
    BatchInference(
        stack,
        "Batch",
        bucket=data.bucket,
        models=["anthropic.claude-3-haiku-20240307-v1:0"],
        invocation_type="Converse",
    )
    machines = Template.from_stack(stack).find_resources("AWS::StepFunctions::StateMachine")
    assert '"ModelInvocationType":"Converse"' in json.dumps(machines).replace('\\"', '"')
    assert RewardFunction(stack, "Reward", template="EXACT_MATCH").template is RewardTemplate.EXACT_MATCH
    # The dataclass props are typed by their enums (what their methods read); a string, e.g. from YAML, is read
    # into the member when the dataclass is built.
    metric = HumanMetric(name="helpful", rating_method="ThumbsUpDown")  # type: ignore[arg-type]
    assert metric.rating_method is HumanRatingMethod.THUMBS_UP_DOWN
    dataset = LocalDataset(
        name="d",
        path=SAMPLE,
        base_model="amazon.nova-micro-v1:0",
        customization_type="fine-tuning",  # type: ignore[arg-type]
        split="validation",  # type: ignore[arg-type]
    )
    assert dataset.customization_type is CustomizationType.FINE_TUNING
    pt = ProvisionedThroughput(stack, "Pt", model="amazon.titan-text-express-v1:0:8k", commitment="no-commitment")
    assert pt.commitment is Commitment.NO_COMMITMENT


# ---------------------------------------------------------------------------------------------- bounds and types


def test_model_units_beyond_the_configurations_bound_are_refused() -> None:
    """Was: model_units=1000 accepted by the construct, refused by the configuration (1-100)."""
    with pytest.raises(ValueError, match=r"model_units must be an integer 1-100 model unit\(s\).*got 1000"):
        ProvisionedThroughput(new_stack(), "Pt", model="amazon.titan-text-express-v1:0:8k", model_units=1000)


def test_model_units_of_another_type_name_the_parameter() -> None:
    with pytest.raises(TypeError, match=r"model_units must be an integer 1-100.*got str '2'"):
        ProvisionedThroughput(new_stack(), "Pt", model="amazon.titan-text-express-v1:0:8k", model_units="2")  # type: ignore[arg-type]


def test_an_epoch_count_string_is_refused() -> None:
    """Was: CustomizationHyperparameters(epoch_count="2") accepted."""
    with pytest.raises(
        TypeError, match=r"CustomizationHyperparameters.epoch_count \(epochCount\) must be a number.*got str '2'"
    ):
        CustomizationHyperparameters(epoch_count="2")  # type: ignore[arg-type]


def test_a_workflow_timeout_beyond_a_year_is_refused() -> None:
    """Was: timeout=Duration.days(400) accepted by the construct, refused by the configuration (1-8760 hours)."""
    stack = new_stack()
    with pytest.raises(ValueError, match=r"timeout must be an integer 1-8760 hours .*got 9600 hours"):
        ModelCustomizationWorkflow(
            stack,
            "Chat",
            customization_type="FINE_TUNING",
            data_bucket=TrainingDataBucket(stack, "Data"),
            timeout=Duration.days(400),
            **WORKFLOW,
        )


def test_the_configuration_reads_the_constructs_bounds() -> None:
    from infra.config import CustomizationJobConfig, ProvisionedThroughputConfig

    def bounds(model: Any, field: str) -> tuple[Any, Any]:
        metadata = model.model_fields[field].metadata
        return next(m.ge for m in metadata if hasattr(m, "ge")), next(m.le for m in metadata if hasattr(m, "le"))

    assert bounds(ProvisionedThroughputConfig, "model_units") == (MODEL_UNITS.low, MODEL_UNITS.high)
    assert bounds(CustomizationJobConfig, "timeout_hours") == (WORKFLOW_TIMEOUT_HOURS.low, WORKFLOW_TIMEOUT_HOURS.high)


def test_the_configuration_refuses_a_hyperparameter_string_as_the_construct_does() -> None:
    from pydantic import ValidationError

    from infra.config import CustomizationJobConfig

    with pytest.raises(ValidationError, match=r"hyperparameters\.epochCount"):
        CustomizationJobConfig.model_validate(
            {
                "name": "x",
                "base_model": "amazon.titan-text-express-v1",
                "training_data_key": "training/a.jsonl",
                "hyperparameters": {"epochCount": "2"},
            }
        )


# ---------------------------------------------------------------------------------------------- lists


def _list_cases() -> list[Any]:
    # A str is a Sequence[str] to mypy too: only the run-time check catches these.
    def monitoring(stack: Stack) -> None:
        BedrockMonitoring(stack, "M", models="amazon.nova-micro-v1:0")

    def access(stack: Stack) -> None:
        ModelAccess(stack, "A", models="amazon.nova-micro-v1:0")

    def batch(stack: Stack) -> None:
        BatchInference(stack, "B", bucket=TrainingDataBucket(stack, "D").bucket, models="amazon.nova-micro-v1:0")

    def copy(stack: Stack) -> None:
        ModelCopy(stack, "C", source_model=CUSTOM_MODEL_ARN, target_regions="us-west-2")

    def validation_keys(stack: Stack) -> None:
        ModelCustomizationWorkflow(
            stack,
            "W",
            customization_type="FINE_TUNING",
            data_bucket=TrainingDataBucket(stack, "D"),
            validation_data_keys="validation/v.jsonl",
            **WORKFLOW,
        )

    def evaluation_models(stack: Stack) -> None:
        ModelEvaluation(
            stack,
            "E",
            data_bucket=TrainingDataBucket(stack, "D"),
            models="amazon.nova-micro-v1:0",
            datasets=[EvaluationDataset(builtin=BuiltinDataset.BOOLQ)],
        )

    return [
        pytest.param(monitoring, "models", id="BedrockMonitoring.models"),
        pytest.param(access, "models", id="ModelAccess.models"),
        pytest.param(batch, "models", id="BatchInference.models"),
        pytest.param(copy, "target_regions", id="ModelCopy.target_regions"),
        pytest.param(validation_keys, "validation_data_keys", id="ModelCustomizationWorkflow.validation_data_keys"),
        pytest.param(evaluation_models, "models", id="ModelEvaluation.models"),
    ]


@pytest.mark.parametrize(("build", "param"), _list_cases())
def test_a_string_where_a_list_is_expected_is_refused_not_iterated(build: Any, param: str) -> None:
    with pytest.raises(ValueError, match=rf"{param} must be a list of .*, got the string '.*'; write {param}=\['"):
        build(new_stack())
