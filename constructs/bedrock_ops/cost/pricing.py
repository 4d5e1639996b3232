"""A dated, cited, overridable table of Amazon Bedrock prices.

The figures live in package data (``bedrock_ops/cost/data/pricing.json``), never in code, and every
model entry says where its figures come from and when they were read: ``source`` (a URL) and
``as_of`` (a date) for its prices, optionally ``provenance`` per price group when a group was read
elsewhere or on another day, and ``unconfirmed`` (``true``, or the list of fields) where a figure comes
from a third-party copy of the pricing page or could not be read (a null field). The packaged loader
refuses an entry without them. Prices change; load your own file of the same schema with
``load_pricing_table(path)`` and it is merged over the packaged table (model by model, field by field).
In a user file provenance is optional: a price group the file changes is attributed to the file
("your file <path>") and dated by the file's top-level ``as_of`` when it has one, else undated.

Schema::

    {"as_of": "YYYY-MM-DD", "currency": "USD", "region": "us-east-1", "source": "https://...",
     "rates": {"<name>": {"value": float | null, "unit": "...", "source": "https://...", "as_of": "YYYY-MM-DD",
                          "unconfirmed": bool, "note": "..."}},
     "models": {"<model id>": {"kind": "text" | "embedding" | "image",
                               "input_per_1k_tokens": float, "output_per_1k_tokens": float,
                               "per_image": float,
                               "provisioned_per_model_unit_hour": {"NoCommitment": float,
                                                                   "OneMonth": float,
                                                                   "SixMonths": float},
                               "deployment_input_per_1k_tokens": float | null,
                               "deployment_output_per_1k_tokens": float | null,
                               "custom_model_storage_month": float | null,
                               "training_per_1k_tokens": float | null,
                               "source": "https://...", "as_of": "YYYY-MM-DD",
                               "unconfirmed": bool | ["<field>", ...], "note": "...",
                               "provenance": {"on_demand" | "provisioned" | "deployment" | "training":
                                              {"source": "https://...", "as_of": "YYYY-MM-DD",
                                               "unconfirmed": bool}}}}}

The top-level ``as_of`` is the day the table was last revised; the date of each price is its entry's.
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
    "DEFAULT_MAX_PRICE_AGE_DAYS",
    "HOURS_PER_MONTH",
    "PRICE_GROUPS",
    "Commitment",
    "ModelPrice",
    "PriceSource",
    "PricingTable",
    "Rate",
    "load_pricing_table",
]

HOURS_PER_MONTH = 730
"""Hours in a billing month, as AWS pricing examples count them (365 * 24 / 12)."""

DEFAULT_MAX_PRICE_AGE_DAYS = 365
"""A price read longer ago than this many days is reported as old (``max_age_days`` of the loader)."""

_KINDS = ("text", "embedding", "image")
_PRICE_FIELDS = (
    "input_per_1k_tokens",
    "output_per_1k_tokens",
    "per_image",
    "deployment_input_per_1k_tokens",
    "deployment_output_per_1k_tokens",
    "custom_model_storage_month",
    "training_per_1k_tokens",
)
PRICE_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "on_demand": ("input_per_1k_tokens", "output_per_1k_tokens", "per_image"),
        "provisioned": ("provisioned_per_model_unit_hour",),
        "deployment": (
            "deployment_input_per_1k_tokens",
            "deployment_output_per_1k_tokens",
            "custom_model_storage_month",
        ),
        "training": ("training_per_1k_tokens",),
    }
)
"""The price groups of a model entry and their fields; each group has one provenance."""
_PROVENANCE_FIELDS = ("source", "as_of", "unconfirmed", "note", "provenance")
_MODEL_FIELDS = ("kind", *_PRICE_FIELDS, "provisioned_per_model_unit_hour", *_PROVENANCE_FIELDS)
_TOP_FIELDS = ("as_of", "currency", "region", "source", "notes", "rates", "models")
_RATE_FIELDS = ("value", "unit", "source", "as_of", "unconfirmed", "note")
_USER_FILE = "your file "
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
class PriceSource:
    """Where a price comes from and when it was read.

    :param source: the page (URL) the figure was read from, or ``"your file <path>"`` for a user file.
    :param as_of: the day it was read (``None``: undated, a user file without ``as_of``).
    :param unconfirmed: True when the figure comes from a third-party copy of the page or could not be read.
    :param note: what else a reader should know (default: none).
    """

    source: str
    as_of: dt.date | None
    unconfirmed: bool = False
    note: str = ""

    @property
    def from_user_file(self) -> bool:
        """Whether the figure was given in a user's pricing file."""
        return self.source.startswith(_USER_FILE)

    def age_days(self, today: dt.date) -> int | None:
        """Days between ``as_of`` and ``today`` (``None`` when undated)."""
        return None if self.as_of is None else (today - self.as_of).days

    def describe(self) -> str:
        """``as of 2026-09-01, unconfirmed (https://...)``: the date, the flag and the source."""
        date = "undated" if self.as_of is None else f"as of {self.as_of.isoformat()}"
        flag = ", unconfirmed" if self.unconfirmed else ""
        return f"{date}{flag} ({self.source})"


