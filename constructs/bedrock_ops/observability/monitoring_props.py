"""The props of BedrockMonitoring: shared alarm thresholds and the models to monitor, checked when built."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Token

__all__ = ["LATENCY_STATISTICS", "MAX_DASHBOARD_WIDGETS", "AlarmThresholds", "MonitoredModel"]

#: CloudWatch's limit of widgets per dashboard.
MAX_DASHBOARD_WIDGETS = 500
LATENCY_STATISTICS = ("p50", "p90", "p95", "p99", "p99.9")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_UNSAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]")
DASHBOARD_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


@dataclass(frozen=True)
class AlarmThresholds:
    """Alarm thresholds shared by every monitored model (per-model latency: :class:`MonitoredModel`).

    :param latency_ms: InvocationLatency above this (ms) is a breach (default: 20,000 ms; generation of long
        answers takes seconds, pick a value from your own p90).
    :param latency_statistic: the percentile alarmed on, one of ``p50 p90 p95 p99 p99.9`` (default: ``p90``).
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
    """A model to monitor.

    :param model_id: the ``ModelId`` dimension value (model id, inference profile id or ARN).
    :param latency_threshold_ms: this model's latency threshold (default: ``AlarmThresholds.latency_ms``).
    """

    model_id: str
    latency_threshold_ms: float | None = None

    def __post_init__(self) -> None:
        if not self.model_id:
            raise ValueError("model_id must be a non-empty model id, got ''")
        if self.latency_threshold_ms is not None and self.latency_threshold_ms <= 0:
            raise ValueError(f"latency_threshold_ms of {self.model_id} must be > 0, got {self.latency_threshold_ms}")


def normalize_models(models: Sequence[str | MonitoredModel]) -> list[MonitoredModel]:
    if not models:
        raise ValueError("models must name at least one model to monitor, got []")
    normalized = [m if isinstance(m, MonitoredModel) else MonitoredModel(m) for m in models]
    seen: dict[str, str] = {}
    for model in normalized:
        if Token.is_unresolved(model.model_id):
            raise ValueError("models must be literal model ids (they name alarms and dashboards), got a token")
        key = NAME_UNSAFE_CHARACTERS.sub("-", model.model_id)
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
