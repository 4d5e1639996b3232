from __future__ import annotations

import pytest
from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from bedrock_ops import BedrockKmsKey
from tests.support import nag_findings, new_stack


@pytest.fixture(scope="module")
def template() -> Template:
    stack = new_stack()
    key = BedrockKmsKey(stack, "Key", alias="alias/test")
    role = iam.Role(stack, "Grantee", assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com"))
    key.grant_bedrock_use(role)
    assert nag_findings(stack) == []
    return Template.from_stack(stack)


def test_key_rotation_is_enabled_and_key_is_retained(template: Template) -> None:
    template.has_resource(
        "AWS::KMS::Key",
        {"Properties": Match.object_like({"EnableKeyRotation": True}), "DeletionPolicy": "Retain"},
    )


def test_key_policy_lets_the_account_use_the_key_only_via_bedrock(template: Template) -> None:
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "AllowBedrockUseOnlyViaBedrockForThisAccount",
                                "Action": [
                                    "kms:CreateGrant",
                                    "kms:Decrypt",
                                    "kms:DescribeKey",
                                    "kms:GenerateDataKey",
                                ],
                                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                "Condition": {
                                    "StringEquals": {
                                        "kms:ViaService": "bedrock.us-east-1.amazonaws.com",
                                        "kms:CallerAccount": "123456789012",
                                    }
                                },
                            }
                        )
                    ]
                )
            }
        },
    )


def test_grant_bedrock_use_is_conditioned_on_bedrock_via_service(template: Template) -> None:
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Action": [
                                "kms:CreateGrant",
                                "kms:Decrypt",
                                "kms:DescribeKey",
                                "kms:GenerateDataKey",
                            ],
                            "Condition": {"StringEquals": {"kms:ViaService": "bedrock.us-east-1.amazonaws.com"}},
                            "Resource": {"Fn::GetAtt": [Match.string_like_regexp("^Key"), "Arn"]},
                        }
                    )
                ]
            }
        },
    )


def test_alias_is_created(template: Template) -> None:
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/test"})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pending_window": Duration.days(3)}, "pending_window must be 7-30 days, got 3"),
        ({"alias": "bedrock"}, "alias must start with 'alias/', got 'bedrock'"),
    ],
)
def test_invalid_props_are_rejected_with_the_allowed_range(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BedrockKmsKey(new_stack(), "Key", **kwargs)  # type: ignore[arg-type]
