"""BedrockMonitoring: alarms per model, an alarm topic, and dashboards that scale to hundreds of models."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions

from bedrock_ops.observability.content_filter import content_filtered_insights_filter
from bedrock_ops.observability.metrics import (
    BEDROCK_NAMESPACE,
    CONTENT_FILTERED_COUNT,
    GUARDRAILS_NAMESPACE,
    MODEL_ID_DIMENSION,
    PROJECT_NAMESPACE,
    BedrockLoggingMetrics,
    BedrockModelMetrics,
    BedrockOpsMetrics,
    search_expression,
)
from bedrock_ops.observability.monitoring_props import (
    DASHBOARD_NAME_PATTERN,
    EMAIL_PATTERN,
    MAX_DASHBOARD_WIDGETS,
    NAME_UNSAFE_CHARACTERS,
    AlarmThresholds,
    MonitoredModel,
    check_prices,
    normalize_models,
)
from constructs import Construct


@dataclass(frozen=True)
class _ModelAlarms:
    latency: cloudwatch.Alarm
    content_filtered: cloudwatch.Alarm
    throttles: cloudwatch.Alarm
    server_errors: cloudwatch.Alarm

    def all(self) -> list[cloudwatch.Alarm]:
        return [self.latency, self.content_filtered, self.throttles, self.server_errors]


class BedrockMonitoring(Construct):
    """Alarms, an encrypted alarm topic and dashboards for Bedrock models.

    Alarms (names ``<prefix>-<model>-<metric>``, ``<model>`` with characters outside ``A-Za-z0-9._-``
    replaced by ``-``), each with ALARM and OK actions to the topic:

    - ``InvocationLatency<P90>``: latency percentile above the threshold. Missing data: not breaching
      (no calls, no slow calls).
    - ``ContentFilteredCount``: responses stopped by content filtering or a guardrail (needs the metric filter
      of :class:`~bedrock_ops.observability.content_filter.ContentFilteredCountMetricFilter`). Missing data:
      not breaching
      (the filter writes only on a match).
    - ``InvocationThrottles`` and ``InvocationServerErrors``: at or above the threshold. Missing data: not
      breaching (Bedrock publishes them only when they happen).
    - account-wide ``<prefix>-InvocationLogging-<destination>DeliveryFailure`` for CloudWatch Logs, S3 and
      large-data S3 delivery. Missing data: not breaching (published only on deliveries).

    Dashboards: ``<dashboard prefix>-Overview`` (``SEARCH`` expressions over every model, so its size does not
    grow with the number of models) and ``<dashboard prefix>-Models-<n>`` with one section per model (latency
    percentiles, invocations/errors/throttles, tokens, estimated on-demand cost, ContentFilteredCount, alarm
    status), split automatically so that no dashboard exceeds ``max_widgets_per_dashboard``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        models: Sequence[str | MonitoredModel],
        thresholds: AlarmThresholds | None = None,
        alarm_name_prefix: str = "BedrockOps",
        dashboard_name_prefix: str = "BedrockOps",
        alarm_emails: Sequence[str] = (),
        alarm_topic: sns.ITopic | None = None,
        topic_encryption_key: kms.IKey | None = None,
        model_prices: Mapping[str, tuple[float, float]] | None = None,
        content_filter_namespace: str = PROJECT_NAMESPACE,
        log_delivery_alarms: bool = True,
        invocation_log_group: logs.ILogGroup | None = None,
        max_widgets_per_dashboard: int = MAX_DASHBOARD_WIDGETS,
    ) -> None:
        """
        :param models: the models to monitor (ids or :class:`MonitoredModel`), at least one, no duplicates.
        :param thresholds: alarm thresholds (default: ``AlarmThresholds()``).
        :param alarm_name_prefix: first part of every alarm name (default: ``BedrockOps``).
        :param dashboard_name_prefix: first part of every dashboard name (default: ``BedrockOps``).
        :param alarm_emails: addresses subscribed to the alarm topic (default: none).
        :param alarm_topic: an existing topic for alarm actions (default: a new KMS-encrypted SSL-only
            topic).
        :param topic_encryption_key: the key of the new topic (default: a new key with rotation that
            CloudWatch may use).
        :param model_prices: on-demand USD per 1,000 (input, output) tokens per model id, for the estimated
            cost widgets (default: no cost widgets). Take them from ``bedrock_ops.cost.pricing`` or your own table.
        :param content_filter_namespace: where ContentFilteredCount is written (default: ``BedrockOps``).
        :param log_delivery_alarms: alarm on invocation log delivery failures (default: true).
        :param invocation_log_group: the invocation log group, for a Logs Insights widget of content-filtered
            requests on the overview (default: no such widget).
        :param max_widgets_per_dashboard: 10-500 (default: 500, CloudWatch's limit).
        """
        super().__init__(scope, id)
        self.thresholds = thresholds or AlarmThresholds()
        if not 10 <= max_widgets_per_dashboard <= MAX_DASHBOARD_WIDGETS:
            raise ValueError(
                f"max_widgets_per_dashboard must be 10-{MAX_DASHBOARD_WIDGETS}, got {max_widgets_per_dashboard}"
            )
        if not DASHBOARD_NAME_PATTERN.match(dashboard_name_prefix):
            raise ValueError(
                f"dashboard_name_prefix must be 1-200 characters of A-Z a-z 0-9 _ -, got {dashboard_name_prefix!r}"
            )
        if not alarm_name_prefix or len(alarm_name_prefix) > 100:
            raise ValueError(f"alarm_name_prefix must be 1-100 characters, got {alarm_name_prefix!r}")
        for email in alarm_emails:
            if not Token.is_unresolved(email) and not EMAIL_PATTERN.match(email):
                raise ValueError(f"alarm_emails must be e-mail addresses, got {email!r}")
        self.models = normalize_models(models)
        self.model_prices = check_prices(model_prices or {})
        self.alarm_name_prefix = alarm_name_prefix
        self.dashboard_name_prefix = dashboard_name_prefix
        self.content_filter_namespace = content_filter_namespace
        self._max_widgets = max_widgets_per_dashboard

        self.alarm_topic: sns.ITopic = alarm_topic or self._new_topic(topic_encryption_key)
        for email in alarm_emails:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(email))
        self._action = cw_actions.SnsAction(self.alarm_topic)

        self._alarms: dict[str, _ModelAlarms] = {}
        for model in self.models:
            self._alarms[model.model_id] = self._model_alarms(model)
        self.log_delivery_alarms: list[cloudwatch.Alarm] = self._log_delivery_alarms() if log_delivery_alarms else []
        self.overview_dashboard = self._overview(invocation_log_group)
        self.model_dashboards = self._model_dashboards()

    # --- public ----------------------------------------------------------------------------------------

    @property
    def dashboards(self) -> list[cloudwatch.Dashboard]:
        """Every dashboard: the overview first, then the per-model dashboards."""
        return [self.overview_dashboard, *self.model_dashboards]

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        """Every alarm of this construct."""
        return [a for alarms in self._alarms.values() for a in alarms.all()] + self.log_delivery_alarms

    def alarms_for(self, model_id: str) -> list[cloudwatch.Alarm]:
        """The alarms of one monitored model (latency, content filtered, throttles, server errors)."""
        if model_id not in self._alarms:
            raise KeyError(f"{model_id!r} is not monitored; monitored: {', '.join(self._alarms)}")
        return self._alarms[model_id].all()

    def alarm_name(self, model_id: str, what: str) -> str:
        """The alarm naming scheme: ``<prefix>-<model>-<what>``."""
        return f"{self.alarm_name_prefix}-{NAME_UNSAFE_CHARACTERS.sub('-', model_id)}-{what}"

    @staticmethod
    def widgets_per_model(*, with_cost: bool) -> int:
        """Widgets in one model's dashboard section."""
        return 7 if with_cost else 6

    # --- alarm topic -----------------------------------------------------------------------------------

    def _new_topic(self, key: kms.IKey | None) -> sns.Topic:
        if key is None:
            new_key = kms.Key(
                self,
                "AlarmTopicKey",
                enable_key_rotation=True,
                description="cdk-bedrock-ops: encrypts the Bedrock alarm topic",
            )
            # CloudWatch alarm actions publish to an encrypted topic only if CloudWatch may use its key.
            new_key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowCloudWatchAlarmsToPublish",
                    principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                )
            )
            key = new_key
        stack = Stack.of(self)
        topic = sns.Topic(self, "AlarmTopic", display_name="Bedrock model alarms", master_key=key, enforce_ssl=True)
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisAccountsCloudWatchAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
                    },
                },
            )
        )
        return topic

    # --- alarms ----------------------------------------------------------------------------------------

    def _model_alarms(self, model: MonitoredModel) -> _ModelAlarms:
        t = self.thresholds
        metrics = BedrockModelMetrics(model.model_id)
        ops = BedrockOpsMetrics(model.model_id, namespace=self.content_filter_namespace)
        latency_threshold = model.latency_threshold_ms or t.latency_ms
        stat = t.latency_statistic
        stat_name = stat.upper().replace(".", "_")
        at_least = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        # Scoped by (a short digest of) the model id, not its position: reordering the list must not replace
        # named alarms; the digest keeps logical ids, which the dashboards repeat, short.
        digest = hashlib.sha256(model.model_id.encode()).hexdigest()[:8]
        scope = Construct(self, f"Model{digest}")
        mid = model.model_id

        return _ModelAlarms(
            latency=self._scoped_alarm(
                scope,
                "Latency",
                name=self.alarm_name(mid, f"InvocationLatency{stat_name}"),
                metric=metrics.metric_invocation_latency(statistic=stat, period=t.period),
                threshold=latency_threshold,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=f"{mid}: InvocationLatency {stat} above {latency_threshold:g} ms",
            ),
            content_filtered=self._scoped_alarm(
                scope,
                "ContentFiltered",
                name=self.alarm_name(mid, CONTENT_FILTERED_COUNT),
                metric=ops.metric_content_filtered_count(period=t.period),
                threshold=t.content_filtered_count,
                comparison=at_least,
                description=f"{mid}: {t.content_filtered_count:g} or more responses stopped by content "
                f"filtering or a guardrail in {t.period_minutes} minutes",
            ),
            throttles=self._scoped_alarm(
                scope,
                "Throttles",
                name=self.alarm_name(mid, "InvocationThrottles"),
                metric=metrics.metric_invocation_throttles(period=t.period),
                threshold=t.throttles,
                comparison=at_least,
                description=f"{mid}: {t.throttles:g} or more throttled invocations in {t.period_minutes} minutes",
            ),
            server_errors=self._scoped_alarm(
                scope,
                "ServerErrors",
                name=self.alarm_name(mid, "InvocationServerErrors"),
                metric=metrics.metric_invocation_server_errors(period=t.period),
                threshold=t.server_errors,
                comparison=at_least,
                description=f"{mid}: {t.server_errors:g} or more server errors in {t.period_minutes} minutes",
            ),
        )

    def _scoped_alarm(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
        description: str,
    ) -> cloudwatch.Alarm:
        t = self.thresholds
        alarm = cloudwatch.Alarm(
            scope,
            id,
            alarm_name=name,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=t.evaluation_periods,
            datapoints_to_alarm=t.datapoints_to_alarm,
            # Every metric alarmed on here is published only when something happens (a call, a throttle,
            # a filtered response, a delivery): no data means nothing went wrong.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        return alarm

    def _log_delivery_alarms(self) -> list[cloudwatch.Alarm]:
        t = self.thresholds
        delivery = BedrockLoggingMetrics()
        scope = Construct(self, "LogDelivery")
        cases = (
            ("CloudWatch", delivery.metric_cloud_watch_delivery_failure, "CloudWatch Logs"),
            ("S3", delivery.metric_s3_delivery_failure, "S3"),
            ("LargeDataS3", delivery.metric_large_data_s3_delivery_failure, "the large-data S3 location"),
        )
        return [
            self._scoped_alarm(
                scope,
                f"{key}DeliveryFailure",
                name=f"{self.alarm_name_prefix}-InvocationLogging-{key}DeliveryFailure",
                metric=factory(period=t.period),
                threshold=t.log_delivery_failures,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                description=f"Bedrock could not deliver model invocation logs to {where}",
            )
            for key, factory, where in cases
        ]

    # --- dashboards ------------------------------------------------------------------------------------

    def _overview(self, log_group: logs.ILogGroup | None) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(
            self,
            "Overview",
            dashboard_name=f"{self.dashboard_name_prefix}-Overview",
            default_interval=Duration.hours(3),
        )
        model_dim = (MODEL_ID_DIMENSION,)

        def search(title: str, namespace: str, dims: tuple[str, ...], name: str, stat: str) -> cloudwatch.GraphWidget:
            expression = cloudwatch.MathExpression(
                expression=search_expression(namespace, dims, name, stat),
                label="",
                period=Duration.minutes(5),
            )
            return cloudwatch.GraphWidget(title=title, left=[expression], width=8, height=6)

        stat = self.thresholds.latency_statistic
        pages = ", ".join(f"`{d}`" for d in self._model_dashboard_names())
        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=(
                    "## Amazon Bedrock: all models\n"
                    "Every graph is a `SEARCH` over all models in this account and Region. "
                    f"Per-model sections: {pages}."
                ),
                width=24,
                height=2,
            )
        )
        dashboard.add_widgets(
            search("Invocations by model", BEDROCK_NAMESPACE, model_dim, "Invocations", "Sum"),
            search(
                f"InvocationLatency {stat} by model (ms)",
                BEDROCK_NAMESPACE,
                model_dim,
                "InvocationLatency",
                stat,
            ),
            search(
                f"TimeToFirstToken {stat} by model (ms)",
                BEDROCK_NAMESPACE,
                model_dim,
                "TimeToFirstToken",
                stat,
            ),
        )
        dashboard.add_widgets(
            search("Client errors by model", BEDROCK_NAMESPACE, model_dim, "InvocationClientErrors", "Sum"),
            search("Server errors by model", BEDROCK_NAMESPACE, model_dim, "InvocationServerErrors", "Sum"),
            search("Throttles by model", BEDROCK_NAMESPACE, model_dim, "InvocationThrottles", "Sum"),
        )
        dashboard.add_widgets(
            search("Input tokens by model", BEDROCK_NAMESPACE, model_dim, "InputTokenCount", "Sum"),
            search("Output tokens by model", BEDROCK_NAMESPACE, model_dim, "OutputTokenCount", "Sum"),
            search(
                "ContentFilteredCount by model",
                self.content_filter_namespace,
                model_dim,
                CONTENT_FILTERED_COUNT,
                "Sum",
            ),
        )
        delivery = BedrockLoggingMetrics()
        row: list[cloudwatch.IWidget] = [
            search(
                "Guardrail interventions",
                GUARDRAILS_NAMESPACE,
                ("GuardrailArn", "GuardrailVersion"),
                "InvocationsIntervened",
                "Sum",
            ),
            cloudwatch.GraphWidget(
                title="Invocation log delivery",
                left=[
                    delivery.metric_cloud_watch_delivery_success(label="CloudWatch delivered"),
                    delivery.metric_s3_delivery_success(label="S3 delivered"),
                ],
                right=[
                    delivery.metric_cloud_watch_delivery_failure(label="CloudWatch failed"),
                    delivery.metric_s3_delivery_failure(label="S3 failed"),
                    delivery.metric_large_data_s3_delivery_failure(label="Large data S3 failed"),
                ],
                width=8,
                height=6,
            ),
        ]
        if self.log_delivery_alarms:
            row.append(
                cloudwatch.AlarmStatusWidget(
                    title="Invocation logging alarms",
                    alarms=list(self.log_delivery_alarms),
                    width=8,
                    height=6,
                )
            )
        dashboard.add_widgets(*row)
        if log_group is not None:
            dashboard.add_widgets(
                cloudwatch.LogQueryWidget(
                    title="Latest content-filtered responses",
                    log_group_names=[log_group.log_group_name],
                    query_lines=[
                        "fields @timestamp, modelId, identity.arn, operation",
                        content_filtered_insights_filter(),
                        "sort @timestamp desc",
                        "limit 20",
                    ],
                    width=24,
                    height=6,
                )
            )
        return dashboard

    def _models_per_dashboard(self) -> int:
        return self._max_widgets // self.widgets_per_model(with_cost=True)

    def _model_chunks(self) -> list[list[MonitoredModel]]:
        size = self._models_per_dashboard()
        return [self.models[i : i + size] for i in range(0, len(self.models), size)]

    def _model_dashboard_names(self) -> list[str]:
        return [f"{self.dashboard_name_prefix}-Models-{n + 1}" for n in range(len(self._model_chunks()))]

    def _model_dashboards(self) -> list[cloudwatch.Dashboard]:
        dashboards = []
        for n, (name, chunk) in enumerate(zip(self._model_dashboard_names(), self._model_chunks(), strict=True)):
            dashboard = cloudwatch.Dashboard(
                self, f"Models{n + 1}", dashboard_name=name, default_interval=Duration.hours(3)
            )
            for model in chunk:
                self._model_section(dashboard, model)
            dashboards.append(dashboard)
        return dashboards

    def _model_section(self, dashboard: cloudwatch.Dashboard, model: MonitoredModel) -> None:
        t = self.thresholds
        mid = model.model_id
        metrics = BedrockModelMetrics(mid)
        ops = BedrockOpsMetrics(mid, namespace=self.content_filter_namespace)
        threshold = model.latency_threshold_ms or t.latency_ms
        price = self.model_prices.get(mid)
        price_text = f" · on-demand price: ${price[0]:g} / ${price[1]:g} per 1k input / output tokens" if price else ""
        dashboard.add_widgets(cloudwatch.TextWidget(markdown=f"### {mid}{price_text}", width=24, height=1))
        graphs: list[cloudwatch.IWidget] = [
            cloudwatch.GraphWidget(
                title="Latency (ms)",
                left=[
                    metrics.metric_invocation_latency(statistic=s, label=f"InvocationLatency {s}")
                    for s in ("p50", "p90", "p99")
                ],
                right=[metrics.metric_time_to_first_token(label="TimeToFirstToken p90")],
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(value=threshold, label=f"alarm ({t.latency_statistic})")
                ],
                width=6,
                height=6,
            ),
            cloudwatch.GraphWidget(
                title="Invocations, errors, throttles",
                left=[metrics.metric_invocations(label="Invocations")],
                right=[
                    metrics.metric_invocation_client_errors(label="Client errors"),
                    metrics.metric_invocation_server_errors(label="Server errors"),
                    metrics.metric_invocation_throttles(label="Throttles"),
                ],
                width=6,
                height=6,
            ),
            cloudwatch.GraphWidget(
                title="Tokens",
                left=[
                    metrics.metric_input_token_count(label="Input tokens"),
                    metrics.metric_output_token_count(label="Output tokens"),
                ],
                width=6,
                height=6,
            ),
        ]
        if price is not None:
            graphs.append(
                cloudwatch.GraphWidget(
                    title="Estimated on-demand cost (USD)",
                    left=[_cost_expression(metrics, price)],
                    width=6,
                    height=6,
                )
            )
        dashboard.add_widgets(*graphs)
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="ContentFilteredCount",
                left=[ops.metric_content_filtered_count(label="Filtered responses")],
                left_annotations=[cloudwatch.HorizontalAnnotation(value=t.content_filtered_count, label="alarm")],
                width=12,
                height=4,
            ),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms_for(mid), width=12, height=4),
        )


def _cost_expression(metrics: BedrockModelMetrics, price: tuple[float, float]) -> cloudwatch.MathExpression:
    input_price, output_price = (_decimal(p) for p in price)
    return cloudwatch.MathExpression(
        expression=f"(tokensIn * {input_price} + tokensOut * {output_price}) / 1000",
        using_metrics={
            "tokensIn": metrics.metric_input_token_count(),
            "tokensOut": metrics.metric_output_token_count(),
        },
        label="Estimated cost per period (USD)",
        period=Duration.minutes(5),
    )


def _decimal(value: float) -> str:
    """A plain decimal for metric math (no exponent such as 1e-05)."""
    return f"{value:.10f}".rstrip("0").rstrip(".") or "0"
