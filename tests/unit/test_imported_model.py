"""ImportedModel: its service role (trust, confused deputy, S3 read of the weights), IAM, Regions, timeout, nag."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Duration, Environment, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from bedrock_ops.serving.imported_model import ImportedModel
from tests.support import ACCOUNT, nag_findings, new_stack


def _built() -> tuple[Stack, ImportedModel, Template]:
    stack = new_stack()
    bucket = s3.Bucket(stack, "Weights", enforce_ssl=True, server_access_logs_prefix="logs/")
    model = ImportedModel(stack, "Llama", model_data_bucket=bucket, model_data_prefix="models/llama/", tags={"t": "1"})
    return stack, model, Template.from_stack(stack)


@pytest.fixture(scope="module")
def built() -> tuple[Stack, ImportedModel, Template]:
    return _built()


def test_the_import_reads_the_weights_prefix_with_its_service_role(
    built: tuple[Stack, ImportedModel, Template],
) -> None:
    _, _, template = built
    template.has_resource_properties(
        "Custom::BedrockImportedModel",
        {"S3Uri": {"Fn::Join": ["", ["s3://", {"Ref": Match.string_like_regexp("^Weights")}, "/models/llama/"]]}},
    )
    policies = json.dumps(template.find_resources("AWS::IAM::Policy"))
    assert "/models/llama/*" in policies and "s3:GetObject" in policies


def test_the_service_role_trusts_bedrock_for_this_accounts_import_jobs_only(
    built: tuple[Stack, ImportedModel, Template],
) -> None:
    _, _, template = built
    roles = json.dumps(template.find_resources("AWS::IAM::Role"))
    assert '"aws:SourceAccount": "123456789012"' in roles
    assert ":model-import-job/*" in roles


def test_the_provider_may_pass_the_role_to_bedrock_only(built: tuple[Stack, ImportedModel, Template]) -> None:
    _, _, template = built
    statements = [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    (passing,) = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}
    (deleting,) = [s for s in statements if "bedrock:DeleteImportedModel" in s["Action"]]
    assert ":imported-model/*" in json.dumps(deleting["Resource"])


def test_the_imported_model_arn_is_an_attribute(built: tuple[Stack, ImportedModel, Template]) -> None:
    stack, model, _ = built
    assert stack.resolve(model.imported_model_arn)["Fn::GetAtt"][1] == "ImportedModelArn"


def test_no_unacknowledged_nag_findings(built: tuple[Stack, ImportedModel, Template]) -> None:
    assert nag_findings(built[0]) == []


def test_a_region_without_custom_model_import_fails_with_the_allowed_ones() -> None:
    stack = Stack(App(), "S", env=Environment(account=ACCOUNT, region="ap-south-1"))
    bucket = s3.Bucket(stack, "B")
    with pytest.raises(ValueError, match=r"not offered in ap-south-1; allowed: us-east-1, us-west-2, eu-central-1"):
        ImportedModel(stack, "M", model_data_bucket=bucket, model_data_prefix="m/")


def test_a_timeout_beyond_cloudformations_hour_fails() -> None:
    stack = new_stack()
    with pytest.raises(ValueError, match="at most one hour"):
        ImportedModel(
            stack, "M", model_data_bucket=s3.Bucket(stack, "B"), model_data_prefix="m/", timeout=Duration.hours(2)
        )


def test_an_empty_prefix_fails() -> None:
    stack = new_stack()
    with pytest.raises(ValueError, match="model_data_prefix"):
        ImportedModel(stack, "M", model_data_bucket=s3.Bucket(stack, "B"), model_data_prefix="/")
