"""ContentFilteredCount: the pattern against real-shaped invocation log records; the metric filter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template

from bedrock_ops.observability.content_filter import (
    CONTENT_FILTERED_RULES,
    ContentFilteredCountMetricFilter,
    content_filtered_filter_pattern,
    content_filtered_insights_filter,
)
from tests.cw_filter_pattern import matches

SAMPLES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "data" / "invocation_log_events.json").read_text())


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    app = cdk.App()
    stack = cdk.Stack(app, "Stack")
    group = logs.LogGroup(stack, "Invocations")
    ContentFilteredCountMetricFilter(stack, "ContentFiltered", log_group=group)
    return dict(Template.from_stack(stack).to_json())


def _metric_filter(template: dict[str, Any]) -> dict[str, Any]:
    filters = [r for r in template["Resources"].values() if r["Type"] == "AWS::Logs::MetricFilter"]
    assert len(filters) == 1
    props: dict[str, Any] = filters[0]["Properties"]
    return props


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["name"] for s in SAMPLES])
def test_synthesized_filter_pattern_matches_exactly_the_filtered_responses(
    template: dict[str, Any], sample: dict[str, Any]
) -> None:
    pattern = _metric_filter(template)["FilterPattern"]

    assert matches(pattern, json.dumps(sample["record"])) is sample["filtered"]


def test_every_rule_is_exercised_by_a_sample_record() -> None:
    pattern_per_rule = [f'{{ {selector} = "{value}" }}' for selector, value in CONTENT_FILTERED_RULES]
    filtered = [json.dumps(s["record"]) for s in SAMPLES if s["filtered"]]

    for rule_pattern in pattern_per_rule:
        assert any(matches(rule_pattern, record) for record in filtered), rule_pattern


def test_metric_goes_to_the_project_namespace_per_model_id(template: dict[str, Any]) -> None:
    assert _metric_filter(template)["MetricTransformations"] == [
        {
            "MetricNamespace": "BedrockOps",
            "MetricName": "ContentFilteredCount",
            "MetricValue": "1",
            "Dimensions": [{"Key": "ModelId", "Value": "$.modelId"}],
            "Unit": "Count",
        }
    ]


def test_filter_pattern_fits_the_cloudwatch_limit() -> None:
    assert len(content_filtered_filter_pattern()) <= 1024


def test_insights_filter_names_every_rule_with_dotted_array_indexes() -> None:
    clause = content_filtered_insights_filter()

    assert clause == (
        'filter output.outputBodyJson.stopReason = "content_filtered"'
        ' or output.outputBodyJson.stopReason = "guardrail_intervened"'
        ' or output.outputBodyJson.results.0.completionReason = "CONTENT_FILTERED"'
        ' or output.outputBodyJson.stop_reason = "refusal"'
    )


def test_metric_method_uses_the_filters_namespace_and_model_dimension() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    group = logs.LogGroup(stack, "G")
    metric_filter = ContentFilteredCountMetricFilter(stack, "F", log_group=group, namespace="Custom/Ops")

    metric = metric_filter.metric_content_filtered_count("amazon.nova-micro-v1:0")

    assert (metric.namespace, metric.metric_name, metric.dimensions) == (
        "Custom/Ops",
        "ContentFilteredCount",
        {"ModelId": "amazon.nova-micro-v1:0"},
    )


def test_an_aws_namespace_is_rejected() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    group = logs.LogGroup(stack, "G")

    with pytest.raises(ValueError, match=r"namespace must be a custom namespace.*'AWS/Bedrock'"):
        ContentFilteredCountMetricFilter(stack, "F", log_group=group, namespace="AWS/Bedrock")