_NO_SOURCE = PriceSource(source="unknown", as_of=None, unconfirmed=True)


@dataclass(frozen=True)
class Rate:
    """A rate that is not one model's (e.g. Custom Model Import per Custom Model Unit per minute)."""

    name: str
    value: float | None
    unit: str
    provenance: PriceSource


@dataclass(frozen=True)
class ModelPrice:
    """Prices of one model. ``None`` where the pricing page gives no figure (or it could not be read).

    ``deployment_*`` are the on-demand token rates of a custom model deployment of a custom model of this base
    model, ``custom_model_storage_month`` the monthly storage of one custom model, ``training_per_1k_tokens`` the
    customization training price; ``provenance`` holds the :class:`PriceSource` of each price group
    (``PRICE_GROUPS``).
    """

    model_id: str
    kind: str
    input_per_1k_tokens: float | None = None
    output_per_1k_tokens: float | None = None
    per_image: float | None = None
    provisioned_per_model_unit_hour: Mapping[Commitment, float] = field(default_factory=lambda: MappingProxyType({}))
    deployment_input_per_1k_tokens: float | None = None
    deployment_output_per_1k_tokens: float | None = None
    custom_model_storage_month: float | None = None
    training_per_1k_tokens: float | None = None
    provenance: Mapping[str, PriceSource] = field(default_factory=lambda: MappingProxyType({}))

    def provisioned_hourly_cost(self, commitment: Commitment, model_units: int = 1) -> float | None:
        """Hourly cost of ``model_units`` at ``commitment``, or ``None`` if the table has no rate."""
        rate = self.provisioned_per_model_unit_hour.get(Commitment(commitment))
        return None if rate is None else rate * model_units

    def source_of(self, group: str) -> PriceSource:
        """The provenance of a price group (``on_demand``, ``provisioned``, ``deployment``, ``training``)."""
        if group not in PRICE_GROUPS:
            raise ValueError(f"unknown price group {group!r}; allowed: {', '.join(PRICE_GROUPS)}")
        return self.provenance.get(group, _NO_SOURCE)


