"""Batch inference prices: a dated, configurable discount over the on-demand token prices.

The packaged table (``bedrock_ops/cost/data/batch_pricing.json``) holds ``default_discount`` (0.5: the Bedrock
user guide's "50% cost savings vs on-demand" for batch, as of the table's ``as_of``; the per-model batch rates
on the pricing page could not be transcribed) and per-model overrides::

    {"as_of": "YYYY-MM-DD", "source": "https://...", "notes": "...", "default_discount": 0.5,
     "models": {"<model id>": {"discount": 0.5} | {"input_per_1k_tokens": float, "output_per_1k_tokens": float}
                               | {"supported": false},
                               + optional "source": "https://...", "as_of": "YYYY-MM-DD", "unconfirmed": bool}}}

A model entry's ``source``/``as_of`` date its own figures (the table's otherwise); a packaged entry with explicit
rates must have them. A user file's entry without them is attributed to the file ("your file <path>").

A user file of the same schema is merged over it (``load_batch_pricing(path)``). Kept apart from
``pricing.json`` so that the on-demand and provisioned table stays as it is.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bedrock_ops._core.jsonfile import parse_json_object
from bedrock_ops.cost.pricing import ModelPrice

__all__ = ["BatchPrice", "BatchPricing", "load_batch_pricing"]

_TOP = ("as_of", "source", "notes", "default_discount", "models")
_MODEL = ("discount", "input_per_1k_tokens", "output_per_1k_tokens", "supported", "source", "as_of", "unconfirmed")


@dataclass(frozen=True)
class BatchPrice:
    """Batch token prices of one model and where they come from."""

    model_id: str
    input_per_1k_tokens: float
    output_per_1k_tokens: float
    basis: str
    """``"discount 50% of on-demand"`` or ``"explicit batch rates"``."""
    as_of: dt.date | None = None
    """When the batch figure (the entry's, else the table's) was read; None for an undated user file."""
    source: str = ""
    unconfirmed: bool = False


class BatchPricing:
    """The batch discount table."""

    def __init__(
        self, *, as_of: dt.date, source: str, notes: str, default_discount: float, models: Mapping[str, Any]
    ) -> None:
        self.as_of = as_of
        self.source = source
        self.notes = notes
        self.default_discount = default_discount
        self._models = dict(models)

    def provenance(self, model_id: str) -> tuple[dt.date | None, str, bool]:
        """(as_of, source, unconfirmed) of the batch figure of ``model_id``: its entry's, else the table's."""
        entry: Mapping[str, Any] = self._models.get(model_id, {})
        raw = entry.get("as_of")
        as_of = dt.date.fromisoformat(raw) if isinstance(raw, str) else (None if "source" in entry else self.as_of)
        return as_of, str(entry.get("source", self.source)), entry.get("unconfirmed") is True

    def price(self, on_demand: ModelPrice) -> BatchPrice | None:
        """The batch prices of ``on_demand``'s model; None when it has no token prices or no batch support."""
        entry: Mapping[str, Any] = self._models.get(on_demand.model_id, {})
        if entry.get("supported") is False:
            return None
        as_of, source, unconfirmed = self.provenance(on_demand.model_id)
        if "input_per_1k_tokens" in entry and "output_per_1k_tokens" in entry:
            return BatchPrice(
                on_demand.model_id,
                float(entry["input_per_1k_tokens"]),
                float(entry["output_per_1k_tokens"]),
                "explicit batch rates",
                as_of,
                source,
                unconfirmed,
            )
        if on_demand.input_per_1k_tokens is None:
            return None
        discount = float(entry.get("discount", self.default_discount))
        factor = 1 - discount
        output = on_demand.output_per_1k_tokens if on_demand.output_per_1k_tokens is not None else 0.0
        return BatchPrice(
            on_demand.model_id,
            on_demand.input_per_1k_tokens * factor,
            output * factor,
            f"on-demand less {discount:.0%} (configurable)",
            as_of,
            source,
            unconfirmed,
        )


