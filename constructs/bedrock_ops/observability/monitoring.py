"""BedrockMonitoring: alarms per model, an alarm topic, and dashboards that scale to hundreds of models."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aws_cdk import Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions

from bedrock_ops._core.sequences import require_list
from bedrock_ops.models.knowledge import load_models
from bedrock_ops.observability import dashboards
from bedrock_ops.observability.fleet import (
    MAX_EVALUATION_MINUTES,
    MAX_METRICS_INSIGHTS_ALARMS,
    FleetMetrics,
)
from bedrock_ops.observability.metrics import (
    CONTENT_FILTERED_COUNT,
    PROJECT_NAMESPACE,
    BedrockLoggingMetrics,
    BedrockModelMetrics,
    BedrockOpsMetrics,
)
from bedrock_ops.observability.model_ids import check_known_model, check_model_id, check_model_list
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

if TYPE_CHECKING:
    from bedrock_ops.serving.inference_profile import IApplicationInferenceProfile

#: Models one tokens-per-minute quota alarm lists in its WHERE clause (the Metrics Insights query length limit
#: is not documented on the pages read, 2026-12-01: unconfirmed; 50 ids keep a query under about 3,000 characters).
QUOTA_MODELS_PER_ALARM = 50
#: Models with their own quota next to ``default_tpm_quota`` (the default alarm's query excludes each one).
MAX_QUOTA_EXCLUSIONS = 50


@dataclass(frozen=True)
class _ModelAlarms:
    latency: cloudwatch.Alarm
    content_filtered: cloudwatch.Alarm
    throttles: cloudwatch.Alarm
    server_errors: cloudwatch.Alarm

    def all(self) -> list[cloudwatch.Alarm]:
        return [self.latency, self.content_filtered, self.throttles, self.server_errors]


class BedrockMonitoring(Construct):
    """Alarms, an encrypted alarm topic and dashboards for every Bedrock model of the account and Region.

    **Fleet alarms** (default, ``fleet_alarms=True``): one CloudWatch Metrics Insights alarm per signal over every
    ``ModelId`` (:mod:`bedrock_ops.observability.fleet`); each model, inference profile, provisioned throughput
    or custom model deployment is a contributor with its own state, and those created at run time join by
    themselves. Names ``<prefix>-AllModels-<signal>``:

    - ``InvocationLatency`` (``AlarmThresholds.fleet_latency_function``, AVG or MAX: no percentiles in Metrics
      Insights) above ``latency_ms``; ``TimeToFirstToken`` above ``time_to_first_token_ms``;
    - ``InvocationServerErrors``, ``InvocationThrottles`` and ``ContentFilteredCount`` (project namespace)
      at or above their thresholds;
    - tokens-per-minute quota headroom, ``<prefix>-TPMQuota-<quota>[-<n>]`` per distinct quota of
      ``tpm_quotas`` and ``<prefix>-TPMQuota-Default`` for every other model (``default_tpm_quota``):
      EstimatedTPMQuotaUsage per minute at or above ``quota_usage_percent`` of the quota.

    Missing data is not breaching everywhere (Bedrock publishes these metrics only when calls happen).

    **Per-model alarms** only where asked (``per_model_alarms=True``, ``MonitoredModel(alarms=True)`` or a
    model's own ``latency_threshold_ms``): ``<prefix>-<model>-InvocationLatency<P90>`` (a percentile),
    ``-ContentFilteredCount`` (summed over the model's log ``modelId`` aliases), ``-InvocationThrottles``,
    ``-InvocationServerErrors``. Account-wide ``<prefix>-InvocationLogging-<destination>DeliveryFailure``.

    **Dashboards**: ``<dashboard prefix>-Overview`` needs no model list (``SEARCH`` over every ``ModelId``);
    ``<dashboard prefix>-Models-<n>`` holds a section per listed model; ``<dashboard prefix>-Applications-<n>``
    a cost widget per application inference profile given; each split before ``max_widgets_per_dashboard``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        models: Sequence[str | MonitoredModel] = (),
        fleet_alarms: bool = True,
        per_model_alarms: bool | None = None,
        tpm_quotas: Mapping[str, float] | None = None,
        default_tpm_quota: float | None = None,
        inference_profiles: Sequence[IApplicationInferenceProfile] = (),
        thresholds: AlarmThresholds | None = None,
        alarm_name_prefix: str = "BedrockOps",
        dashboard_name_prefix: str = "BedrockOps",
        alarm_emails: Sequence[str] = (),
        alarm_topic: sns.ITopic | None = None,
        topic_encryption_key: kms.IKey | None = None,
        model_prices: Mapping[str, tuple[float, float]] | None = None,
        content_filter_namespace: str = PROJECT_NAMESPACE,
        log_delivery_alarms: bool = True,
        models_file: str | Path | None = None,
        invocation_log_group: logs.ILogGroup | None = None,
        max_widgets_per_dashboard: int = MAX_DASHBOARD_WIDGETS,
    ) -> None:
        """
        :param models: models shown in detail (a dashboard section each) and, where asked, alarmed on by
            themselves: ids or :class:`MonitoredModel` (default: none; the fleet alarms and the overview
            need no list). Use the id the calls use, e.g. the ``us.`` profile id of a model invoked on demand
            only through an inference profile.
        :param fleet_alarms: one Metrics Insights alarm per signal over every model (default: true). Without
            them ``models`` must list at least one model, each with its own alarms.
        :param per_model_alarms: give every listed model its own alarms (default: false with fleet alarms,
            true without).
        :param tpm_quotas: the account's tokens-per-minute quota per ``ModelId`` (Service Quotas, "On-demand /
            Cross-Region InvokeModel tokens per minute for <model>"), for the quota headroom alarms (default:
            none).
        :param default_tpm_quota: the quota of every model not in ``tpm_quotas`` (default: no alarm for them).
        :param inference_profiles: application inference profiles to chart the estimated cost of (priced
            from ``model_prices`` by their source model; default: none).
        :param thresholds: alarm thresholds (default: ``AlarmThresholds()``).
        :param alarm_name_prefix: first part of every alarm name (default: ``BedrockOps``); two monitorings
            in one stack need different prefixes.
        :param dashboard_name_prefix: first part of every dashboard name (default: ``BedrockOps``).
        :param alarm_emails: addresses subscribed to the alarm topic (default: none).
        :param models_file: a models file merged over the packaged model knowledge base, against which listed
            model ids and quota keys are checked (default: the packaged knowledge base only).
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
        require_list(alarm_emails, param="alarm_emails", of="e-mail addresses")
        for email in alarm_emails:
            if not Token.is_unresolved(email) and not EMAIL_PATTERN.match(email):
                raise ValueError(f"alarm_emails must be e-mail addresses, got {email!r}")
        check_model_list(inference_profiles, parameter="inference_profiles")
        self.models = _known_models(normalize_models(models, required=not fleet_alarms), tpm_quotas, models_file)
        self.fleet_alarms_enabled = fleet_alarms
        self.per_model_alarms = (not fleet_alarms) if per_model_alarms is None else per_model_alarms
        self.tpm_quotas = _check_quotas(tpm_quotas or {}, default_tpm_quota)
        self.default_tpm_quota = default_tpm_quota
        if fleet_alarms:
            window = self.thresholds.period_minutes * self.thresholds.evaluation_periods
            if window > MAX_EVALUATION_MINUTES:
                raise ValueError(
                    f"period_minutes x evaluation_periods must be at most {MAX_EVALUATION_MINUTES} minutes with "
                    f"fleet alarms (Metrics Insights alarms evaluate only the latest 3 hours), got {window}"
                )
        elif self.tpm_quotas or default_tpm_quota is not None:
            raise ValueError(
                "tpm_quotas and default_tpm_quota need fleet_alarms=True (they are Metrics Insights alarms)"
            )
        self.model_prices = check_prices(model_prices or {})
        self.inference_profiles = list(inference_profiles)
        self.alarm_name_prefix = alarm_name_prefix
        self.dashboard_name_prefix = dashboard_name_prefix
        self.content_filter_namespace = content_filter_namespace
        self._max_widgets = max_widgets_per_dashboard
        self._log_delivery = log_delivery_alarms
        self._fleet = FleetMetrics(content_filter_namespace=content_filter_namespace, period=self.thresholds.period)
        self._quota_groups = self._plan_quota_alarms()
        insights_alarms = (len(_FLEET_SIGNALS) if fleet_alarms else 0) + len(self._quota_groups)
        if insights_alarms > MAX_METRICS_INSIGHTS_ALARMS:
            raise ValueError(
                f"tpm_quotas would need {insights_alarms} Metrics Insights alarms; an account and Region has "
                f"{MAX_METRICS_INSIGHTS_ALARMS} by default: use fewer distinct quota values"
            )
        self.planned_names = self._planned_names()
        self._check_names_unique_in_stack()

        self.alarm_topic: sns.ITopic = alarm_topic or self._new_topic(topic_encryption_key)
        for email in alarm_emails:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(email))
        self._action = cw_actions.SnsAction(self.alarm_topic)

        self.fleet_alarms: list[cloudwatch.Alarm] = self._fleet_alarms() if fleet_alarms else []
        self.quota_alarms: list[cloudwatch.Alarm] = self._quota_alarms()
        self._alarms: dict[str, _ModelAlarms] = {}
        for model in self.models:
            if model.wants_alarms(self.per_model_alarms):
                self._alarms[model.model_id] = self._model_alarms(model)
        self.log_delivery_alarms: list[cloudwatch.Alarm] = self._log_delivery_alarms() if log_delivery_alarms else []
        self.overview_dashboard = dashboards.overview(self, invocation_log_group)
        self.model_dashboards = dashboards.model_dashboards(self)
        self.application_dashboards = dashboards.application_dashboards(self)

    # --- public ----------------------------------------------------------------------------------------

    @property
    def dashboards(self) -> list[cloudwatch.Dashboard]:
        """Every dashboard: the overview first, then the per-model and the application dashboards."""
        return [self.overview_dashboard, *self.model_dashboards, *self.application_dashboards]

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        """Every alarm of this construct."""
        per_model = [a for alarms in self._alarms.values() for a in alarms.all()]
        return [*self.fleet_alarms, *self.quota_alarms, *per_model, *self.log_delivery_alarms]

    def alarms_for(self, model_id: str) -> list[cloudwatch.Alarm]:
        """The alarms of one listed model that has its own (latency, content filtered, throttles, server errors)."""
        if model_id not in self._alarms:
            raise KeyError(f"{model_id!r} has no alarms of its own; models with alarms: {', '.join(self._alarms)}")
        return self._alarms[model_id].all()

    def alarm_name(self, model_id: str, what: str) -> str:
        """The alarm naming scheme: ``<prefix>-<model>-<what>`` (``<model>``: the id with characters outside
        ``A-Za-z0-9._-`` as ``-``, or the name it was listed with)."""
        for model in self.models:
            if model.model_id == model_id:
                return self._name(model, what)
        return f"{self.alarm_name_prefix}-{NAME_UNSAFE_CHARACTERS.sub('-', model_id)}-{what}"

    @staticmethod
    def widgets_per_model(*, with_cost: bool) -> int:
        """Widgets in one model's dashboard section (at most; one fewer without alarms of its own)."""
        return 7 if with_cost else 6

    # --- names -----------------------------------------------------------------------------------------

    def _name(self, model: MonitoredModel, what: str) -> str:
        return f"{self.alarm_name_prefix}-{model.key}-{what}"

    def _latency_suffix(self) -> str:
        return "InvocationLatency" + self.thresholds.latency_statistic.upper().replace(".", "_")

    def _fleet_name(self, what: str) -> str:
        return f"{self.alarm_name_prefix}-AllModels-{what}"

    def _planned_names(self) -> set[str]:
        names = {self._fleet_name(w) for w in _FLEET_SIGNALS} if self.fleet_alarms_enabled else set()
        names.update(name for name, _, _ in self._quota_groups)
        whats = (self._latency_suffix(), CONTENT_FILTERED_COUNT, "InvocationThrottles", "InvocationServerErrors")
        for model in self.models:
            if model.wants_alarms(self.per_model_alarms):
                names.update(self._name(model, what) for what in whats)
        if self._log_delivery:
            names.update(f"{self.alarm_name_prefix}-InvocationLogging-{k}DeliveryFailure" for k in _DELIVERY_KEYS)
        names.add(f"dashboard:{self.dashboard_name_prefix}-Overview")
        names.update(f"dashboard:{n}" for n in dashboards.model_dashboard_names(self))
        names.update(f"dashboard:{n}" for n in dashboards.application_dashboard_names(self))
        return names

    def _check_names_unique_in_stack(self) -> None:
        stack = Stack.of(self)
        for other in stack.node.find_all():
            if other is self or not isinstance(other, BedrockMonitoring) or Stack.of(other) is not stack:
                continue
            clash = sorted(self.planned_names & other.planned_names)
            if clash:
                kind, _, name = clash[0].rpartition(":")
                what, prefix = ("dashboard", "dashboard_name_prefix") if kind else ("alarm", "alarm_name_prefix")
                raise ValueError(
                    f"{prefix}: BedrockMonitoring {self.node.path} would create the {what} {name!r}, which "
                    f"{other.node.path} in the same stack creates too; give each monitoring its own "
                    "alarm_name_prefix and dashboard_name_prefix"
                )

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

    def _fleet_alarms(self) -> list[cloudwatch.Alarm]:
        t = self.thresholds
        fleet = self._fleet
        scope = Construct(self, "AllModels")
        at_least = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
        fn = t.fleet_latency_function
        window = f"{t.datapoints_to_alarm} of {t.evaluation_periods} periods of {t.period_minutes} min"
        cases = (
            (
                "Latency",
                "InvocationLatency",
                fleet.invocation_latency(fn),
                t.latency_ms,
                above,
                f"{fn} InvocationLatency above {t.latency_ms:g} ms",
            ),
            (
                "TimeToFirstToken",
                "TimeToFirstToken",
                fleet.time_to_first_token(fn),
                t.time_to_first_token_ms,
                above,
                f"{fn} TimeToFirstToken (streaming calls) above {t.time_to_first_token_ms:g} ms",
            ),
            (
                "ServerErrors",
                "InvocationServerErrors",
                fleet.invocation_server_errors(),
                t.server_errors,
                at_least,
                f"{t.server_errors:g} or more server errors per period",
            ),
            (
                "Throttles",
                "InvocationThrottles",
                fleet.invocation_throttles(),
                t.throttles,
                at_least,
                f"{t.throttles:g} or more throttled invocations per period",
            ),
            (
                "ContentFiltered",
                CONTENT_FILTERED_COUNT,
                fleet.content_filtered_count(),
                t.content_filtered_count,
                at_least,
                f"{t.content_filtered_count:g} or more responses stopped by content filtering or a guardrail "
                "per period (ModelId as logged: an inference profile called by ARN appears under its ARN)",
            ),
        )
        alarms = []
        for key, what, expression, threshold, comparison, condition in cases:
            name = self._fleet_name(what)
            alarms.append(
                self._scoped_alarm(
                    scope,
                    key,
                    name=name,
                    metric=expression,
                    threshold=threshold,
                    comparison=comparison,
                    description=_contributor_description(name, f"Any model: {condition} in {window}."),
                )
            )
        return alarms

    def _plan_quota_alarms(self) -> list[tuple[str, float, list[str]]]:
        """(alarm name, quota, model ids) per quota alarm; the default alarm has an empty id list."""
        by_quota: dict[float, list[str]] = {}
        for model_id, quota in self.tpm_quotas.items():
            by_quota.setdefault(quota, []).append(model_id)
        groups: list[tuple[str, float, list[str]]] = []
        for quota, ids in sorted(by_quota.items()):
            chunks = [ids[i : i + QUOTA_MODELS_PER_ALARM] for i in range(0, len(ids), QUOTA_MODELS_PER_ALARM)]
            for n, chunk in enumerate(chunks):
                suffix = f"-{n + 1}" if len(chunks) > 1 else ""
                groups.append((f"{self.alarm_name_prefix}-TPMQuota-{quota:.0f}{suffix}", quota, chunk))
        if self.default_tpm_quota is not None:
            groups.append((f"{self.alarm_name_prefix}-TPMQuota-Default", self.default_tpm_quota, []))
        return groups

    def _quota_alarms(self) -> list[cloudwatch.Alarm]:
        if not self._quota_groups:
            return []
        t = self.thresholds
        scope = Construct(self, "TPMQuota")
        listed = list(self.tpm_quotas)
        alarms = []
        for name, quota, ids in self._quota_groups:
            default = not ids
            expression = self._fleet.estimated_tpm_quota_usage(listed if default else ids, exclude=default)
            threshold = quota * t.quota_usage_percent / 100
            who = "every model without a quota of its own" if default else ", ".join(ids)
            alarm = cloudwatch.Alarm(
                scope,
                "Default" if default else name.removeprefix(f"{self.alarm_name_prefix}-TPMQuota-"),
                alarm_name=name,
                alarm_description=_contributor_description(
                    name,
                    f"{who}: EstimatedTPMQuotaUsage per minute at or above {t.quota_usage_percent:g}% of a "
                    f"{quota:,.0f} tokens-per-minute quota ({threshold:,.0f}) in {t.datapoints_to_alarm} of "
                    f"{t.evaluation_periods} minutes: request a quota increase or spread the load.",
                ),
                metric=expression,
                threshold=threshold,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=t.evaluation_periods,
                datapoints_to_alarm=t.datapoints_to_alarm,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(self._action)
            alarm.add_ok_action(self._action)
            alarms.append(alarm)
        return alarms

    def _model_alarms(self, model: MonitoredModel) -> _ModelAlarms:
        t = self.thresholds
        metrics = BedrockModelMetrics(model.model_id)
        ops = BedrockOpsMetrics(model.model_id, namespace=self.content_filter_namespace)
        latency_threshold = model.latency_threshold_ms or t.latency_ms
        stat = t.latency_statistic
        at_least = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        # Scoped by (a short digest of) the model's name, not its position: reordering the list must not replace
        # named alarms; the digest keeps logical ids, which the dashboards repeat, short.
        digest = hashlib.sha256(model.key.encode()).hexdigest()[:8]
        scope = Construct(self, f"Model{digest}")
        label = model.name or model.model_id

        return _ModelAlarms(
            latency=self._scoped_alarm(
                scope,
                "Latency",
                name=self._name(model, self._latency_suffix()),
                metric=metrics.metric_invocation_latency(statistic=stat, period=t.period),
                threshold=latency_threshold,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=f"{label}: InvocationLatency {stat} above {latency_threshold:g} ms",
            ),
            content_filtered=self._scoped_alarm(
                scope,
                "ContentFiltered",
                name=self._name(model, CONTENT_FILTERED_COUNT),
                metric=ops.metric_content_filtered_count_all_aliases(period=t.period),
                threshold=t.content_filtered_count,
                comparison=at_least,
                description=f"{label}: {t.content_filtered_count:g} or more responses stopped by content "
                f"filtering or a guardrail in {t.period_minutes} minutes (the id and its ARN forms summed)",
            ),
            throttles=self._scoped_alarm(
                scope,
                "Throttles",
                name=self._name(model, "InvocationThrottles"),
                metric=metrics.metric_invocation_throttles(period=t.period),
                threshold=t.throttles,
                comparison=at_least,
                description=f"{label}: {t.throttles:g} or more throttled invocations in {t.period_minutes} minutes",
            ),
            server_errors=self._scoped_alarm(
                scope,
                "ServerErrors",
                name=self._name(model, "InvocationServerErrors"),
                metric=metrics.metric_invocation_server_errors(period=t.period),
                threshold=t.server_errors,
                comparison=at_least,
                description=f"{label}: {t.server_errors:g} or more server errors in {t.period_minutes} minutes",
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
        factories = {
            "CloudWatch": (delivery.metric_cloud_watch_delivery_failure, "CloudWatch Logs"),
            "S3": (delivery.metric_s3_delivery_failure, "S3"),
            "LargeDataS3": (delivery.metric_large_data_s3_delivery_failure, "the large-data S3 location"),
        }
        return [
            self._scoped_alarm(
                scope,
                f"{key}DeliveryFailure",
                name=f"{self.alarm_name_prefix}-InvocationLogging-{key}DeliveryFailure",
                metric=factories[key][0](period=t.period),
                threshold=t.log_delivery_failures,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                description=f"Bedrock could not deliver model invocation logs to {factories[key][1]}",
            )
            for key in _DELIVERY_KEYS
        ]


_FLEET_SIGNALS = (
    "InvocationLatency",
    "TimeToFirstToken",
    "InvocationServerErrors",
    "InvocationThrottles",
    CONTENT_FILTERED_COUNT,
)
_DELIVERY_KEYS = ("CloudWatch", "S3", "LargeDataS3")


def _contributor_description(name: str, condition: str) -> str:
    """An alarm description saying which contributor breached and how to list them."""
    return (
        f"{condition} Multi time series alarm: every ModelId (model, inference profile, provisioned throughput, "
        "deployment) is a contributor with its own state, and the contributor attribute ModelId in the "
        f"notification names it; list the breaching ones with `aws cloudwatch describe-alarm-contributors "
        f"--alarm-name {name}`."
    )


def _known_models(
    models: list[MonitoredModel], tpm_quotas: Mapping[str, float] | None, models_file: str | Path | None
) -> list[MonitoredModel]:
    """``models``, once every listed model and quota key that names a foundation model names one the knowledge
    base knows."""
    knowledge = load_models(models_file)
    for n, model in enumerate(models):
        check_known_model(model.model_id, parameter=f"models[{n}]", models=knowledge)
    for model_id in tpm_quotas or {}:
        check_known_model(model_id, parameter="tpm_quotas key", models=knowledge)
    return models


def _check_quotas(quotas: Mapping[str, float], default: float | None) -> dict[str, float]:
    checked: dict[str, float] = {}
    for model_id, quota in quotas.items():
        check_model_id(model_id, parameter="tpm_quotas key")
        if isinstance(quota, bool) or not isinstance(quota, int | float) or quota <= 0:
            raise ValueError(f"tpm_quotas[{model_id!r}] must be a tokens-per-minute quota > 0, got {quota!r}")
        checked[model_id] = float(quota)
    if default is not None and (isinstance(default, bool) or default <= 0):
        raise ValueError(f"default_tpm_quota must be a tokens-per-minute quota > 0, got {default!r}")
    if default is not None and len(checked) > MAX_QUOTA_EXCLUSIONS:
        raise ValueError(
            f"tpm_quotas lists {len(checked)} models next to default_tpm_quota; at most {MAX_QUOTA_EXCLUSIONS} "
            "(the default alarm's query excludes each one): give the models sharing a quota that quota via "
            "default_tpm_quota"
        )
    return checked