class PricingTable:
    """Prices of Amazon Bedrock models for one Region, each with its source and date.

    :param max_age_days: a price read more than this many days before ``today`` is reported as old
        (default: ``DEFAULT_MAX_PRICE_AGE_DAYS``, 365).
    :param today: the day ages are counted to (default: the current date).
    """

    def __init__(
        self,
        *,
        as_of: dt.date,
        currency: str,
        region: str,
        source: str,
        models: Mapping[str, ModelPrice],
        notes: str = "",
        rates: Mapping[str, Rate] | None = None,
        max_age_days: int = DEFAULT_MAX_PRICE_AGE_DAYS,
        today: dt.date | None = None,
    ) -> None:
        if isinstance(max_age_days, bool) or not isinstance(max_age_days, int) or max_age_days < 1:
            raise ValueError(f"max_age_days must be an integer >= 1, got {max_age_days!r}")
        self.as_of = as_of
        self.currency = currency
        self.region = region
        self.source = source
        self.notes = notes
        self.rates: Mapping[str, Rate] = MappingProxyType(dict(rates or {}))
        self.max_age_days = max_age_days
        self.today = today or dt.datetime.now(dt.UTC).date()
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

    def is_old(self, source: PriceSource) -> bool:
        """Whether ``source`` was read more than ``max_age_days`` before ``today`` (undated counts as old)."""
        age = source.age_days(self.today)
        return age is None or age > self.max_age_days

    def describe(self, source: PriceSource) -> str:
        """The date and source of a price, and ``older than N days`` when it is."""
        text = source.describe()
        if self.is_old(source):
            age = source.age_days(self.today)
            text += (
                f"; older than {self.max_age_days} days ({age} days): check the pricing page"
                if age is not None
                else "; undated: check the pricing page"
            )
        return text

    def provenance_line(self, price: ModelPrice, group: str) -> str:
        """``<model> <group> prices <describe>``, for the cost output."""
        return f"{price.model_id} {group.replace('_', '-')} prices {self.describe(price.source_of(group))}"

    def __repr__(self) -> str:
        return f"PricingTable(as_of={self.as_of}, region={self.region!r}, models={len(self._models)})"


def load_pricing_table(
    path: str | Path | None = None,
    *,
    max_age_days: int = DEFAULT_MAX_PRICE_AGE_DAYS,
    today: dt.date | None = None,
) -> PricingTable:
    """Load the packaged pricing table, with the file at ``path`` (same schema) merged over it.

    In the user file every key is optional: top-level keys replace the packaged ones, and each
    model entry is merged field by field over the packaged entry of the same id (a new id adds a
    model, which then needs a ``kind``). A price group the user file changes takes the file as its source
    (see the module docstring). Raises ``ValueError`` naming the file, the key and the bad value.

    :param max_age_days: prices read longer ago are reported as old (default 365).
    :param today: the day ages are counted to (default: today).
    """
    packaged_name = "bedrock_ops/cost/data/pricing.json"
    packaged_text = resources.files("bedrock_ops").joinpath("cost/data/pricing.json").read_text("utf-8")
    data = _parse_json(packaged_text, packaged_name)
    _check_keys(data, _TOP_FIELDS, packaged_name, "")
    packaged_models: dict[str, Any] = data["models"] if isinstance(data.get("models"), dict) else {}
    for model_id, entry in packaged_models.items():
        _require_provenance(model_id, entry, packaged_name)
    source_of: dict[str, str] = dict.fromkeys(packaged_models, packaged_name)
    user_groups: dict[str, tuple[set[str], str | None, bool]] = {}
    top_source = dict.fromkeys(_TOP_FIELDS, packaged_name)
    user_as_of: str | None = None
    user_name = ""
    if path is not None:
        user_name = str(path)
        try:
            user_text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{user_name}: cannot read the pricing file: {exc.strerror}") from exc
        override = _parse_json(user_text, user_name)
        _check_keys(override, _TOP_FIELDS, user_name, "")
        if isinstance(override.get("as_of"), str):
            user_as_of = override["as_of"]
        for key, value in override.items():
            top_source[key] = user_name
            if key == "rates":
                if not isinstance(value, dict):
                    raise ValueError(f"{user_name}: rates must be an object of name -> rate, got {value!r}")
                data["rates"] = {**data.get("rates", {}), **value}
                continue
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
                touched = {g for g, fields in PRICE_GROUPS.items() if any(f in entry for f in fields)}
                merged[model_id] = {**base, **entry} if isinstance(base, dict) else entry
                source_of[model_id] = user_name
                flag = entry.get("unconfirmed") is True
                user_groups[model_id] = (touched, entry.get("as_of", user_as_of), flag)
                if "source" in entry or "provenance" in entry:
                    user_groups[model_id] = (set(), None, False)  # the user file states its own provenance
                    if isinstance(base, dict):
                        merged[model_id]["provenance"] = _pinned_provenance(base, entry, touched)
                        merged[model_id]["unconfirmed"] = entry.get("unconfirmed", False)
                        merged[model_id]["as_of"] = entry.get("as_of", user_as_of)
                        merged[model_id]["note"] = entry.get("note", "")
            data["models"] = merged
    return _build_table(
        data,
        top_source,
        source_of,
        user=(user_name, user_as_of, user_groups),
        max_age_days=max_age_days,
        today=today,
    )


