from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from bedrock_ops import BedrockJobType, BedrockKmsKey, BedrockServiceRole, TrainingDataBucket
from tests.support import nag_findings, new_stack


def _build(job_type: BedrockJobType, *, vpc: bool = False) -> tuple[Template, list[str]]:
    stack = new_stack()
    key = BedrockKmsKey(stack, "Key")
    data = TrainingDataBucket(stack, "Data", encryption_key=key)
    role = BedrockServiceRole(stack, "Service", job_type=job_type, data_bucket=data, custom_model_key=key)
    if vpc:
        subnet = ec2.Subnet.from_subnet_id(stack, "Subnet", "subnet-0123")
        group = ec2.SecurityGroup.from_security_group_id(stack, "Group", "sg-0123")
        role.add_vpc_permissions([subnet], [group])
    passer = iam.Role(stack, "Passer", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
    role.grant_pass_role(passer)
    return Template.from_stack(stack), nag_findings(stack)


@pytest.fixture(scope="module")
def customization() -> tuple[Template, list[str]]:
    return _build(BedrockJobType.MODEL_CUSTOMIZATION, vpc=True)


@pytest.fixture(scope="module")
def evaluation() -> tuple[Template, list[str]]:
    return _build(BedrockJobType.EVALUATION)


def _service_role(template: Template) -> Mapping[str, Any]:
    roles = template.find_resources("AWS::IAM::Role")
    (role,) = [r for name, r in roles.items() if name.startswith("ServiceRole")]
    return role


def _service_statements(template: Template) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::Policy")
    (policy,) = [p for name, p in policies.items() if name.startswith("ServiceRoleDefaultPolicy")]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_trust_policy_is_scoped_to_this_accounts_customization_jobs(
    customization: tuple[Template, list[str]],
) -> None:
    trust = _service_role(customization[0])["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "123456789012"},
                "ArnEquals": {"aws:SourceArn": "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/*"},
            },
            "Effect": "Allow",
            "Principal": {"Service": "bedrock.amazonaws.com"},
        }
    ]


def test_trust_policy_of_an_evaluation_role_names_evaluation_jobs(
    evaluation: tuple[Template, list[str]],
) -> None:
    trust = _service_role(evaluation[0])["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Condition"]["ArnEquals"] == {
        "aws:SourceArn": "arn:aws:bedrock:us-east-1:123456789012:evaluation-job/*"
    }


def test_no_managed_policies_and_no_wildcard_actions(
    customization: tuple[Template, list[str]], evaluation: tuple[Template, list[str]]
) -> None:
    for template, _ in (customization, evaluation):
        assert "ManagedPolicyArns" not in _service_role(template)["Properties"]
        for statement in _service_statements(template):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all("*" not in action for action in actions), statement


def test_customization_role_reads_training_data_and_writes_output(
    customization: tuple[Template, list[str]],
) -> None:
    text = json.dumps(_service_statements(customization[0]))
    for prefix in ("/training/*", "/validation/*", "/output/*"):
        assert prefix in text
    assert "/evaluation/" not in text


def test_evaluation_role_reads_evaluation_data_and_writes_results_only(
    evaluation: tuple[Template, list[str]],
) -> None:
    text = json.dumps(_service_statements(evaluation[0]))
    assert "/evaluation/*" in text and "/evaluation/results/*" in text
    assert "/training/" not in text and "/output/" not in text


def test_custom_model_key_is_granted_only_via_bedrock(customization: tuple[Template, list[str]]) -> None:
    statements = _service_statements(customization[0])
    key_statement = next(s for s in statements if "kms:CreateGrant" in s["Action"])
    assert key_statement["Condition"] == {"StringEquals": {"kms:ViaService": "bedrock.us-east-1.amazonaws.com"}}


def test_vpc_interfaces_are_created_only_with_bedrock_request_tags(
    customization: tuple[Template, list[str]],
) -> None:
    statements = _service_statements(customization[0])
    create = next(
        s
        for s in statements
        if s["Action"] == "ec2:CreateNetworkInterface" and "network-interface/*" in json.dumps(s["Resource"])
    )
    assert create["Condition"] == {
        "StringEquals": {"aws:RequestTag/BedrockManaged": "true"},
        "ArnEquals": {
            "aws:RequestTag/BedrockModelCustomizationJobArn": (
                "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/*"
            )
        },
    }
    manage = next(s for s in statements if "ec2:DeleteNetworkInterface" in s["Action"])
    assert manage["Condition"]["ArnEquals"]["ec2:Subnet"] == ["arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0123"]
    assert manage["Condition"]["StringEquals"] == {"ec2:ResourceTag/BedrockManaged": "true"}
    tags = next(s for s in statements if s["Action"] == "ec2:CreateTags")
    assert tags["Condition"]["StringEquals"] == {"ec2:CreateAction": ["CreateNetworkInterface"]}


def test_pass_role_is_limited_to_bedrock(customization: tuple[Template, list[str]]) -> None:
    policies = customization[0].find_resources("AWS::IAM::Policy")
    (passer,) = [p for name, p in policies.items() if name.startswith("PasserDefaultPolicy")]
    (statement,) = passer["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "iam:PassRole"
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}


def test_roles_pass_cdk_nag(customization: tuple[Template, list[str]], evaluation: tuple[Template, list[str]]) -> None:
    assert customization[1] == []
    assert evaluation[1] == []


def test_vpc_permissions_are_refused_for_evaluation_roles() -> None:
    stack = new_stack()
    role = BedrockServiceRole(stack, "Service", job_type=BedrockJobType.EVALUATION)
    subnet = ec2.Subnet.from_subnet_id(stack, "Subnet", "subnet-0123")
    group = ec2.SecurityGroup.from_security_group_id(stack, "Group", "sg-0123")
    with pytest.raises(ValueError, match="VPC permissions apply to model customization roles"):
        role.add_vpc_permissions([subnet], [group])


def test_allow_invoke_models_grants_exactly_the_given_models() -> None:
    stack = new_stack()
    role = BedrockServiceRole(stack, "Service", job_type=BedrockJobType.EVALUATION)
    arn = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0"
    role.allow_invoke_models(arn)
    statements = _service_statements(Template.from_stack(stack))
    assert statements == [{"Action": "bedrock:InvokeModel", "Effect": "Allow", "Resource": arn}]
