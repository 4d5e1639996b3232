"""Rates of the services around Bedrock (CloudWatch alarms, dashboards and logs, KMS keys, Lambda requests and
GB-seconds for reward functions), from the dated, overridable table ``bedrock_ops/cost/data/service_prices.json``:
every rate names its page and the day it was read (``price_sources``); a rate a user file changes is attributed
to that file."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from bedrock_ops._core.jsonfile import parse_json_object

__all__ = ["ServicePrices", "load_service_prices"]

_SERVICE_PRICE_KEYS = (
    "cloudwatch_alarm_month",
    "cloudwatch_dashboard_month",
    "cloudwatch_logs_ingestion_per_gb",
    "cloudwatch_logs_storage_per_gb_month",
    "cloudwatch_metrics_insights_alarm_metric_month",
    "kms_key_month",
    "lambda_request",
    "lambda_gb_second",
)
_SERVICE_TOP_KEYS = ("as_of", "currency", "region", "sources", "notes", "prices", "price_sources")
_PRICE_SOURCE_KEYS = ("source", "as_of", "unconfirmed", "note")


@dataclass(frozen=True)
class ServicePrices:
    """Monthly rates of the non-Bedrock services (see ``data/service_prices.json``)."""

    as_of: str
    currency: str
    region: str
    prices: Mapping[str, float]
    sources: Mapping[str, str] = field(default_factory=dict)
    price_sources: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per rate: ``source`` (URL, or ``your file <path>``), ``as_of`` and ``unconfirmed``."""

    def rate(self, key: str) -> float:
        """The rate named ``key``."""
        return self.prices[key]

    def source_of(self, key: str) -> Mapping[str, Any]:
        """Where the rate named ``key`` comes from and when it was read."""
        return self.price_sources.get(key, {"source": "unknown", "as_of": None, "unconfirmed": True})


def load_service_prices(path: str | Path | None = None) -> ServicePrices:
    """The packaged service price table, with the file at ``path`` (same schema) merged over it.

    Raises ``ValueError`` naming the file, the key and the bad value.
    """
    name = "bedrock_ops/cost/data/service_prices.json"
    data = _json_object(
        resources.files("bedrock_ops").joinpath("cost/data/service_prices.json").read_text("utf-8"), name
    )
    prices: dict[str, Any] = dict(data.get("prices", {}))
    price_sources: dict[str, Any] = dict(data.get("price_sources", {}))
    for key in prices:
        cited = price_sources.get(key)
        if not isinstance(cited, dict) or not cited.get("source") or not cited.get("as_of"):
            raise ValueError(f"{name}: price_sources.{key} must give the source and as_of of prices.{key}")
    if path is not None:
        name = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{name}: cannot read the service price file: {exc.strerror}") from None
        override = _json_object(text, name)
        unknown = [k for k in override if k not in _SERVICE_TOP_KEYS]
        if unknown:
            raise ValueError(f"{name}: unknown key {unknown[0]!r}; allowed keys: {', '.join(_SERVICE_TOP_KEYS)}")
        if "prices" in override and not isinstance(override["prices"], dict):
            raise ValueError(f"{name}: prices must be an object of name -> rate, got {override['prices']!r}")
        prices.update(override.get("prices", {}))
        user_sources = override.get("price_sources", {})
        if not isinstance(user_sources, dict):
            raise ValueError(f"{name}: price_sources must be an object of name -> source, got {user_sources!r}")
        for key in override.get("prices", {}):
            dated = {"as_of": override["as_of"]} if "as_of" in override else {"as_of": None}
            price_sources[key] = {"source": f"your file {name}", **dated}
        for key, cited in user_sources.items():
            if not isinstance(cited, dict) or any(k not in _PRICE_SOURCE_KEYS for k in cited):
                raise ValueError(
                    f"{name}: price_sources.{key} must be an object with {', '.join(_PRICE_SOURCE_KEYS)}, got {cited!r}"
                )
            price_sources[key] = dict(cited)
        data = {**data, **{k: v for k, v in override.items() if k != "prices"}}
    for key, value in prices.items():
        if key not in _SERVICE_PRICE_KEYS:
            raise ValueError(f"{name}: unknown price {key!r}; allowed: {', '.join(_SERVICE_PRICE_KEYS)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{name}: prices.{key} must be a non-negative number, got {value!r}")
    missing = [k for k in _SERVICE_PRICE_KEYS if k not in prices]
    if missing:
        raise ValueError(f"{name}: prices.{missing[0]} is missing")
    return ServicePrices(
        as_of=str(data.get("as_of", "")),
        currency=str(data.get("currency", "USD")),
        region=str(data.get("region", "")),
        prices={k: float(v) for k, v in prices.items()},
        sources=dict(data.get("sources", {})),
        price_sources=price_sources,
    )


def _json_object(text: str, name: str) -> dict[str, Any]:
    return parse_json_object(text, name, "the service price table")