def _fraction(value: Any, name: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or not 0 <= value < 1:
        raise ValueError(f"{name}: {key} must be a number 0 <= x < 1, got {value!r}")
    return float(value)


def load_batch_pricing(path: str | Path | None = None) -> BatchPricing:
    """The packaged batch table with ``path`` (same schema) merged over it; errors name the file and key."""
    packaged = "bedrock_ops/cost/data/batch_pricing.json"
    text = resources.files("bedrock_ops").joinpath("cost/data/batch_pricing.json").read_text("utf-8")
    data = parse_json_object(text, packaged, "the batch pricing table")
    for model_id, entry in data.get("models", {}).items():
        explicit = isinstance(entry, dict) and ("input_per_1k_tokens" in entry or "output_per_1k_tokens" in entry)
        if explicit and not (entry.get("source") and entry.get("as_of")):
            raise ValueError(f"{packaged}: models.{model_id}: explicit batch rates need a source and an as_of")
    name = packaged
    if path is not None:
        name = str(path)
        try:
            override = parse_json_object(Path(path).read_text(encoding="utf-8"), name, "the batch pricing table")
        except OSError as exc:
            raise ValueError(f"{name}: cannot read the batch pricing file: {exc.strerror}") from exc
        for key in override:
            if key not in _TOP:
                raise ValueError(f"{name}: unknown key {key!r}; allowed keys: {', '.join(_TOP)}")
        user_models = override.get("models", {})
        if not isinstance(user_models, dict):
            raise ValueError(f"{name}: models must be an object of model id -> batch prices, got {user_models!r}")
        attributed = {
            model_id: (
                {
                    "source": f"your file {name}",
                    **({"as_of": override["as_of"]} if "as_of" in override else {}),
                    **entry,
                }
                if isinstance(entry, dict) and "source" not in entry
                else entry
            )
            for model_id, entry in user_models.items()
        }
        models = {**data.get("models", {}), **attributed}
        data = {**data, **override, "models": models}
    for model_id, entry in data["models"].items():
        if not isinstance(entry, dict):
            raise ValueError(f"{name}: models.{model_id} must be an object, got {entry!r}")
        for key, value in entry.items():
            if key not in _MODEL:
                raise ValueError(f"{name}: unknown key models.{model_id}.{key}; allowed keys: {', '.join(_MODEL)}")
            if key == "discount":
                _fraction(value, name, f"models.{model_id}.discount")
            elif key == "as_of":
                try:
                    dt.date.fromisoformat(str(value))
                except ValueError:
                    raise ValueError(
                        f"{name}: models.{model_id}.as_of must be a date YYYY-MM-DD, got {value!r}"
                    ) from None
            elif key in ("source", "unconfirmed"):
                continue
            elif key != "supported" and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
                raise ValueError(f"{name}: models.{model_id}.{key} must be a non-negative number, got {value!r}")
    try:
        as_of = dt.date.fromisoformat(str(data["as_of"]))
    except ValueError:
        raise ValueError(f"{name}: as_of must be a date YYYY-MM-DD, got {data['as_of']!r}") from None
    return BatchPricing(
        as_of=as_of,
        source=str(data["source"]),
        notes=str(data.get("notes", "")),
        default_discount=_fraction(data["default_discount"], name, "default_discount"),
        models=data["models"],
    )


def batch_comparison(report: Any, pricing: Any, batch: BatchPricing) -> list[dict[str, Any]]:
    """Per model of ``report.break_evens`` (text models): monthly cost on demand, in batch, and the cheapest
    provisioned term, at the same traffic. ``report`` is a ``bedrock_ops.cost.advisor.CostReport``."""
    from bedrock_ops.cost.advisor import MINUTES_PER_MONTH

    rows: list[dict[str, Any]] = []
    for b in report.break_evens:
        if b.kind != "text":
            continue
        price = pricing.price(b.model_id)
        batch_price = None if price is None else batch.price(price)
        share = b.traffic.output_share
        batch_monthly = None
        if batch_price is not None:
            per_1k = (1 - share) * batch_price.input_per_1k_tokens + share * batch_price.output_per_1k_tokens
            batch_monthly = b.traffic.tokens_per_minute * MINUTES_PER_MONTH / 1000 * per_1k
        provisioned = min(b.provisioned_monthly.items(), key=lambda kv: kv[1]) if b.provisioned_monthly else None
        options = {"on-demand": b.on_demand_monthly, "batch": batch_monthly}
        if provisioned is not None:
            options[f"provisioned {provisioned[0].value}"] = provisioned[1]
        known = {k: v for k, v in options.items() if v is not None}
        rows.append(
            {
                "model_id": b.model_id,
                "tokens_per_minute": b.traffic.tokens_per_minute,
                "on_demand_monthly": b.on_demand_monthly,
                "batch_monthly": batch_monthly,
                "batch_basis": None if batch_price is None else batch_price.basis,
                "batch_as_of": None
                if batch_price is None or batch_price.as_of is None
                else batch_price.as_of.isoformat(),
                "batch_source": None if batch_price is None else batch_price.source,
                "batch_unconfirmed": None if batch_price is None else batch_price.unconfirmed,
                "on_demand_as_of": _as_of(price, "on_demand"),
                "provisioned_as_of": None if provisioned is None else _as_of(price, "provisioned"),
                "provisioned_monthly": None if provisioned is None else provisioned[1],
                "provisioned_term": None if provisioned is None else provisioned[0].value,
                "cheapest": min(known, key=lambda k: known[k]) if known else "unknown",
            }
        )
    return rows


def _as_of(price: ModelPrice | None, group: str) -> str | None:
    if price is None:
        return None
    as_of = price.source_of(group).as_of
    return None if as_of is None else as_of.isoformat()


def format_batch_comparison(rows: list[dict[str, Any]], currency: str, batch: BatchPricing) -> str:
    """The comparison as text, with the table's date and source."""

    def money(value: float | None) -> str:
        return "n/a" if value is None else f"{value:,.2f} {currency}"

    out = [
        f"Batch vs on-demand vs provisioned (monthly, same traffic; batch prices as of {batch.as_of}: {batch.source})"
    ]
    for row in rows:
        out.append(f"  {row['model_id']} at {row['tokens_per_minute']:,.0f} tokens/min")
        out.append(
            f"    on-demand    {money(row['on_demand_monthly']):>16}  "
            f"(prices as of {row['on_demand_as_of'] or 'undated'})"
        )
        if row["batch_basis"]:
            flag = ", unconfirmed" if row["batch_unconfirmed"] else ""
            basis = f"  ({row['batch_basis']}; as of {row['batch_as_of'] or 'undated'}{flag})"
        else:
            basis = "  (no batch price)"
        out.append(f"    batch        {money(row['batch_monthly']):>16}{basis}")
        if row["provisioned_term"]:
            out.append(
                f"    provisioned  {money(row['provisioned_monthly']):>16}  ({row['provisioned_term']}, 1 MU; "
                f"prices as of {row['provisioned_as_of'] or 'undated'})"
            )
        out.append(f"    cheapest: {row['cheapest']} (batch answers asynchronously, within the job's timeout)")
    return "\n".join(out)
