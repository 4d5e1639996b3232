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
    MAX_FILTER_PATTERN_LENGTH,
    STREAM_EVENT_POSITIONS,
    STREAM_RULES,
    ContentFilteredCountMetricFilter,
    content_filtered_filter_pattern,
    content_filtered_insights_filter,
    stream_filter_patterns,
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


def _metric_filters(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Logs::MetricFilter"]


def _count(template: dict[str, Any], record: dict[str, Any]) -> int:
    """What the metric filters add to ContentFilteredCount for one log event."""
    return sum(matches(f["FilterPattern"], json.dumps(record)) for f in _metric_filters(template))


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["name"] for s in SAMPLES])
def test_synthesized_filters_count_each_filtered_response_once_and_nothing_else(
    template: dict[str, Any], sample: dict[str, Any]
) -> None:
    expected = 1 if sample.get("counted", sample["filtered"]) else 0

    assert _count(template, sample["record"]) == expected


def test_the_only_uncounted_filtered_samples_are_streams_stopped_past_the_tested_positions() -> None:
    uncounted = [s for s in SAMPLES if s["filtered"] and not s.get("counted", True)]

    assert [s["name"] for s in uncounted] == ["converse_stream_content_filtered_after_many_events"]
    (events,) = [s["record"]["output"]["outputBodyJson"] for s in uncounted]
    assert next(i for i, e in enumerate(events) if "messageStop" in e) >= STREAM_EVENT_POSITIONS


def test_every_rule_is_exercised_by_a_sample_record() -> None:
    patterns = [f'{{ {selector} = "{value}" }}' for selector, value in CONTENT_FILTERED_RULES]
    patterns += list(stream_filter_patterns().values())
    filtered = [json.dumps(s["record"]) for s in SAMPLES if s["filtered"]]

    for rule_pattern in patterns:
        assert any(matches(rule_pattern, record) for record in filtered), rule_pattern


def test_every_filter_writes_the_project_namespace_per_logged_model_id(template: dict[str, Any]) -> None:
    filters = _metric_filters(template)

    assert len(filters) == 1 + len(STREAM_RULES)
    for metric_filter in filters:
        assert metric_filter["MetricTransformations"] == [
            {
                "MetricNamespace": "BedrockOps",
                "MetricName": "ContentFilteredCount",
                "MetricValue": "1",
                "Dimensions": [{"Key": "ModelId", "Value": "$.modelId"}],
                "Unit": "Count",
            }
        ]


def test_every_filter_pattern_fits_the_cloudwatch_limit_and_streams_are_tested_at_ten_positions_or_more() -> None:
    assert len(content_filtered_filter_pattern()) <= MAX_FILTER_PATTERN_LENGTH
    assert all(len(p) <= MAX_FILTER_PATTERN_LENGTH for p in stream_filter_patterns().values())
    assert STREAM_EVENT_POSITIONS >= 10


def test_a_call_through_a_profile_arn_is_counted_under_the_arn_it_was_logged_with(template: dict[str, Any]) -> None:
    (sample,) = [s for s in SAMPLES if s["name"] == "converse_through_system_profile_arn_content_filtered"]

    assert _count(template, sample["record"]) == 1
    assert sample["record"]["modelId"].endswith(":inference-profile/us.meta.llama3-2-1b-instruct-v1:0")


def test_insights_filter_names_every_rule_with_dotted_array_indexes_and_matches_streams_by_text() -> None:
    clause = content_filtered_insights_filter()

    assert clause.startswith(
        'filter output.outputBodyJson.stopReason = "content_filtered"'
        ' or output.outputBodyJson.stopReason = "guardrail_intervened"'
        ' or output.outputBodyJson.results.0.completionReason = "CONTENT_FILTERED"'
        ' or output.outputBodyJson.stop_reason = "refusal"'
        ' or output.outputBodyJson.`amazon-bedrock-guardrailAction` = "INTERVENED"'
    )
    assert clause.endswith(
        ' or @message like /"(amazon-bedrock-guardrailAction|completionReason|stopReason|stop_reason)":\\s*'
        '"(CONTENT_FILTERED|INTERVENED|content_filtered|guardrail_intervened|refusal)"/'
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
