"""ContentFilteredCount: responses stopped by content filtering or a guardrail, counted from invocation logs.

AWS publishes no metric of that name. :class:`ContentFilteredCountMetricFilter` puts a metric filter on the
model invocation log group that matches log records whose response says it was filtered, and writes
``ContentFilteredCount`` (value 1 per record) into the project namespace with the dimension
``ModelId = $.modelId``: one filter serves every model.

The stop reasons counted (:data:`CONTENT_FILTERED_RULES`), each confirmed in the documentation:

- Converse/ConverseStream ``stopReason`` ``content_filtered`` and ``guardrail_intervened`` (the
  ``StopReason`` enum of the ``bedrock-runtime`` service model); Amazon Nova's InvokeModel response uses the
  same top-level ``stopReason`` field;
- Amazon Titan Text ``results[0].completionReason`` ``CONTENT_FILTERED`` (Titan Text model parameters page);
- Anthropic Messages API ``stop_reason`` ``refusal`` (Claude 4 and later, "streaming refusals").

The log record shape: ``{"schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "modelId": ...,
"operation": ..., "input": {"inputBodyJson": ...}, "output": {"outputBodyJson": <the response body>}}``.
"""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs

from bedrock_ops.observability.metrics import (
    CONTENT_FILTERED_COUNT,
    MODEL_ID_DIMENSION,
    PROJECT_NAMESPACE,
    BedrockOpsMetrics,
)
from constructs import Construct

#: (JSON selector into the invocation log record, value) pairs meaning "the response was filtered".
CONTENT_FILTERED_RULES: tuple[tuple[str, str], ...] = (
    ("$.output.outputBodyJson.stopReason", "content_filtered"),
    ("$.output.outputBodyJson.stopReason", "guardrail_intervened"),
    ("$.output.outputBodyJson.results[0].completionReason", "CONTENT_FILTERED"),
    ("$.output.outputBodyJson.stop_reason", "refusal"),
)


def content_filtered_filter_pattern() -> str:
    """The CloudWatch Logs JSON filter pattern matching any of :data:`CONTENT_FILTERED_RULES`."""
    terms = " || ".join(f'({selector} = "{value}")' for selector, value in CONTENT_FILTERED_RULES)
    return "{ " + terms + " }"


def content_filtered_insights_filter() -> str:
    """The same rules as a Logs Insights ``filter`` clause (array indexes written ``.0.``)."""
    clauses = []
    for selector, value in CONTENT_FILTERED_RULES:
        field = selector.removeprefix("$.").replace("[", ".").replace("]", "")
        clauses.append(f'{field} = "{value}"')
    return "filter " + " or ".join(clauses)


class ContentFilteredCountMetricFilter(Construct):
    """A metric filter on the invocation log group producing ``ContentFilteredCount`` per ``ModelId``.

    Example::

        ContentFilteredCountMetricFilter(self, "ContentFiltered", log_group=logging.log_group)
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        log_group: logs.ILogGroup,
        namespace: str = PROJECT_NAMESPACE,
    ) -> None:
        """
        :param log_group: the model invocation log group (CloudWatch Logs destination).
        :param namespace: the metric namespace (default: ``BedrockOps``).
        """
        super().__init__(scope, id)
        if not namespace or namespace.startswith("AWS/"):
            raise ValueError(f"namespace must be a custom namespace (not 'AWS/...'), got {namespace!r}")
        self.namespace = namespace
        self.metric_filter = logs.MetricFilter(
            self,
            "Filter",
            log_group=log_group,
            filter_name="bedrock-ops-content-filtered",
            filter_pattern=logs.FilterPattern.literal(content_filtered_filter_pattern()),
            metric_namespace=namespace,
            metric_name=CONTENT_FILTERED_COUNT,
            metric_value="1",
            dimensions={MODEL_ID_DIMENSION: "$.modelId"},
            unit=cloudwatch.Unit.COUNT,
        )

    def metric_content_filtered_count(self, model_id: str, **options: object) -> cloudwatch.Metric:
        """``ContentFilteredCount`` of one model (Sum, 5 minutes)."""
        return BedrockOpsMetrics(model_id, namespace=self.namespace).metric_content_filtered_count(**options)
