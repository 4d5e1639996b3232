"""The props of BedrockMonitoring: shared alarm thresholds and the models to monitor, checked when built."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Token

from bedrock_ops.observability.model_ids import check_model_id, check_model_list

__all__ = [
    "FLEET_LATENCY_FUNCTIONS",
    "LATENCY_STATISTICS",
    "MAX_DASHBOARD_WIDGETS",
    "AlarmThresholds",
    "MonitoredModel",
]

#: CloudWatch's limit of widgets per dashboard.
MAX_DASHBOARD_WIDGETS = 500
LATENCY_STATISTICS = ("p50", "p90", "p95", "p99", "p99.9")
#: Metrics Insights has no percentiles: the fleet latency alarms use the average or the maximum per period.
FLEET_LATENCY_FUNCTIONS = ("AVG", "MAX")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_UNSAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]")
DASHBOARD_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


@dataclass(frozen=True)
class AlarmThresholds:
    """Alarm thresholds shared by every monitored model (per-model latency: :class:`MonitoredModel`).

    :param latency_ms: InvocationLatency above this (ms) is a breach (default: 20,000 ms; generation of long
        answers takes seconds, pick a value from your own p90).
    :param latency_statistic: the percentile of the per-model latency alarms (listed models only), one of
        ``p50 p90 p95 p99 p99.9`` (default: ``p90``).
    :param fleet_latency_function: what the fleet latency and TimeToFirstToken alarms compare per model and
        period, ``AVG`` (the typical call) or ``MAX`` (the slowest call); Metrics Insights offers no
        percentiles (default: ``AVG``).
    :param time_to_first_token_ms: TimeToFirstToken above this (ms) is a breach (default: 5,000 ms).
    :param quota_usage_percent: EstimatedTPMQuotaUsage at or above this share of the model's tokens-per-minute
        quota, 1-100, is a breach (default: 80).
    :param content_filtered_count: ContentFilteredCount per period at or above this is a breach (default: 5).
    :param throttles: InvocationThrottles per period at or above this is a breach (default: 10).
    :param server_errors: InvocationServerErrors per period at or above this is a breach (default: 5).
    :param log_delivery_failures: invocation log delivery failures per period at or above this is a breach
        (default: 1).
    :param period_minutes: the alarm period, 1-60 minutes (default: 5).
    :param evaluation_periods: periods evaluated, 1-24 (default: 3).
    :param datapoints_to_alarm: breaching periods among them that raise the alarm (default: 2).
    """

    latency_ms: float = 20_000
    latency_statistic: str = "p90"
    fleet_latency_function: str = "AVG"
    time_to_first_token_ms: float = 5_000
    quota_usage_percent: float = 80
    content_filtered_count: float = 5
    throttles: float = 10
    server_errors: float = 5
    log_delivery_failures: float = 1
    period_minutes: int = 5
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 2

    def __post_init__(self) -> None:
        if self.latency_ms <= 0:
            raise ValueError(f"latency_ms must be > 0, got {self.latency_ms}")
        if self.latency_statistic not in LATENCY_STATISTICS:
            raise ValueError(
                f"latency_statistic must be one of {', '.join(LATENCY_STATISTICS)}, got {self.latency_statistic!r}"
            )
        if self.fleet_latency_function not in FLEET_LATENCY_FUNCTIONS:
            raise ValueError(
                f"fleet_latency_function must be one of {', '.join(FLEET_LATENCY_FUNCTIONS)} (Metrics Insights has "
                f"no percentiles), got {self.fleet_latency_function!r}"
            )
        if self.time_to_first_token_ms <= 0:
            raise ValueError(f"time_to_first_token_ms must be > 0, got {self.time_to_first_token_ms}")
        if not 1 <= self.quota_usage_percent <= 100:
            raise ValueError(f"quota_usage_percent must be 1-100, got {self.quota_usage_percent}")
        for name in ("content_filtered_count", "throttles", "server_errors", "log_delivery_failures"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 1 <= self.period_minutes <= 60:
            raise ValueError(f"period_minutes must be 1-60, got {self.period_minutes}")
        if not 1 <= self.evaluation_periods <= 24:
            raise ValueError(f"evaluation_periods must be 1-24, got {self.evaluation_periods}")
        if not 1 <= self.datapoints_to_alarm <= self.evaluation_periods:
            raise ValueError(
                f"datapoints_to_alarm must be 1-{self.evaluation_periods} (evaluation_periods), "
                f"got {self.datapoints_to_alarm}"
            )

    @property
    def period(self) -> Duration:
        """The alarm period."""
        return Duration.minutes(self.period_minutes)


@dataclass(frozen=True)
class MonitoredModel:
    """A model shown in detail (its own dashboard section) and, where asked, alarmed on by itself.

    :param model_id: the ``ModelId`` dimension value: a model id, system inference profile id, or the ARN of an
        application inference profile, provisioned throughput or custom model deployment (a CDK token is
        allowed when ``name`` is given).
    :param latency_threshold_ms: this model's latency percentile threshold; giving it asks for this model's
        own alarms (default: ``AlarmThresholds.latency_ms``).
    :param alarms: whether this model gets its own alarms (latency percentile, ContentFilteredCount, throttles,
        server errors) beside the fleet alarms (default: yes when ``latency_threshold_ms`` is given, else the
        construct's ``per_model_alarms``).
    :param name: the name used in alarm and dashboard names (default: the model id with characters outside
        ``A-Za-z0-9._-`` as ``-``; required for a token, e.g. the ARN of a profile made in the same stack).
    """

    model_id: str
    latency_threshold_ms: float | None = None
    alarms: bool | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if not self.model_id:
            raise ValueError("model_id must be a non-empty model id, got ''")
        check_model_id(self.model_id, parameter="model_id")
        if self.latency_threshold_ms is not None and self.latency_threshold_ms <= 0:
            raise ValueError(f"latency_threshold_ms of {self.model_id} must be > 0, got {self.latency_threshold_ms}")
        if self.name is not None and not NAME_PATTERN.match(self.name):
            raise ValueError(f"name must be 1-100 characters of A-Z a-z 0-9 . _ -, got {self.name!r}")
        if self.name is None and Token.is_unresolved(self.model_id):
            raise ValueError(
                "model_id is a token (resolved at deploy time): give name= too, it names the model's alarms "
                "and dashboard section"
            )

    @property
    def key(self) -> str:
        """The name part of this model's alarm names."""
        return self.name or NAME_UNSAFE_CHARACTERS.sub("-", self.model_id)

    def wants_alarms(self, default: bool) -> bool:
        """Whether this model gets its own alarms, given the construct's ``per_model_alarms``."""
        if self.alarms is not None:
            return self.alarms
        return True if self.latency_threshold_ms is not None else default


def normalize_models(models: Sequence[str | MonitoredModel], *, required: bool = False) -> list[MonitoredModel]:
    check_model_list(models, parameter="models")
    if required and not models:
        raise ValueError(
            "models must name at least one model to monitor when fleet_alarms is false, got [] "
            "(with fleet alarms every model is watched without a list)"
        )
    normalized = []
    for n, m in enumerate(models):
        if isinstance(m, MonitoredModel):
            normalized.append(m)
        else:
            check_model_id(m, parameter=f"models[{n}]")
            normalized.append(MonitoredModel(m))
    seen: dict[str, str] = {}
    for model in normalized:
        key = model.key
        if key in seen:
            raise ValueError(
                f"models contains {model.model_id!r} twice or next to {seen[key]!r} (same alarm name {key!r})"
            )
        seen[key] = model.model_id
    return normalized


def check_prices(prices: Mapping[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    checked = {}
    for model_id, price in prices.items():
        if len(price) != 2 or any(p < 0 for p in price):
            raise ValueError(
                f"model_prices[{model_id!r}] must be (input, output) USD per 1k tokens >= 0, got {price!r}"
            )
        checked[model_id] = (float(price[0]), float(price[1]))
    return checked
