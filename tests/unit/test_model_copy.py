"""ModelCopy: copyable models and destination Regions from the knowledge base, one resource per Region, IAM."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Template

from bedrock_ops.serving.model_copy import ModelCopy
from tests.support import ACCOUNT, nag_findings, new_stack

NOVA = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k/abcdefghijkl"
PREMIER = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/amazon.titan-text-premier-v1:0:32k/abcdefghijkl"


def test_one_copy_per_region_with_the_copied_model_arns_as_attributes() -> None:
    stack = new_stack()
    copies = ModelCopy(stack, "Copies", source_model=NOVA, target_regions=["us-west-2", "eu-west-1"])
    template = Template.from_stack(stack)
    template.resource_count_is("Custom::BedrockModelCopy", 2)
    template.has_resource_properties("Custom::BedrockModelCopy", {"SourceModelArn": NOVA, "TargetRegion": "eu-west-1"})
    assert set(copies.copied_model_arns) == {"us-west-2", "eu-west-1"}
    assert nag_findings(stack) == []


def test_the_provider_deletes_copies_only_in_the_destination_regions() -> None:
    stack = new_stack()
    ModelCopy(stack, "Copies", source_model=NOVA, target_regions=["us-west-2"])
    statements = [
        statement
        for policy in Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    (deleting,) = [s for s in statements if "bedrock:DeleteCustomModel" in s["Action"]]
    assert json.dumps(deleting["Resource"]).count(":bedrock:us-west-2:123456789012:custom-model/*") == 1
    (creating,) = [s for s in statements if s["Action"] == "bedrock:CreateModelCopyJob"]
    assert creating["Resource"] == NOVA


def test_a_destination_the_knowledge_base_does_not_list_fails_with_the_allowed_regions() -> None:
    with pytest.raises(ValueError, match=r"cannot be copied to sa-east-1; allowed: .*us-west-2"):
        ModelCopy(new_stack(), "C", source_model=NOVA, target_regions=["sa-east-1"])


def test_a_model_that_cannot_be_copied_fails() -> None:
    with pytest.raises(ValueError, match="cannot be copied to another Region"):
        ModelCopy(new_stack(), "C", source_model=PREMIER, target_regions=["us-west-2"])


def test_the_source_region_is_not_a_destination() -> None:
    with pytest.raises(ValueError, match="source model's Region us-east-1"):
        ModelCopy(new_stack(), "C", source_model=NOVA, target_regions=["us-east-1"])


def test_no_region_fails() -> None:
    with pytest.raises(ValueError, match="at least one Region"):
        ModelCopy(new_stack(), "C", source_model=NOVA, target_regions=[])
