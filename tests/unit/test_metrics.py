"""Metric factories: namespace, metric name, dimensions and default statistic of every method."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from bedrock_ops.observability.metrics import (
    BedrockLoggingMetrics,
    BedrockModelMetrics,
    BedrockOpsMetrics,
    GuardrailMetrics,
    search_expression,
)

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
GUARDRAIL = "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123"
model = BedrockModelMetrics(MODEL)
logging_metrics = BedrockLoggingMetrics()
guardrail = GuardrailMetrics(GUARDRAIL, "3")
ops = BedrockOpsMetrics(MODEL)

MODEL_DIM = {"ModelId": MODEL}
GUARDRAIL_DIM = {"GuardrailArn": GUARDRAIL, "GuardrailVersion": "3"}

CASES: list[tuple[Callable[[], cloudwatch.Metric], str, str, dict[str, str] | None, str]] = [
    (model.metric_invocations, "AWS/Bedrock", "Invocations", MODEL_DIM, "Sum"),
    (model.metric_invocation_latency, "AWS/Bedrock", "InvocationLatency", MODEL_DIM, "p90"),
    (model.metric_time_to_first_token, "AWS/Bedrock", "TimeToFirstToken", MODEL_DIM, "p90"),
    (model.metric_invocation_client_errors, "AWS/Bedrock", "InvocationClientErrors", MODEL_DIM, "Sum"),
    (model.metric_invocation_server_errors, "AWS/Bedrock", "InvocationServerErrors", MODEL_DIM, "Sum"),
    (model.metric_invocation_throttles, "AWS/Bedrock", "InvocationThrottles", MODEL_DIM, "Sum"),
    (model.metric_input_token_count, "AWS/Bedrock", "InputTokenCount", MODEL_DIM, "Sum"),
    (model.metric_output_token_count, "AWS/Bedrock", "OutputTokenCount", MODEL_DIM, "Sum"),
    (model.metric_output_image_count, "AWS/Bedrock", "OutputImageCount", MODEL_DIM, "Sum"),
    (model.metric_cache_read_input_tokens, "AWS/Bedrock", "CacheReadInputTokens", MODEL_DIM, "Sum"),
    (model.metric_cache_write_input_tokens, "AWS/Bedrock", "CacheWriteInputTokens", MODEL_DIM, "Sum"),
    (model.metric_estimated_tpm_quota_usage, "AWS/Bedrock", "EstimatedTPMQuotaUsage", MODEL_DIM, "Sum"),
    (model.metric_legacy_model_invocations, "AWS/Bedrock", "LegacyModelInvocations", MODEL_DIM, "Sum"),
    (
        logging_metrics.metric_cloud_watch_delivery_success,
        "AWS/Bedrock",
        "ModelInvocationLogsCloudWatchDeliverySuccess",
        None,
        "Sum",
    ),
    (
        logging_metrics.metric_cloud_watch_delivery_failure,
        "AWS/Bedrock",
        "ModelInvocationLogsCloudWatchDeliveryFailure",
        None,
        "Sum",
    ),
    (
        logging_metrics.metric_s3_delivery_success,
        "AWS/Bedrock",
        "ModelInvocationLogsS3DeliverySuccess",
        None,
        "Sum",
    ),
    (
        logging_metrics.metric_s3_delivery_failure,
        "AWS/Bedrock",
        "ModelInvocationLogsS3DeliveryFailure",
        None,
        "Sum",
    ),
    (
        logging_metrics.metric_large_data_s3_delivery_success,
        "AWS/Bedrock",
        "ModelInvocationLargeDataS3DeliverySuccess",
        None,
        "Sum",
    ),
    (
        logging_metrics.metric_large_data_s3_delivery_failure,
        "AWS/Bedrock",
        "ModelInvocationLargeDataS3DeliveryFailure",
        None,
        "Sum",
    ),
    (guardrail.metric_invocations, "AWS/Bedrock/Guardrails", "Invocations", GUARDRAIL_DIM, "Sum"),
    (
        guardrail.metric_invocations_intervened,
        "AWS/Bedrock/Guardrails",
        "InvocationsIntervened",
        GUARDRAIL_DIM,
        "Sum",
    ),
    (
        guardrail.metric_invocation_latency,
        "AWS/Bedrock/Guardrails",
        "InvocationLatency",
        GUARDRAIL_DIM,
        "p90",
    ),
    (
        guardrail.metric_invocation_client_errors,
        "AWS/Bedrock/Guardrails",
        "InvocationClientErrors",
        GUARDRAIL_DIM,
        "Sum",
    ),
    (
        guardrail.metric_invocation_server_errors,
        "AWS/Bedrock/Guardrails",
        "InvocationServerErrors",
        GUARDRAIL_DIM,
        "Sum",
    ),
    (
        guardrail.metric_invocation_throttles,
        "AWS/Bedrock/Guardrails",
        "InvocationThrottles",
        GUARDRAIL_DIM,
        "Sum",
    ),
    (guardrail.metric_text_unit_count, "AWS/Bedrock/Guardrails", "TextUnitCount", GUARDRAIL_DIM, "Sum"),
    (ops.metric_content_filtered_count, "BedrockOps", "ContentFilteredCount", MODEL_DIM, "Sum"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[2] + "-" + c[1] for c in CASES])
def test_metric_has_the_published_namespace_name_dimensions_and_statistic(
    case: tuple[Callable[[], cloudwatch.Metric], str, str, dict[str, str] | None, str],
) -> None:
    factory, namespace, name, dimensions, statistic = case

    metric = factory()

    assert (metric.namespace, metric.metric_name, metric.dimensions, metric.statistic) == (
        namespace,
        name,
        dimensions,
        statistic,
    )
    assert metric.period.to_seconds() == 300


def test_options_override_the_defaults() -> None:
    metric = model.metric_invocation_latency(statistic="p99", period=Duration.minutes(1))

    assert (metric.statistic, metric.period.to_seconds()) == ("p99", 60)


def test_no_unit_is_set_so_alarms_match_whatever_unit_bedrock_publishes() -> None:
    assert {case[0]().unit for case in CASES} == {None}


def test_search_expression_covers_every_model_of_a_metric() -> None:
    assert search_expression("AWS/Bedrock", ("ModelId",), "Invocations", "Sum") == (
        "SEARCH('{AWS/Bedrock,ModelId} MetricName=\"Invocations\"', 'Sum', 300)"
    )


@pytest.mark.parametrize("factory", [BedrockModelMetrics, BedrockOpsMetrics, GuardrailMetrics])
def test_an_empty_identifier_is_rejected(factory: Callable[[str], object]) -> None:
    with pytest.raises(ValueError, match="got ''"):
        factory("")
