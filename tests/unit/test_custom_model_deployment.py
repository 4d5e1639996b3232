"""CustomModelDeployment: deployable models and Regions from the knowledge base, IAM, grants, metrics, nag."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from bedrock_ops.serving.deployment import CustomModelDeployment
from tests.support import ACCOUNT, nag_findings, new_stack

TYPE = "Custom::BedrockCustomModelDeployment"
NOVA_MODEL = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k/abcdefghijkl"
TITAN_MODEL = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/amazon.titan-text-express-v1:0:8k/abcdefghijkl"
IMPORTED = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/imported/abcdefghijkl"
DEPLOYMENT_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model-deployment/abcdefghijkl"


class Built:
    def __init__(self) -> None:
        self.stack = new_stack("DeployStack")
        self.chat = CustomModelDeployment(
            self.stack, "Chat", model=NOVA_MODEL, deployment_name="chat", tags={"team": "ml"}, description="v1"
        )
        self.other = CustomModelDeployment(self.stack, "Other", model=NOVA_MODEL)
        self.app_role = iam.Role(self.stack, "App", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        self.chat.grant_invoke(self.app_role)
        self.chat.metric_invocation_throttles().create_alarm(self.stack, "Throttles", threshold=1, evaluation_periods=1)
        self.template = Template.from_stack(self.stack)


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def _policy_statements(template: Template) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_deployment_is_a_custom_resource_with_the_model_name_and_tags(built: Built) -> None:
    built.template.has_resource_properties(
        TYPE,
        {
            "ModelArn": NOVA_MODEL,
            "DeploymentName": "chat",
            "Description": "v1",
            "Tags": [{"Key": "team", "Value": "ml"}],
        },
    )


def test_two_deployments_share_one_provider(built: Built) -> None:
    tokens = {json.dumps(r["Properties"]["ServiceToken"]) for r in built.template.find_resources(TYPE).values()}
    assert len(tokens) == 1


def test_a_default_name_is_derived_from_the_construct_path(built: Built) -> None:
    names = {r["Properties"]["DeploymentName"] for r in built.template.find_resources(TYPE).values()}
    (derived,) = names - {"chat"}
    assert 1 <= len(derived) <= 63 and "Other" in derived


def test_grant_invoke_allows_invoking_the_deployment_arn_only(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": Match.string_like_regexp("^App")}],
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
                        "Effect": "Allow",
                        "Resource": {"Ref": Match.string_like_regexp("^Chat")},
                    }
                ]
            },
        },
    )


def test_the_provider_may_create_and_swap_on_the_model_and_manage_only_deployments(built: Built) -> None:
    statements = _policy_statements(built.template)
    on_model = [s for s in statements if s["Resource"] == NOVA_MODEL]
    assert on_model and set(on_model[0]["Action"]) == {
        "bedrock:CreateCustomModelDeployment",
        "bedrock:UpdateCustomModelDeployment",
    }
    managing = [s for s in statements if "bedrock:DeleteCustomModelDeployment" in s["Action"]]
    assert managing and "custom-model-deployment/*" in json.dumps(managing[0]["Resource"])


def test_metrics_use_the_deployment_arn_as_model_id_by_default(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/Bedrock",
            "MetricName": "InvocationThrottles",
            "Dimensions": [{"Name": "ModelId", "Value": {"Ref": Match.string_like_regexp("^Chat")}}],
        },
    )


def test_metrics_model_id_overrides_the_dimension() -> None:
    stack = new_stack()
    deployment = CustomModelDeployment(stack, "D", model=NOVA_MODEL, metrics_model_id="my-dimension")
    assert deployment.metric_invocations().dimensions == {"ModelId": "my-dimension"}


def test_the_stack_has_no_unacknowledged_nag_findings(built: Built) -> None:
    assert nag_findings(built.stack) == []


def test_a_model_the_knowledge_base_does_not_mark_deployable_fails_with_what_is_allowed() -> None:
    with pytest.raises(ValueError, match=r"amazon.titan-text-express-v1.*cannot be deployed.*amazon.nova-micro-v1:0"):
        CustomModelDeployment(new_stack(), "D", model=TITAN_MODEL)


def test_a_region_without_deployments_fails_with_the_allowed_regions() -> None:
    stack = Stack(App(), "EU", env=Environment(account=ACCOUNT, region="eu-west-1"))
    with pytest.raises(ValueError, match=r"eu-west-1 does not offer.*allowed: us-east-1, us-west-2"):
        CustomModelDeployment(stack, "D", model=NOVA_MODEL)


def test_a_model_arn_of_another_region_fails() -> None:
    model = NOVA_MODEL.replace("us-east-1", "eu-central-1")
    with pytest.raises(ValueError, match=r"model's Region eu-central-1"):
        CustomModelDeployment(new_stack(), "D", model=model)


def test_a_token_model_needs_a_base_model_and_is_checked_against_it() -> None:
    stack = new_stack()
    token = Token.as_string({"Ref": "SomeModel"})
    with pytest.raises(ValueError, match="pass base_model="):
        CustomModelDeployment(stack, "NoBase", model=token)
    with pytest.raises(ValueError, match="cannot be deployed"):
        CustomModelDeployment(stack, "Titan", model=token, base_model="amazon.titan-text-express-v1")
    deployment = CustomModelDeployment(stack, "Nova", model=token, base_model="amazon.nova-lite-v1:0:300k")
    assert deployment.base_model_id == "amazon.nova-lite-v1:0"


def test_an_imported_model_needs_its_base_model() -> None:
    with pytest.raises(ValueError, match="does not name its base model"):
        CustomModelDeployment(new_stack(), "D", model=IMPORTED)
    assert (
        CustomModelDeployment(new_stack(), "D", model=IMPORTED, base_model="amazon.nova-pro-v1:0").model_arn == IMPORTED
    )


def test_a_string_that_is_no_custom_model_arn_fails() -> None:
    with pytest.raises(ValueError, match="model must be a custom model ARN"):
        CustomModelDeployment(new_stack(), "D", model="amazon.nova-micro-v1:0")


def test_a_bad_deployment_name_fails_with_the_rule() -> None:
    with pytest.raises(ValueError, match="deployment_name must be 1-63"):
        CustomModelDeployment(new_stack(), "D", model=NOVA_MODEL, deployment_name="bad name")


def test_a_models_file_can_mark_a_model_deployable(tmp_path: Path) -> None:
    models_file = tmp_path / "models.json"
    models_file.write_text(
        json.dumps(
            {
                "models": {
                    "amazon.titan-text-express-v1": {"custom_model_deployment": {"supported": True, "regions": None}}
                }
            }
        )
    )
    deployment = CustomModelDeployment(new_stack(), "D", model=TITAN_MODEL, models_file=models_file)
    assert deployment.base_model_id == "amazon.titan-text-express-v1"


def test_from_deployment_arn_grants_and_measures_an_existing_deployment() -> None:
    stack = new_stack()
    imported = CustomModelDeployment.from_deployment_arn(stack, "Existing", DEPLOYMENT_ARN)
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    imported.grant_invoke(role)
    assert imported.metric_invocations().dimensions == {"ModelId": DEPLOYMENT_ARN}
    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {"PolicyDocument": {"Statement": [Match.object_like({"Resource": DEPLOYMENT_ARN})]}},
    )


def test_from_deployment_arn_rejects_another_arn() -> None:
    with pytest.raises(ValueError, match="custom-model-deployment/"):
        CustomModelDeployment.from_deployment_arn(new_stack(), "X", NOVA_MODEL)
