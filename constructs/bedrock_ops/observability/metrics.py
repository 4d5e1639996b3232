"""Metric factories: one per CloudWatch namespace, one method per metric.

Dashboards and alarms of this library are built from these methods only, so a metric name or dimension
is written once. Namespaces:

- ``AWS/Bedrock`` per ``ModelId`` (:class:`BedrockModelMetrics`) and, without dimensions, the invocation
  log delivery metrics (:class:`BedrockLoggingMetrics`, "across all model IDs");
- ``AWS/Bedrock/Guardrails`` per ``GuardrailArn`` + ``GuardrailVersion`` (:class:`GuardrailMetrics`);
- the project's own namespace ``BedrockOps`` (:class:`BedrockOpsMetrics`): ``ContentFilteredCount`` per
  ``ModelId``, produced by :class:`bedrock_ops.observability.content_filter.ContentFilteredCountMetricFilter` from the
  invocation logs (AWS publishes no metric of that name).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

BEDROCK_NAMESPACE = "AWS/Bedrock"
GUARDRAILS_NAMESPACE = "AWS/Bedrock/Guardrails"
PROJECT_NAMESPACE = "BedrockOps"
CONTENT_FILTERED_COUNT = "ContentFilteredCount"
MODEL_ID_DIMENSION = "ModelId"

#: The default period of every metric (CloudWatch's Bedrock metrics are published per minute).
DEFAULT_PERIOD = Duration.minutes(5)


def _metric(
    namespace: str,
    metric_name: str,
    *,
    dimensions: dict[str, str],
    statistic: str,
    options: dict[str, Any],
) -> cloudwatch.Metric:
    # No unit unless the caller passes one: an alarm whose unit differs from the unit the metric is
    # published with sees no data at all (and, with missing data "not breaching", never fires).
    props: dict[str, Any] = {"statistic": statistic, "period": DEFAULT_PERIOD, **options}
    return cloudwatch.Metric(namespace=namespace, metric_name=metric_name, dimensions_map=dimensions or None, **props)


class BedrockModelMetrics:
    """``AWS/Bedrock`` metrics of one model (dimension ``ModelId``).

    Every method takes the options of ``cloudwatch.Metric`` (``period``, ``statistic``, ``label``, ...);
    the defaults are a 5-minute period and the statistic named in the method's docstring.

    Example::

        haiku = BedrockModelMetrics("anthropic.claude-3-haiku-20240307-v1:0")
        haiku.metric_invocation_latency(statistic="p99")
    """

    def __init__(self, model_id: str) -> None:
        """
        :param model_id: the ``ModelId`` dimension value: a model id, inference profile id or ARN as used
            in the ``bedrock-runtime`` calls.
        """
        if not model_id:
            raise ValueError("model_id must be a non-empty model id, got ''")
        self.model_id = model_id

    def _m(self, name: str, statistic: str, options: dict[str, Any]) -> cloudwatch.Metric:
        return _metric(
            BEDROCK_NAMESPACE,
            name,
            dimensions={MODEL_ID_DIMENSION: self.model_id},
            statistic=statistic,
            options=options,
        )

    def metric_invocations(self, **options: Any) -> cloudwatch.Metric:
        """Requests accepted (Sum)."""
        return self._m("Invocations", "Sum", options)

    def metric_invocation_latency(self, **options: Any) -> cloudwatch.Metric:
        """Time to the last token in milliseconds (p90)."""
        return self._m("InvocationLatency", "p90", options)

    def metric_time_to_first_token(self, **options: Any) -> cloudwatch.Metric:
        """Time to the first token of streaming calls in milliseconds (p90)."""
        return self._m("TimeToFirstToken", "p90", options)

    def metric_invocation_client_errors(self, **options: Any) -> cloudwatch.Metric:
        """Invocations that ended in a client-side error (Sum)."""
        return self._m("InvocationClientErrors", "Sum", options)

    def metric_invocation_server_errors(self, **options: Any) -> cloudwatch.Metric:
        """Invocations that ended in an AWS server-side error (Sum)."""
        return self._m("InvocationServerErrors", "Sum", options)

    def metric_invocation_throttles(self, **options: Any) -> cloudwatch.Metric:
        """Throttled invocations (Sum)."""
        return self._m("InvocationThrottles", "Sum", options)

    def metric_input_token_count(self, **options: Any) -> cloudwatch.Metric:
        """Input tokens (Sum)."""
        return self._m("InputTokenCount", "Sum", options)

    def metric_output_token_count(self, **options: Any) -> cloudwatch.Metric:
        """Output tokens (Sum)."""
        return self._m("OutputTokenCount", "Sum", options)

    def metric_output_image_count(self, **options: Any) -> cloudwatch.Metric:
        """Images generated (Sum)."""
        return self._m("OutputImageCount", "Sum", options)

    def metric_cache_read_input_tokens(self, **options: Any) -> cloudwatch.Metric:
        """Input tokens read from the prompt cache (Sum)."""
        return self._m("CacheReadInputTokens", "Sum", options)

    def metric_cache_write_input_tokens(self, **options: Any) -> cloudwatch.Metric:
        """Input tokens written to the prompt cache (Sum)."""
        return self._m("CacheWriteInputTokens", "Sum", options)

    def metric_estimated_tpm_quota_usage(self, **options: Any) -> cloudwatch.Metric:
        """Estimated tokens-per-minute quota consumed (Sum)."""
        return self._m("EstimatedTPMQuotaUsage", "Sum", options)

    def metric_legacy_model_invocations(self, **options: Any) -> cloudwatch.Metric:
        """Invocations of a model in legacy state (Sum)."""
        return self._m("LegacyModelInvocations", "Sum", options)


class BedrockLoggingMetrics:
    """``AWS/Bedrock`` model invocation log delivery metrics (no dimension: "across all model IDs").

    Bedrock publishes them only when it delivers (or fails to deliver) a log record.
    """

    def _m(self, name: str, options: dict[str, Any]) -> cloudwatch.Metric:
        return _metric(BEDROCK_NAMESPACE, name, dimensions={}, statistic="Sum", options=options)

    def metric_cloud_watch_delivery_success(self, **options: Any) -> cloudwatch.Metric:
        """Records delivered to CloudWatch Logs (Sum)."""
        return self._m("ModelInvocationLogsCloudWatchDeliverySuccess", options)

    def metric_cloud_watch_delivery_failure(self, **options: Any) -> cloudwatch.Metric:
        """Records that could not be delivered to CloudWatch Logs (Sum)."""
        return self._m("ModelInvocationLogsCloudWatchDeliveryFailure", options)

    def metric_s3_delivery_success(self, **options: Any) -> cloudwatch.Metric:
        """Records delivered to S3 (Sum)."""
        return self._m("ModelInvocationLogsS3DeliverySuccess", options)

    def metric_s3_delivery_failure(self, **options: Any) -> cloudwatch.Metric:
        """Records that could not be delivered to S3 (Sum)."""
        return self._m("ModelInvocationLogsS3DeliveryFailure", options)

    def metric_large_data_s3_delivery_success(self, **options: Any) -> cloudwatch.Metric:
        """Large bodies delivered to the large-data S3 location (Sum)."""
        return self._m("ModelInvocationLargeDataS3DeliverySuccess", options)

    def metric_large_data_s3_delivery_failure(self, **options: Any) -> cloudwatch.Metric:
        """Large bodies that could not be delivered to S3 (Sum)."""
        return self._m("ModelInvocationLargeDataS3DeliveryFailure", options)


class GuardrailMetrics:
    """``AWS/Bedrock/Guardrails`` metrics of one guardrail version (dimensions ``GuardrailArn``,
    ``GuardrailVersion``)."""

    def __init__(self, guardrail_arn: str, guardrail_version: str = "DRAFT") -> None:
        """
        :param guardrail_arn: the guardrail's ARN.
        :param guardrail_version: a version number or ``DRAFT`` (default: ``DRAFT``).
        """
        if not guardrail_arn:
            raise ValueError("guardrail_arn must be a guardrail ARN, got ''")
        self.guardrail_arn = guardrail_arn
        self.guardrail_version = guardrail_version

    def _m(self, name: str, statistic: str, options: dict[str, Any]) -> cloudwatch.Metric:
        dimensions = {"GuardrailArn": self.guardrail_arn, "GuardrailVersion": self.guardrail_version}
        return _metric(GUARDRAILS_NAMESPACE, name, dimensions=dimensions, statistic=statistic, options=options)

    def metric_invocations(self, **options: Any) -> cloudwatch.Metric:
        """ApplyGuardrail evaluations (Sum)."""
        return self._m("Invocations", "Sum", options)

    def metric_invocations_intervened(self, **options: Any) -> cloudwatch.Metric:
        """Evaluations in which the guardrail intervened (Sum)."""
        return self._m("InvocationsIntervened", "Sum", options)

    def metric_invocation_latency(self, **options: Any) -> cloudwatch.Metric:
        """Evaluation latency in milliseconds (p90)."""
        return self._m("InvocationLatency", "p90", options)

    def metric_invocation_client_errors(self, **options: Any) -> cloudwatch.Metric:
        """Evaluations that ended in a client-side error (Sum)."""
        return self._m("InvocationClientErrors", "Sum", options)

    def metric_invocation_server_errors(self, **options: Any) -> cloudwatch.Metric:
        """Evaluations that ended in a server-side error (Sum)."""
        return self._m("InvocationServerErrors", "Sum", options)

    def metric_invocation_throttles(self, **options: Any) -> cloudwatch.Metric:
        """Throttled evaluations (Sum)."""
        return self._m("InvocationThrottles", "Sum", options)

    def metric_text_unit_count(self, **options: Any) -> cloudwatch.Metric:
        """Text units evaluated (Sum)."""
        return self._m("TextUnitCount", "Sum", options)


class BedrockOpsMetrics:
    """The project's own namespace (default ``BedrockOps``): metrics produced from the invocation logs."""

    def __init__(self, model_id: str, *, namespace: str = PROJECT_NAMESPACE) -> None:
        """
        :param model_id: the ``ModelId`` dimension value (the ``modelId`` field of the invocation log).
        :param namespace: the namespace the metric filter writes to (default: ``BedrockOps``).
        """
        if not model_id:
            raise ValueError("model_id must be a non-empty model id, got ''")
        self.model_id = model_id
        self.namespace = namespace

    def metric_content_filtered_count(self, **options: Any) -> cloudwatch.Metric:
        """Responses stopped by content filtering or a guardrail (Sum) under exactly this ``ModelId``; see
        :mod:`bedrock_ops.observability.content_filter` for the stop reasons counted."""
        return _metric(
            self.namespace,
            CONTENT_FILTERED_COUNT,
            dimensions={MODEL_ID_DIMENSION: self.model_id},
            statistic="Sum",
            options=options,
        )

    def metric_content_filtered_count_all_aliases(self, **options: Any) -> cloudwatch.MathExpression:
        """ContentFilteredCount of this model under every ``modelId`` its log records can carry (the id, and
        the inference-profile or foundation-model ARN form; see
        :func:`bedrock_ops.observability.model_ids.model_id_aliases`), summed by metric math."""
        from bedrock_ops.observability.model_ids import model_id_aliases

        period = options.pop("period", DEFAULT_PERIOD)
        label = options.pop("label", "Filtered responses")
        using = {
            f"cf{n}": _metric(
                self.namespace,
                CONTENT_FILTERED_COUNT,
                dimensions={MODEL_ID_DIMENSION: alias},
                statistic="Sum",
                options={"period": period, **options},
            )
            for n, alias in enumerate(model_id_aliases(self.model_id))
        }
        expression = "cf0" if len(using) == 1 else "SUM([" + ", ".join(using) + "])"
        return cloudwatch.MathExpression(expression=expression, using_metrics=using, label=label, period=period)


def search_expression(namespace: str, dimensions: tuple[str, ...], metric_name: str, statistic: str) -> str:
    """A CloudWatch ``SEARCH`` expression over every series of ``metric_name`` with exactly ``dimensions``,
    e.g. ``SEARCH('{AWS/Bedrock,ModelId} MetricName="Invocations"', 'Sum', 300)``."""
    schema = ",".join((namespace, *dimensions))
    seconds = int(DEFAULT_PERIOD.to_seconds())
    return f"SEARCH('{{{schema}}} MetricName=\"{metric_name}\"', '{statistic}', {seconds})"
