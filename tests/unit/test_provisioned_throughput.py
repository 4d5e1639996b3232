"""ProvisionedThroughput: singleton provider, least-privilege role, retain policy, cost guard, nag."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template

from bedrock_ops.cost.pricing import Commitment, load_pricing_table
from bedrock_ops.serving.provisioned_throughput import ProvisionedThroughput
from tests.support import nag_findings, new_stack

PT_TYPE = "Custom::BedrockProvisionedThroughput"


class Built:
    def __init__(self) -> None:
        self.stack = new_stack("PtStack")
        self.hourly = ProvisionedThroughput(
            self.stack,
            "Hourly",
            model="amazon.titan-text-express-v1:0:8k",
            provisioned_model_name="hourly-pt",
        )
        self.committed = ProvisionedThroughput(
            self.stack,
            "Committed",
            model="amazon.titan-text-lite-v1:0:4k",
            model_units=2,
            commitment=Commitment.SIX_MONTHS,
            acknowledge_commitment_cost=True,
            tags={"team": "ml"},
        )
        self.consumer = iam.Role(self.stack, "Consumer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        self.hourly.grant_invoke(self.consumer)
        self.template = Template.from_stack(self.stack)


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def _resources(template: Template, type_: str) -> dict[str, Any]:
    return dict(template.find_resources(type_))


def _pt(built: Built, name: str) -> dict[str, Any]:
    for resource in _resources(built.template, PT_TYPE).values():
        if resource["Properties"]["ProvisionedModelName"] == name:
            return dict(resource)
    raise AssertionError(f"no throughput named {name}")


def test_two_throughputs_share_one_provider(built: Built) -> None:
    tokens = {
        json.dumps(r["Properties"]["ServiceToken"], sort_keys=True)
        for r in _resources(built.template, PT_TYPE).values()
    }
    assert len(_resources(built.template, PT_TYPE)) == 2
    assert len(tokens) == 1


def test_properties_reach_the_handler(built: Built) -> None:
    built.template.has_resource_properties(
        PT_TYPE,
        {
            "ModelId": "amazon.titan-text-lite-v1:0:4k",
            "ModelUnits": 2,
            "CommitmentDuration": "SixMonths",
            "Tags": [{"Key": "team", "Value": "ml"}],
        },
    )


def test_service_timeout_bounds_a_crashed_handler(built: Built) -> None:
    built.template.has_resource_properties(PT_TYPE, {"ServiceTimeout": 2100})


def test_committed_throughput_is_retained_by_default(built: Built) -> None:
    resource = _pt(built, built.committed.provisioned_model_name)
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"


def test_no_commitment_throughput_is_deleted_with_the_stack(built: Built) -> None:
    assert _pt(built, "hourly-pt")["DeletionPolicy"] == "Delete"


def test_default_name_is_a_valid_provisioned_model_name(built: Built) -> None:
    name = built.committed.provisioned_model_name
    assert 1 <= len(name) <= 63
    assert name.replace("-", "").isalnum()


def test_handler_may_create_only_for_the_requested_models(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": [
                                    "bedrock:CreateProvisionedModelThroughput",
                                    "bedrock:UpdateProvisionedModelThroughput",
                                ],
                                "Resource": [
                                    "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1",
                                    "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k",
                                    "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-lite-v1",
                                    "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-lite-v1:0:4k",
                                ],
                            }
                        )
                    ]
                )
            }
        },
    )


def test_handler_manages_only_this_accounts_provisioned_models(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": Match.array_with(
                                    [
                                        "bedrock:DeleteProvisionedModelThroughput",
                                        "bedrock:GetProvisionedModelThroughput",
                                    ]
                                ),
                                "Resource": "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/*",
                            }
                        )
                    ]
                )
            }
        },
    )


def test_no_policy_grants_a_wildcard_action(built: Built) -> None:
    for policy in _resources(built.template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all("*" not in action for action in actions), actions


def test_no_role_has_managed_policies(built: Built) -> None:
    for role in _resources(built.template, "AWS::IAM::Role").values():
        assert not role["Properties"].get("ManagedPolicyArns")


def test_grant_invoke_scopes_invoke_to_the_provisioned_model(built: Built) -> None:
    logical_id = next(
        k
        for k, r in _resources(built.template, PT_TYPE).items()
        if r["Properties"]["ProvisionedModelName"] == "hourly-pt"
    )
    built.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": Match.string_like_regexp("Consumer")}],
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
                        "Effect": "Allow",
                        "Resource": {"Ref": logical_id},
                    }
                ]
            },
        },
    )


def test_metrics_use_the_provisioned_model_arn_as_model_id(built: Built) -> None:
    metric = built.hourly.metric_invocation_latency()
    assert metric.namespace == "AWS/Bedrock"
    assert metric.metric_name == "InvocationLatency"
    assert metric.statistic == "Average"
    assert metric.dimensions == {"ModelId": built.hourly.provisioned_model_arn}


def test_stack_output_states_hourly_and_monthly_cost(built: Built) -> None:
    rate = load_pricing_table().price("amazon.titan-text-express-v1")
    assert rate is not None
    hourly = rate.provisioned_per_model_unit_hour[Commitment.NO_COMMITMENT]
    outputs = built.template.find_outputs("*")
    values = [o["Value"] for o in outputs.values()]
    expected = f"USD {hourly:,.2f}/hour, USD {hourly * 730:,.2f}/month (1 model unit(s), NoCommitment); rate as of"
    assert any(str(v).startswith(expected) for v in values), values


def test_estimated_costs_are_attributes(built: Built) -> None:
    rate = load_pricing_table().price("amazon.titan-text-lite-v1")
    assert rate is not None
    hourly = 2 * rate.provisioned_per_model_unit_hour[Commitment.SIX_MONTHS]
    assert built.committed.estimated_hourly_cost == pytest.approx(hourly)
    assert built.committed.estimated_monthly_cost == pytest.approx(730 * hourly)


def test_stack_passes_aws_solutions_checks(built: Built) -> None:
    assert nag_findings(built.stack) == []


# --- synth-time failures (a fresh stack each: these never reach a template) ---------------------


def _stack() -> cdk.Stack:
    return new_stack("Guard")


def test_committed_throughput_without_acknowledgment_fails_with_the_term_cost() -> None:
    rate = load_pricing_table().price("amazon.titan-text-express-v1")
    assert rate is not None
    term = 3 * rate.provisioned_per_model_unit_hour[Commitment.ONE_MONTH] * 730
    with pytest.raises(ValueError) as excinfo:
        ProvisionedThroughput(
            _stack(), "Pt", model="amazon.titan-text-express-v1:0:8k", model_units=3, commitment="OneMonth"
        )
    message = str(excinfo.value)
    assert f"USD {term:,.2f} for the 1-month term" in message
    assert "acknowledge_commitment_cost=True" in message
    assert "provisioned_throughput.acknowledge_commitment_cost" in message


def test_committed_throughput_without_a_known_price_still_needs_acknowledgment() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1:0:8k/abcdef123456"
    with pytest.raises(ValueError, match="cost of the term is unknown"):
        ProvisionedThroughput(_stack(), "Pt", model=arn, commitment=Commitment.SIX_MONTHS)


def test_custom_model_is_priced_as_its_base_model() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1:0:8k/abcdef123456"
    pt = ProvisionedThroughput(_stack(), "Pt", model=arn, base_model_id="amazon.titan-text-express-v1")
    rate = load_pricing_table().price("amazon.titan-text-express-v1")
    assert rate is not None
    assert pt.estimated_hourly_cost == rate.provisioned_per_model_unit_hour[Commitment.NO_COMMITMENT]


def test_customization_output_is_accepted_as_the_model() -> None:
    class CustomModel:
        custom_model_arn = (
            "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/abcdef123456"
        )
        base_model_id = "amazon.nova-micro-v1:0"

    pt = ProvisionedThroughput(_stack(), "Pt", model=CustomModel())
    assert pt.model_id == CustomModel.custom_model_arn


def test_unknown_model_fails_with_did_you_mean() -> None:
    with pytest.raises(ValueError, match=r"did you mean 'amazon.titan-text-express-v1"):
        ProvisionedThroughput(_stack(), "Pt", model="amazon.titan-text-expres-v1")


def test_model_without_provisioned_throughput_is_rejected() -> None:
    with pytest.raises(ValueError, match="not offered with provisioned throughput"):
        ProvisionedThroughput(_stack(), "Pt", model="mistral.mistral-large-2402-v1:0")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model_units": 0}, r"model_units must be an integer 1-100 model unit\(s\) .*got 0"),
        (
            {"commitment": "OneYear"},
            "commitment: 'OneYear' is not a Commitment; allowed: NoCommitment, OneMonth, SixMonths",
        ),
        ({"provisioned_model_name": "bad name!"}, "provisioned_model_name must be 1-63"),
        ({"timeout": cdk.Duration.hours(2)}, "timeout must be 5-60 minutes, got 120 minutes"),
    ],
)
def test_bad_props_fail_naming_the_prop(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ProvisionedThroughput(_stack(), "Pt", model="amazon.titan-text-express-v1:0:8k", **kwargs)


def test_destroy_on_a_committed_throughput_warns_that_delete_will_fail() -> None:
    stack = _stack()
    ProvisionedThroughput(
        stack,
        "Pt",
        model="amazon.titan-text-express-v1:0:8k",
        commitment=Commitment.ONE_MONTH,
        acknowledge_commitment_cost=True,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    Annotations.from_stack(stack).has_warning(
        "/Guard/Pt", Match.string_like_regexp("cannot be deleted before its term ends")
    )


def test_a_plain_base_model_id_fails_with_the_context_variants_that_can_be_bought() -> None:
    with pytest.raises(ValueError) as excinfo:
        ProvisionedThroughput(_stack(), "Pt", model="amazon.nova-lite-v1:0")
    assert (
        "amazon.nova-lite-v1:0 needs a context variant for provisioned throughput: one of "
        "amazon.nova-lite-v1:0:300k, amazon.nova-lite-v1:0:24k"
    ) in str(excinfo.value)


def test_an_inference_profile_is_not_a_model_provisioned_throughput_can_buy() -> None:
    with pytest.raises(ValueError, match="needs a context variant for provisioned throughput: one of"):
        ProvisionedThroughput(_stack(), "Pt", model="us.amazon.nova-pro-v1:0")


def test_a_foundation_model_arn_of_the_plain_id_fails_like_the_plain_id() -> None:
    arn = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1"
    with pytest.raises(ValueError, match=r"one of amazon\.titan-text-express-v1:0:8k"):
        ProvisionedThroughput(_stack(), "Pt", model=arn)


@pytest.mark.parametrize(
    "variant", ["amazon.nova-lite-v1:0:24k", "amazon.nova-micro-v1:0:24k", "amazon.nova-pro-v1:0:24k"]
)
def test_the_documented_24k_nova_variants_are_accepted(variant: str) -> None:
    pt = ProvisionedThroughput(_stack(), "Pt", model=variant)
    assert pt.model_id == variant


@pytest.mark.parametrize(
    ("model", "name"),
    [
        ("amazon.titan-image-generator-v1:0", "Titan Image Generator G1"),
        ("amazon.titan-image-generator-v2:0", "Titan Image Generator G1 v2"),
    ],
)
def test_titan_image_generator_without_a_commitment_fails_naming_the_commitments_allowed(model: str, name: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        ProvisionedThroughput(_stack(), "Pt", model=model)
    message = str(excinfo.value)
    assert "cannot be bought without a commitment: commitment must be one of OneMonth, SixMonths" in message
    assert name in message


def test_titan_image_generator_with_an_acknowledged_commitment_is_accepted() -> None:
    pt = ProvisionedThroughput(
        _stack(),
        "Pt",
        model="amazon.titan-image-generator-v2:0",
        commitment=Commitment.ONE_MONTH,
        acknowledge_commitment_cost=True,
    )
    assert pt.commitment is Commitment.ONE_MONTH


def test_no_commitment_where_the_docs_are_silent_warns_that_it_is_unconfirmed() -> None:
    stack = _stack()
    ProvisionedThroughput(stack, "Pt", model="cohere.command-text-v14:7:4k")
    Annotations.from_stack(stack).has_warning("*", Match.string_like_regexp("can be bought without a commitment"))


def test_custom_model_arns_and_tokens_skip_the_variant_check() -> None:
    stack = _stack()
    arn = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-lite-v1:0:300k/abcdef123456"
    assert ProvisionedThroughput(stack, "Custom", model=arn).model_id == arn
    token = cdk.Fn.import_value("CustomModelArn")
    assert ProvisionedThroughput(stack, "Token", model=token).model_id == token
