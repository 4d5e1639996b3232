"""ModelAccess: one resource per model on one provider, least-privilege role, catalog check, nag."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from bedrock_ops.access.model_access import ModelAccess
from tests.support import nag_findings, new_stack

TYPE = "Custom::BedrockModelAccess"
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


def test_form_goes_only_to_models_that_need_it(built: Built) -> None:
    built.template.has_resource_properties(
        TYPE, {"ModelId": HAIKU, "RequiresUseCaseForm": True, "UseCaseForm": Match.object_like(FORM)}
    )
    built.template.has_resource_properties(
        TYPE,
        {"ModelId": "amazon.nova-lite-v1:0", "RequiresUseCaseForm": False, "UseCaseForm": Match.absent()},
    )


def test_access_is_kept_on_delete_by_default(built: Built) -> None:
    built.template.has_resource_properties(TYPE, {"ModelId": HAIKU, "RevokeAgreementOnDelete": False})


def test_service_timeout_is_set(built: Built) -> None:
    built.template.has_resource_properties(TYPE, {"ServiceTimeout": 1500})


def _actions(built: Built) -> set[str]:
    found: set[str] = set()
    for statement in _statements(built):
        action = statement["Action"]
        found.update(action if isinstance(action, list) else [action])
    return found


def test_handler_role_gets_only_the_access_actions(built: Built) -> None:
    access_actions = {
        a for a in _actions(built) if a.startswith("aws-marketplace:") or "FoundationModelA" in a or "UseCase" in a
    }
    assert access_actions == {
        "bedrock:GetFoundationModelAvailability",
        "bedrock:ListFoundationModelAgreementOffers",
        "bedrock:CreateFoundationModelAgreement",
        "bedrock:GetUseCaseForModelAccess",
        "bedrock:PutUseCaseForModelAccess",
        "aws-marketplace:Subscribe",
        "aws-marketplace:ViewSubscriptions",
    }


def test_revoke_is_not_granted_unless_asked(built: Built) -> None:
    actions = [a for s in _statements(built) for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])]
    assert "bedrock:DeleteFoundationModelAgreement" not in actions
    assert "aws-marketplace:Unsubscribe" not in actions


def test_attributes_are_custom_resource_attributes(built: Built) -> None:
    stack = built.stack
    resolved = stack.resolve(built.access.authorization_status(HAIKU))
    assert resolved["Fn::GetAtt"][1] == "AuthorizationStatus"


def test_stack_passes_aws_solutions_checks(built: Built) -> None:
    assert nag_findings(built.stack) == []


def _stack() -> cdk.Stack:
    return new_stack("Guard")


def test_revoke_option_grants_the_revoke_actions() -> None:
    stack = _stack()
    ModelAccess(stack, "Access", models=["amazon.nova-lite-v1:0"], revoke_agreement_on_delete=True)
    template = Template.from_stack(stack)
    template.has_resource_properties(TYPE, {"RevokeAgreementOnDelete": True})
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Action": Match.array_with(["bedrock:DeleteFoundationModelAgreement"])})]
                )
            }
        },
    )


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
