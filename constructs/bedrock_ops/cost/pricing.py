"""A dated, overridable table of Amazon Bedrock prices.

The figures live in package data (``bedrock_ops/cost/data/pricing.json``), never in code: they were
transcribed from the public Amazon Bedrock pricing page on the date the table states (``as_of``)
for one Region. Prices change; load your own file of the same schema with
``load_pricing_table(path)`` and it is merged over the packaged table (model by model, field by
field).

Schema::

    {"as_of": "YYYY-MM-DD", "currency": "USD", "region": "us-east-1", "source": "https://...",
     "models": {"<model id>": {"kind": "text" | "embedding" | "image",
                               "input_per_1k_tokens": float, "output_per_1k_tokens": float,
                               "per_image": float,
                               "provisioned_per_model_unit_hour": {"NoCommitment": float,
                                                                   "OneMonth": float,
                                                                   "SixMonths": float}}}}
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bedrock_ops._core.jsonfile import parse_json_object

__all__ = [
    "HOURS_PER_MONTH",
    "Commitment",
    "ModelPrice",
    "PricingTable",
    "load_pricing_table",
]

HOURS_PER_MONTH = 730
"""Hours in a billing month, as AWS pricing examples count them (365 * 24 / 12)."""

_KINDS = ("text", "embedding", "image")
_PRICE_FIELDS = ("input_per_1k_tokens", "output_per_1k_tokens", "per_image")
_MODEL_FIELDS = ("kind", *_PRICE_FIELDS, "provisioned_per_model_unit_hour")
_TOP_FIELDS = ("as_of", "currency", "region", "source", "notes", "models")
_ARN_PREFIX = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]*::foundation-model/")


class Commitment(StrEnum):
    """Commitment term of a provisioned throughput (the API's ``commitmentDuration``)."""

    NO_COMMITMENT = "NoCommitment"
    ONE_MONTH = "OneMonth"
    SIX_MONTHS = "SixMonths"

    @property
    def term_months(self) -> int:
        """Months the term binds you to: 0 for no commitment, else 1 or 6."""
        return {"NoCommitment": 0, "OneMonth": 1, "SixMonths": 6}[self.value]

    @property
    def term_hours(self) -> int:
        """Billed hours of the whole term (``term_months * HOURS_PER_MONTH``); 0 for no commitment."""
        return self.term_months * HOURS_PER_MONTH


@dataclass(frozen=True)
class ModelPrice:
    """Prices of one model. ``None`` where the pricing page gives no figure."""

    model_id: str
    kind: str
    input_per_1k_tokens: float | None = None
    output_per_1k_tokens: float | None = None
    per_image: float | None = None
    provisioned_per_model_unit_hour: Mapping[Commitment, float] = field(default_factory=lambda: MappingProxyType({}))

    def provisioned_hourly_cost(self, commitment: Commitment, model_units: int = 1) -> float | None:
        """Hourly cost of ``model_units`` at ``commitment``, or ``None`` if the table has no rate."""
        rate = self.provisioned_per_model_unit_hour.get(Commitment(commitment))
        return None if rate is None else rate * model_units


class PricingTable:
    """Prices of Amazon Bedrock models for one Region on one date."""

    def __init__(
        self,
        *,
        as_of: dt.date,
        currency: str,
        region: str,
        source: str,
        models: Mapping[str, ModelPrice],
        notes: str = "",
    ) -> None:
        self.as_of = as_of
        self.currency = currency
        self.region = region
        self.source = source
        self.notes = notes
        self._models = dict(models)

    @property
    def model_ids(self) -> tuple[str, ...]:
        """The model ids the table has prices for, sorted."""
        return tuple(sorted(self._models))

    def price(self, model_id: str) -> ModelPrice | None:
        """Prices of ``model_id``, or ``None`` when the table does not know the model.

        Accepts the plain id (``amazon.titan-text-express-v1``), a context-suffixed id
        (``amazon.titan-text-express-v1:0:8k``, resolved to the longest known prefix) and a
        foundation-model ARN.
        """
        candidate = _ARN_PREFIX.sub("", model_id.strip())
        while candidate:
            if candidate in self._models:
                return self._models[candidate]
            if ":" not in candidate:
                return None
            candidate = candidate.rsplit(":", 1)[0]
        return None

    def __repr__(self) -> str:
        return f"PricingTable(as_of={self.as_of}, region={self.region!r}, models={len(self._models)})"


def load_pricing_table(path: str | Path | None = None) -> PricingTable:
    """Load the packaged pricing table, with the file at ``path`` (same schema) merged over it.

    In the user file every key is optional: top-level keys replace the packaged ones, and each
    model entry is merged field by field over the packaged entry of the same id (a new id adds a
    model, which then needs a ``kind``). Raises ``ValueError`` naming the file, the key and the
    bad value.
    """
    packaged_name = "bedrock_ops/cost/data/pricing.json"
    packaged_text = resources.files("bedrock_ops").joinpath("cost/data/pricing.json").read_text("utf-8")
    data = _parse_json(packaged_text, packaged_name)
    source_of: dict[str, str] = {}
    for model_id in data.get("models", {}) if isinstance(data.get("models"), dict) else {}:
        source_of[model_id] = packaged_name
    top_source = dict.fromkeys(_TOP_FIELDS, packaged_name)
    if path is not None:
        user_name = str(path)
        try:
            user_text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{user_name}: cannot read the pricing file: {exc.strerror}") from exc
        override = _parse_json(user_text, user_name)
        _check_keys(override, _TOP_FIELDS, user_name, "")
        for key, value in override.items():
            top_source[key] = user_name
            if key != "models":
                data[key] = value
                continue
            if not isinstance(value, dict):
                raise ValueError(f"{user_name}: models must be an object of model id -> prices, got {value!r}")
            merged = dict(data.get("models", {}))
            for model_id, entry in value.items():
                if not isinstance(entry, dict):
                    raise ValueError(f"{user_name}: models.{model_id} must be an object, got {entry!r}")
                base = merged.get(model_id, {})
                merged[model_id] = {**base, **entry} if isinstance(base, dict) else entry
                source_of[model_id] = user_name
            data["models"] = merged
    return _build_table(data, top_source, source_of)


def _parse_json(text: str, name: str) -> dict[str, Any]:
    return parse_json_object(text, name, "the pricing table")


def _check_keys(obj: Mapping[str, Any], allowed: tuple[str, ...], name: str, where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise ValueError(f"{name}: unknown key {where}{key!r}; allowed keys: {', '.join(allowed)}")


def _build_table(data: Mapping[str, Any], top_source: Mapping[str, str], source_of: Mapping[str, str]) -> PricingTable:
    _check_keys(data, _TOP_FIELDS, top_source.get("models", "pricing table"), "")
    for key in ("as_of", "currency", "region", "source"):
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise ValueError(f"{top_source[key]}: {key} must be a non-empty string, got {value!r}")
    try:
        as_of = dt.date.fromisoformat(data["as_of"])
    except ValueError as exc:
        raise ValueError(f"{top_source['as_of']}: as_of must be a date YYYY-MM-DD, got {data['as_of']!r}") from exc
    raw_models = data.get("models")
    if not isinstance(raw_models, dict):
        raise ValueError(f"{top_source['models']}: models must be an object, got {raw_models!r}")
    models = {
        model_id: _build_price(model_id, entry, source_of.get(model_id, top_source["models"]))
        for model_id, entry in raw_models.items()
    }
    notes = data.get("notes", "")
    return PricingTable(
        as_of=as_of,
        currency=data["currency"],
        region=data["region"],
        source=data["source"],
        notes=notes if isinstance(notes, str) else "",
        models=models,
    )


def _number(value: Any, name: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}: {key} must be a non-negative number, got {value!r}")
    return float(value)


def _build_price(model_id: str, entry: Any, name: str) -> ModelPrice:
    where = f"models.{model_id}"
    if not isinstance(entry, dict):
        raise ValueError(f"{name}: {where} must be an object, got {entry!r}")
    _check_keys(entry, _MODEL_FIELDS, name, f"in {where}: ")
    kind = entry.get("kind")
    if kind not in _KINDS:
        raise ValueError(f"{name}: {where}.kind must be one of {', '.join(_KINDS)}, got {kind!r}")
    prices: dict[str, float | None] = {}
    for key in _PRICE_FIELDS:
        value = entry.get(key)
        prices[key] = None if value is None else _number(value, name, f"{where}.{key}")
    raw_pt = entry.get("provisioned_per_model_unit_hour") or {}
    if not isinstance(raw_pt, dict):
        raise ValueError(f"{name}: {where}.provisioned_per_model_unit_hour must be an object, got {raw_pt!r}")
    allowed = [c.value for c in Commitment]
    provisioned: dict[Commitment, float] = {}
    for term, rate in raw_pt.items():
        if term not in allowed:
            raise ValueError(
                f"{name}: {where}.provisioned_per_model_unit_hour has unknown commitment {term!r}; "
                f"allowed: {', '.join(allowed)}"
            )
        provisioned[Commitment(term)] = _number(rate, name, f"{where}.provisioned_per_model_unit_hour.{term}")
    return ModelPrice(
        model_id=model_id,
        kind=kind,
        input_per_1k_tokens=prices["input_per_1k_tokens"],
        output_per_1k_tokens=prices["output_per_1k_tokens"],
        per_image=prices["per_image"],
        provisioned_per_model_unit_hour=MappingProxyType(provisioned),
    )
