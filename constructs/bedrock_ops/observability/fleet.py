"""Metrics Insights queries over every ``ModelId`` (fleet alarms and widgets), and their documented limits.

A CloudWatch alarm can evaluate a Metrics Insights query that returns many time series; each series is a
contributor with its own state and series that appear later join by themselves (AmazonCloudWatch user guide,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Metrics_Insights_Alarm.html, read
2026-12-01). So one alarm per signal watches every model, inference profile, provisioned throughput and
custom model deployment that Bedrock publishes metrics for, including those created at run time.

Limits these queries are designed for (alarm-limits.html and cloudwatch-metrics-insights-limits.html, read
2026-12-01):

- 200 Metrics Insights alarms per account and Region (:data:`MAX_METRICS_INSIGHTS_ALARMS`; a construct
  refuses to create more, and every stack in the Region shares the budget);
- a query returns at most 500 series (beyond: ``PARTIAL_DATA``); with ``ORDER BY`` the 500 highest are kept, so
  every query here ends in ``ORDER BY <function>() DESC LIMIT <n>`` (:data:`MAX_SERIES_PER_QUERY`): the
  worst models are the ones evaluated;
- a query processes at most 10,000 matched metrics (one per ``ModelId`` here);
- at most 100 contributors in ALARM at once;
- only the latest 3 hours are evaluated (:data:`MAX_EVALUATION_MINUTES`: period x evaluation periods);
- functions ``AVG``, ``COUNT``, ``MAX``, ``MIN``, ``SUM`` only: no percentiles (percentile alarms stay per
  listed model, opt-in).

aws-cdk-lib 2.275 renders ``Alarm(metric=MathExpression(expression="SELECT ..."))`` as ``Metrics: [{Id: expr_1,
Expression: "SELECT ...", Period, ReturnData: true}]`` (checked by synth; cfn-lint accepts it).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Token
from aws_cdk import aws_cloudwatch as cloudwatch

from bedrock_ops.observability.metrics import (
    BEDROCK_NAMESPACE,
    CONTENT_FILTERED_COUNT,
    MODEL_ID_DIMENSION,
    PROJECT_NAMESPACE,
)

__all__ = [
    "FLEET_FUNCTIONS",
    "MAX_EVALUATION_MINUTES",
    "MAX_METRICS_INSIGHTS_ALARMS",
    "MAX_SERIES_PER_QUERY",
    "FleetMetrics",
    "metrics_insights_query",
]

#: Metrics Insights aggregation functions (cloudwatch-metrics-insights-querylanguage.html, read 2026-12-01).
FLEET_FUNCTIONS = ("AVG", "COUNT", "MAX", "MIN", "SUM")
#: Series one query returns before the alarm's evaluation state becomes PARTIAL_DATA (alarm-limits.html).
MAX_SERIES_PER_QUERY = 500
#: Default quota of Metrics Insights alarms per account and Region (alarm-limits.html).
MAX_METRICS_INSIGHTS_ALARMS = 200
#: Metrics Insights alarms evaluate only the latest 3 hours (alarm-limits.html).
MAX_EVALUATION_MINUTES = 180


def metrics_insights_query(
    namespace: str,
    metric_name: str,
    function: str,
    *,
    where: Sequence[tuple[str, str]] = (),
    where_operator: str = "=",
    group_by: Sequence[str] = (MODEL_ID_DIMENSION,),
    limit: int = MAX_SERIES_PER_QUERY,
) -> str:
    """``SELECT <function>(<metric>) FROM "<namespace>" [WHERE ...] GROUP BY ... ORDER BY <function>() DESC
    LIMIT <limit>``.

    ``where`` is a list of (dimension, value) pairs; with ``where_operator`` ``=`` they are joined by ``OR``
    (any of these models), with ``!=`` by ``AND`` (none of them).
    """
    if function not in FLEET_FUNCTIONS:
        raise ValueError(f"function must be one of {', '.join(FLEET_FUNCTIONS)} (Metrics Insights), got {function!r}")
    if not 1 <= limit <= MAX_SERIES_PER_QUERY:
        raise ValueError(f"limit must be 1-{MAX_SERIES_PER_QUERY} (series per query), got {limit}")
    if where_operator not in ("=", "!="):
        raise ValueError(f"where_operator must be '=' or '!=', got {where_operator!r}")
    query = f'SELECT {function}({metric_name}) FROM "{namespace}"'
    if where:
        joiner = " OR " if where_operator == "=" else " AND "
        terms = [f"{key} {where_operator} '{_quoted(value)}'" for key, value in where]
        query += " WHERE " + joiner.join(terms)
    if group_by:
        query += " GROUP BY " + ", ".join(group_by)
        query += f" ORDER BY {function}() DESC LIMIT {limit}"
    return query


def _quoted(value: str) -> str:
    if Token.is_unresolved(value):
        return value
    if "'" in value:
        raise ValueError(f"a Metrics Insights label value cannot contain a single quote, got {value!r}")
    return value


class FleetMetrics:
    """Metrics Insights expressions over every ``ModelId`` (one series per model), one method per signal.

    Each returns a ``cloudwatch.MathExpression`` usable in an alarm (a multi time series alarm) or a graph.
    """

    def __init__(
        self,
        *,
        content_filter_namespace: str = PROJECT_NAMESPACE,
        period: Duration | None = None,
        limit: int = MAX_SERIES_PER_QUERY,
    ) -> None:
        """
        :param content_filter_namespace: where ``ContentFilteredCount`` is written (default: ``BedrockOps``).
        :param period: the period of every expression (default: 5 minutes).
        :param limit: series kept per query, highest first (default: 500, the documented maximum).
        """
        self.content_filter_namespace = content_filter_namespace
        self.period = period or Duration.minutes(5)
        self.limit = limit

    def _expression(
        self,
        namespace: str,
        metric_name: str,
        function: str,
        *,
        label: str,
        where: Sequence[tuple[str, str]] = (),
        where_operator: str = "=",
        period: Duration | None = None,
    ) -> cloudwatch.MathExpression:
        query = metrics_insights_query(
            namespace, metric_name, function, where=where, where_operator=where_operator, limit=self.limit
        )
        return cloudwatch.MathExpression(expression=query, label=label, period=period or self.period)

    def invocation_latency(self, function: str = "AVG") -> cloudwatch.MathExpression:
        """InvocationLatency (ms) per model; ``AVG`` (typical call) or ``MAX`` (slowest call) per period."""
        return self._expression(BEDROCK_NAMESPACE, "InvocationLatency", function, label="")

    def time_to_first_token(self, function: str = "AVG") -> cloudwatch.MathExpression:
        """TimeToFirstToken (ms, streaming calls) per model."""
        return self._expression(BEDROCK_NAMESPACE, "TimeToFirstToken", function, label="")

    def invocation_server_errors(self) -> cloudwatch.MathExpression:
        """InvocationServerErrors per model (SUM per period)."""
        return self._expression(BEDROCK_NAMESPACE, "InvocationServerErrors", "SUM", label="")

    def invocation_throttles(self) -> cloudwatch.MathExpression:
        """InvocationThrottles per model (SUM per period)."""
        return self._expression(BEDROCK_NAMESPACE, "InvocationThrottles", "SUM", label="")

    def invocations(self) -> cloudwatch.MathExpression:
        """Invocations per model (SUM per period)."""
        return self._expression(BEDROCK_NAMESPACE, "Invocations", "SUM", label="")

    def content_filtered_count(self) -> cloudwatch.MathExpression:
        """ContentFilteredCount per logged ``modelId`` (SUM per period; the project namespace)."""
        return self._expression(self.content_filter_namespace, CONTENT_FILTERED_COUNT, "SUM", label="")

    def estimated_tpm_quota_usage(
        self, model_ids: Sequence[str] = (), *, exclude: bool = False
    ) -> cloudwatch.MathExpression:
        """EstimatedTPMQuotaUsage per model, SUM per 1-minute period (tokens counted against the
        tokens-per-minute quota in that minute), for ``model_ids`` only (or all but them with ``exclude``;
        every model when empty)."""
        where = [(MODEL_ID_DIMENSION, m) for m in model_ids]
        return self._expression(
            BEDROCK_NAMESPACE,
            "EstimatedTPMQuotaUsage",
            "SUM",
            label="",
            where=where,
            where_operator="!=" if exclude else "=",
            period=Duration.minutes(1),
        )