def _pinned_provenance(base: Mapping[str, Any], entry: Mapping[str, Any], touched: set[str]) -> dict[str, Any]:
    """The packaged provenance of the groups a user entry with its own source leaves alone, so that the user's
    ``source``/``as_of`` date only the prices the user gave."""
    base_groups = base.get("provenance") if isinstance(base.get("provenance"), dict) else {}
    pinned: dict[str, Any] = dict(base_groups or {})
    for group, fields in PRICE_GROUPS.items():
        if group in touched or group in pinned or not any(f in base for f in fields):
            continue
        pinned[group] = {k: base[k] for k in ("source", "as_of", "unconfirmed") if k in base}
    for group in touched:
        pinned.pop(group, None)
    user_groups = entry.get("provenance")
    return {**pinned, **(user_groups if isinstance(user_groups, dict) else {})}


def _parse_json(text: str, name: str) -> dict[str, Any]:
    return parse_json_object(text, name, "the pricing table")


def _check_keys(obj: Mapping[str, Any], allowed: tuple[str, ...], name: str, where: str) -> None:
    for key in obj:
        if key not in allowed:
            raise ValueError(f"{name}: unknown key {where}{key!r}; allowed keys: {', '.join(allowed)}")


def _require_provenance(model_id: str, entry: Any, name: str) -> None:
    """A packaged entry must say where every price group it fills comes from and when it was read."""
    if not isinstance(entry, dict):
        return  # _build_price names the problem
    where = f"models.{model_id}"
    groups = entry.get("provenance") or {}
    for group, fields in PRICE_GROUPS.items():
        if not any(f in entry for f in fields):
            continue
        own = groups.get(group) if isinstance(groups, dict) else None
        for key in ("source", "as_of"):
            value = (own or {}).get(key) if isinstance(own, dict) and key in own else entry.get(key)
            if not isinstance(value, str) or not value:
                raise ValueError(
                    f"{name}: {where}: the {group} prices need a {key} (in the entry or in provenance.{group}); "
                    "every packaged price names the page it was read from and the day"
                )


def _date(value: Any, name: str, key: str) -> dt.date:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{name}: {key} must be a date YYYY-MM-DD, got {value!r}")


def _build_table(
    data: Mapping[str, Any],
    top_source: Mapping[str, str],
    source_of: Mapping[str, str],
    *,
    user: tuple[str, str | None, Mapping[str, tuple[set[str], str | None, bool]]] = ("", None, {}),
    max_age_days: int = DEFAULT_MAX_PRICE_AGE_DAYS,
    today: dt.date | None = None,
) -> PricingTable:
    _check_keys(data, _TOP_FIELDS, top_source.get("models", "pricing table"), "")
    for key in ("as_of", "currency", "region", "source"):
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise ValueError(f"{top_source[key]}: {key} must be a non-empty string, got {value!r}")
    as_of = _date(data["as_of"], top_source["as_of"], "as_of")
    raw_models = data.get("models")
    if not isinstance(raw_models, dict):
        raise ValueError(f"{top_source['models']}: models must be an object, got {raw_models!r}")
    user_name, user_as_of, user_groups = user
    models = {
        model_id: _build_price(
            model_id,
            entry,
            source_of.get(model_id, top_source["models"]),
            user_file=(user_name, *user_groups.get(model_id, (set(), user_as_of, False))),
        )
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
        rates=_build_rates(data.get("rates", {}), top_source["rates"]),
        max_age_days=max_age_days,
        today=today,
    )


