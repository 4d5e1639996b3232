"""ModelAccess: a check per model on one provider, the one account-level form, agreements on request, nag."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template

from bedrock_ops.access.model_access import ModelAccess
from tests.support import nag_findings, new_stack

TYPE = "Custom::BedrockModelAccess"
FORM_TYPE = "Custom::BedrockUseCaseForm"
LLAMA = "meta.llama3-1-8b-instruct-v1:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
FORM = {
    "companyName": "Example Corp",
    "companyWebsite": "https://example.com",
    "intendedUsers": "0",
    "industryOption": "Technology",
    "useCases": "Internal support assistant",
}


class Built:
    def __init__(self) -> None:
        self.stack = new_stack("AccessStack")
        self.access = ModelAccess(
            self.stack,
            "Access",
            models=[f"{HAIKU}:200k", "amazon.nova-lite-v1:0", HAIKU],
            use_case_form=FORM,
        )
        self.more = ModelAccess(self.stack, "More", models=["amazon.titan-text-express-v1"])
        self.template = Template.from_stack(self.stack)


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def _statements(built: Built) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in built.template.find_resources("AWS::IAM::Policy").values():
        statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_one_resource_per_distinct_model(built: Built) -> None:
    built.template.resource_count_is(TYPE, 3)
    assert built.access.model_ids == (HAIKU, "amazon.nova-lite-v1:0")


def test_all_model_access_resources_share_one_provider(built: Built) -> None:
    tokens = {str(r["Properties"]["ServiceToken"]) for r in built.template.find_resources(TYPE).values()}
    assert len(tokens) == 1


def test_one_account_level_form_resource_not_one_per_model(built: Built) -> None:
    built.template.resource_count_is(FORM_TYPE, 1)
    built.template.has_resource_properties(FORM_TYPE, {"FormData": Match.object_like(FORM)})
    for resource in built.template.find_resources(TYPE).values():
        assert "UseCaseForm" not in resource["Properties"]


def test_anthropic_models_wait_for_the_form_and_others_do_not(built: Built) -> None:
    (form_id,) = built.template.find_resources(FORM_TYPE)
    by_model = {r["Properties"]["ModelId"]: r for r in built.template.find_resources(TYPE).values()}
    assert form_id in by_model[HAIKU].get("DependsOn", [])
    assert form_id not in by_model["amazon.nova-lite-v1:0"].get("DependsOn", [])


def test_only_an_availability_check_by_default(built: Built) -> None:
    built.template.has_resource_properties(TYPE, {"ModelId": HAIKU, "AcceptAgreement": False})
    assert not {a for a in _actions(built) if a.startswith("aws-marketplace:") or "Agreement" in a}


def test_service_timeout_is_set(built: Built) -> None:
    built.template.has_resource_properties(TYPE, {"ServiceTimeout": 1200, "AgreementWaitSeconds": 960})


def _actions(built: Built) -> set[str]:
    found: set[str] = set()
    for statement in _statements(built):
        action = statement["Action"]
        found.update(action if isinstance(action, list) else [action])
    return found


def test_handler_roles_get_only_the_check_and_the_form_actions(built: Built) -> None:
    access_actions = {
        a for a in _actions(built) if a.startswith("aws-marketplace:") or "FoundationModelA" in a or "UseCase" in a
    }
    assert access_actions == {
        "bedrock:GetFoundationModelAvailability",
        "bedrock:GetUseCaseForModelAccess",
        "bedrock:PutUseCaseForModelAccess",
    }


def test_nothing_can_delete_an_agreement(built: Built) -> None:
    assert "bedrock:DeleteFoundationModelAgreement" not in _actions(built)


def test_attributes_are_custom_resource_attributes(built: Built) -> None:
    stack = built.stack
    resolved = stack.resolve(built.access.authorization_status(HAIKU))
    assert resolved["Fn::GetAtt"][1] == "AuthorizationStatus"


def test_stack_passes_aws_solutions_checks(built: Built) -> None:
    assert nag_findings(built.stack) == []


def _stack() -> cdk.Stack:
    return new_stack("Guard")


def test_accept_agreements_applies_to_marketplace_models_only_and_grants_the_agreement_actions() -> None:
    stack = _stack()
    ModelAccess(stack, "Access", models=["amazon.nova-lite-v1:0", LLAMA], accept_agreements=True)
    template = Template.from_stack(stack)
    template.has_resource_properties(TYPE, {"ModelId": LLAMA, "AcceptAgreement": True})
    template.has_resource_properties(TYPE, {"ModelId": "amazon.nova-lite-v1:0", "AcceptAgreement": False})
    granted: set[str] = set()
    for policy in template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            action = statement["Action"]
            granted.update(action if isinstance(action, list) else [action])
    assert {
        "bedrock:ListFoundationModelAgreementOffers",
        "bedrock:CreateFoundationModelAgreement",
        "aws-marketplace:Subscribe",
        "aws-marketplace:ViewSubscriptions",
    } <= granted
    assert nag_findings(stack) == []


def test_two_model_access_constructs_share_the_stacks_one_form() -> None:
    stack = _stack()
    first = ModelAccess(stack, "A", models=[HAIKU], use_case_form=FORM)
    second = ModelAccess(stack, "B", models=["anthropic.claude-v2"], use_case_form=FORM)
    assert first.use_case_form is second.use_case_form
    Template.from_stack(stack).resource_count_is(FORM_TYPE, 1)


def test_a_second_different_form_in_one_stack_fails_the_synth() -> None:
    stack = _stack()
    ModelAccess(stack, "A", models=[HAIKU], use_case_form=FORM)
    with pytest.raises(ValueError, match="already has an Anthropic use-case form"):
        ModelAccess(stack, "B", models=[HAIKU], use_case_form={**FORM, "companyName": "Other"})


def test_an_anthropic_model_without_a_form_warns_that_the_account_needs_one() -> None:
    stack = _stack()
    ModelAccess(stack, "Access", models=[HAIKU])
    Annotations.from_stack(stack).has_warning("*", Match.string_like_regexp("need\\(s\\) the Anthropic use-case form"))
    Template.from_stack(stack).resource_count_is(FORM_TYPE, 0)


def test_grant_marketplace_subscription_gives_the_three_marketplace_actions() -> None:
    stack = _stack()
    role = iam.Role(stack, "App", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    ModelAccess.grant_marketplace_subscription(role)
    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": [
                            "aws-marketplace:Subscribe",
                            "aws-marketplace:Unsubscribe",
                            "aws-marketplace:ViewSubscriptions",
                        ],
                        "Effect": "Allow",
                        "Resource": "*",
                    }
                ]
            }
        },
    )
    assert nag_findings(stack) == []


def test_unknown_model_fails_the_synth_with_did_you_mean() -> None:
    with pytest.raises(ValueError, match=r"models\[1\] 'amazon.nova-lyte-v1:0' .*did you mean 'amazon.nova-lite-v1:0'"):
        ModelAccess(_stack(), "Access", models=["amazon.nova-pro-v1:0", "amazon.nova-lyte-v1:0"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"models": []}, "models must list at least one foundation model id"),
        ({"offer_type": "PRIVATE"}, "offer_type must be one of PUBLIC, ALL, got 'PRIVATE'"),
        ({"use_case_form": {**FORM, "intendedUsers": "7"}}, "intendedUsers must be 0 .* got '7'"),
        ({"use_case_form": {"companyName": "x"}}, "use_case_form must set companyWebsite, useCases"),
        ({"use_case_form": {**FORM, "favouriteColour": "blue"}}, "unknown field\\(s\\) favouriteColour"),
    ],
)
def test_bad_props_fail_naming_the_prop(kwargs: dict[str, Any], message: str) -> None:
    props: dict[str, Any] = {"models": [HAIKU], **kwargs}
    with pytest.raises(ValueError, match=message):
        ModelAccess(_stack(), "Access", **props)
