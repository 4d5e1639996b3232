"""ContentFilteredCount: responses stopped by content filtering or a guardrail, counted from invocation logs.

AWS publishes no metric of that name in the current runtime metrics table. :class:`ContentFilteredCountMetricFilter`
puts metric filters on the model invocation log group that match log records whose response says it was
filtered, and write ``ContentFilteredCount`` (value 1 per record) into the project namespace with the dimension
``ModelId = $.modelId``: one set of filters serves every model.

What is counted (:data:`CONTENT_FILTERED_RULES` for whole responses, :data:`STREAM_RULES` for streamed ones):

- Converse/ConverseStream ``stopReason`` ``content_filtered`` and ``guardrail_intervened`` (the ``StopReason``
  enum of the ``bedrock-runtime`` service model); Amazon Nova's InvokeModel response uses the same top-level
  ``stopReason`` field, its stream the ``messageStop.stopReason`` event;
- Amazon Titan Text ``results[0].completionReason`` ``CONTENT_FILTERED`` (Titan Text model parameters page;
  streamed chunks carry ``completionReason`` at their top level);
- Anthropic Messages API ``stop_reason`` ``refusal`` (Claude 4 and later; streamed as ``delta.stop_reason`` of
  the ``message_delta`` event);
- InvokeModel / InvokeModelWithResponseStream with a guardrail: ``"amazon-bedrock-guardrailAction":
  "INTERVENED"`` in the response body (API_runtime_InvokeModel.html: ``"amazon-bedrock-guardrailAction":
  "INTERVENED | NONE"``, read 2026-12-01), whatever the model's own stop reason says.

Streamed calls are logged with ``output.outputBodyJson`` as the list of the stream's events. A JSON filter
pattern can address a list element only by index (``$.a[3].b``), so each stream rule is tested at the first
:data:`STREAM_EVENT_POSITIONS` positions (as many as fit in one 1,024-character pattern), one metric filter per
rule. A stream whose stop event comes later (a response filtered after many content events) is **not
counted**; the saved Logs Insights query ``content-filtered-requests`` finds it by text. A record that carries two
stream signals (e.g. a guardrail action and a stop reason) is counted once per matching filter.

Not counted either: bodies over 100 KB and binary data, which Bedrock delivers to S3 only (the log record then
holds no body), and calls whose record failed to be delivered (see the delivery alarms).

Inference profiles: the record's ``modelId`` is what the caller passed, e.g. an inference-profile or application
inference profile ARN. The filter cannot rewrite a dimension value, so per-model views sum the id's ARN forms
(:func:`bedrock_ops.observability.model_ids.model_id_aliases`) and the fleet alarm names the contributor as logged.

The log record shape: ``{"schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "modelId": ...,
"operation": ..., "input": {"inputBodyJson": ...}, "output": {"outputBodyJson": <the response body or the list
of stream events>}}``.
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
    ("$.output.outputBodyJson.amazon-bedrock-guardrailAction", "INTERVENED"),
)

#: (name, selector inside one stream event, value): each looked up at every position of the event list.
STREAM_RULES: tuple[tuple[str, str, str], ...] = (
    ("stream-content-filtered", "messageStop.stopReason", "content_filtered"),
    ("stream-guardrail-intervened", "messageStop.stopReason", "guardrail_intervened"),
    ("stream-titan-content-filtered", "completionReason", "CONTENT_FILTERED"),
    ("stream-anthropic-refusal", "delta.stop_reason", "refusal"),
    ("stream-guardrail-action", "amazon-bedrock-guardrailAction", "INTERVENED"),
)

#: CloudWatch Logs' limit on a filter pattern (PutMetricFilter ``filterPattern``: at most 1,024 characters).
MAX_FILTER_PATTERN_LENGTH = 1024
_STREAM_LIST = "$.output.outputBodyJson"


def content_filtered_filter_pattern() -> str:
    """The CloudWatch Logs JSON filter pattern matching any of :data:`CONTENT_FILTERED_RULES`."""
    terms = " || ".join(f'({selector} = "{value}")' for selector, value in CONTENT_FILTERED_RULES)
    return "{ " + terms + " }"


def _stream_pattern(selector: str, value: str, positions: int) -> str:
    terms = " || ".join(f'({_STREAM_LIST}[{i}].{selector} = "{value}")' for i in range(positions))
    return "{ " + terms + " }"


def stream_event_positions(selector: str, value: str) -> int:
    """How many list positions one stream rule can test within :data:`MAX_FILTER_PATTERN_LENGTH`."""
    positions = 1
    while len(_stream_pattern(selector, value, positions + 1)) <= MAX_FILTER_PATTERN_LENGTH:
        positions += 1
    return positions


#: The fewest positions any stream rule is tested at (the README states this bound).
STREAM_EVENT_POSITIONS = min(stream_event_positions(selector, value) for _, selector, value in STREAM_RULES)


def stream_filter_patterns() -> dict[str, str]:
    """Filter name suffix -> JSON filter pattern, one per :data:`STREAM_RULES` entry."""
    return {
        name: _stream_pattern(selector, value, stream_event_positions(selector, value))
        for name, selector, value in STREAM_RULES
    }


def content_filtered_insights_filter() -> str:
    """The same rules as a Logs Insights ``filter`` clause (array indexes written ``.0.``), plus a text match
    for streamed responses, whose stop event can sit at any position."""
    clauses = []
    for selector, value in CONTENT_FILTERED_RULES:
        field = selector.removeprefix("$.").replace("[", ".").replace("]", "")
        if "-" in field:
            field = ".".join(f"`{part}`" if "-" in part else part for part in field.split("."))
        clauses.append(f'{field} = "{value}"')
    keys = "|".join(sorted({selector.rsplit(".", 1)[-1] for _, selector, _ in STREAM_RULES}))
    values = "|".join(sorted({value for _, _, value in STREAM_RULES}))
    # In the record's text a key is followed by '":' only outside a JSON string (inside one, quotes are escaped),
    # so prompt text that mentions a stop reason does not match.
    clauses.append(f'@message like /"({keys})":\\s*"({values})"/')
    return "filter " + " or ".join(clauses)


class ContentFilteredCountMetricFilter(Construct):
    """Metric filters on the invocation log group producing ``ContentFilteredCount`` per ``ModelId``: one for
    whole responses (:attr:`metric_filter`) and one per stream rule (:attr:`stream_metric_filters`).

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
        # CloudWatch Logs allows 100 metric filters per log group (CloudWatch Logs quotas page; not re-read in
        # this session: unconfirmed); these are 1 + len(STREAM_RULES).
        self.stream_metric_filters = [
            logs.MetricFilter(
                self,
                f"Filter-{name}",
                log_group=log_group,
                filter_name=f"bedrock-ops-content-filtered-{name}",
                filter_pattern=logs.FilterPattern.literal(pattern),
                metric_namespace=namespace,
                metric_name=CONTENT_FILTERED_COUNT,
                metric_value="1",
                dimensions={MODEL_ID_DIMENSION: "$.modelId"},
                unit=cloudwatch.Unit.COUNT,
            )
            for name, pattern in stream_filter_patterns().items()
        ]

    def metric_content_filtered_count(self, model_id: str, **options: object) -> cloudwatch.Metric:
        """``ContentFilteredCount`` of one model (Sum, 5 minutes)."""
        return BedrockOpsMetrics(model_id, namespace=self.namespace).metric_content_filtered_count(**options)