def _build_rates(raw: Any, name: str) -> dict[str, Rate]:
    if not isinstance(raw, dict):
        raise ValueError(f"{name}: rates must be an object of name -> rate, got {raw!r}")
    rates: dict[str, Rate] = {}
    for rate_name, entry in raw.items():
        where = f"rates.{rate_name}"
        if not isinstance(entry, dict):
            raise ValueError(f"{name}: {where} must be an object, got {entry!r}")
        _check_keys(entry, _RATE_FIELDS, name, f"in {where}: ")
        value = entry.get("value")
        unit = entry.get("unit")
        if not isinstance(unit, str) or not unit:
            raise ValueError(f"{name}: {where}.unit must be a non-empty string, got {unit!r}")
        source = entry.get("source")
        if not isinstance(source, str) or not source:
            raise ValueError(f"{name}: {where}.source must be the page the rate was read from, got {source!r}")
        rates[rate_name] = Rate(
            name=rate_name,
            value=None if value is None else _number(value, name, f"{where}.value"),
            unit=unit,
            provenance=PriceSource(
                source=source,
                as_of=_date(entry.get("as_of"), name, f"{where}.as_of"),
                unconfirmed=value is None or entry.get("unconfirmed") is True,
                note=str(entry.get("note", "")),
            ),
        )
    return rates


def _number(value: Any, name: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}: {key} must be a non-negative number, got {value!r}")
    return float(value)


def _provenance(
    entry: Mapping[str, Any], name: str, where: str, user_file: tuple[str, set[str], str | None, bool]
) -> dict[str, PriceSource]:
    """The PriceSource of each group the entry fills (a user file's changed groups default to the file)."""
    user_name, user_changed, user_as_of, user_unconfirmed = user_file
    unconfirmed = entry.get("unconfirmed", False)
    if not isinstance(unconfirmed, bool) and not (
        isinstance(unconfirmed, list) and all(isinstance(f, str) and f in _PRICE_FIELDS for f in unconfirmed)
    ):
        raise ValueError(
            f"{name}: {where}.unconfirmed must be true/false or a list of price fields "
            f"({', '.join(_PRICE_FIELDS)}), got {unconfirmed!r}"
        )
    groups = entry.get("provenance") or {}
    if not isinstance(groups, dict):
        raise ValueError(f"{name}: {where}.provenance must be an object of price group -> source, got {groups!r}")
    _check_keys(groups, tuple(PRICE_GROUPS), name, f"in {where}.provenance: ")
    result: dict[str, PriceSource] = {}
    for group, fields in PRICE_GROUPS.items():
        if not any(f in entry for f in fields):
            continue
        if group in user_changed:
            as_of = None if user_as_of is None else _date(user_as_of, user_name, "as_of")
            result[group] = PriceSource(source=f"{_USER_FILE}{user_name}", as_of=as_of, unconfirmed=user_unconfirmed)
            continue
        own = groups.get(group, {})
        if not isinstance(own, dict):
            raise ValueError(f"{name}: {where}.provenance.{group} must be an object, got {own!r}")
        _check_keys(own, ("source", "as_of", "unconfirmed", "note"), name, f"in {where}.provenance.{group}: ")
        source = own.get("source", entry.get("source"))
        raw_date = own.get("as_of", entry.get("as_of"))
        flag = own.get("unconfirmed", unconfirmed)
        group_unconfirmed = flag is True or (isinstance(flag, list) and any(f in fields for f in flag))
        result[group] = PriceSource(
            source=source if isinstance(source, str) and source else f"{_USER_FILE}{name}",
            as_of=None if raw_date is None else _date(raw_date, name, f"{where}.as_of"),
            unconfirmed=group_unconfirmed,
            note=str(own.get("note", entry.get("note", ""))),
        )
    return result


def _build_price(
    model_id: str,
    entry: Any,
    name: str,
    *,
    user_file: tuple[str, set[str], str | None, bool] = ("", set(), None, False),
) -> ModelPrice:
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
        deployment_input_per_1k_tokens=prices["deployment_input_per_1k_tokens"],
        deployment_output_per_1k_tokens=prices["deployment_output_per_1k_tokens"],
        custom_model_storage_month=prices["custom_model_storage_month"],
        training_per_1k_tokens=prices["training_per_1k_tokens"],
        provenance=MappingProxyType(_provenance(entry, name, where, user_file)),
    )
