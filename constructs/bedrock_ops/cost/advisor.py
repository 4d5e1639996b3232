"""What an app costs per month, and when provisioned throughput beats on-demand pricing.

The figures come from two dated, overridable tables in package data, never from this code:
``bedrock_ops.cost.pricing`` (Bedrock: per-token, per-image and per-model-unit-hour rates) and
``data/service_prices.json`` (CloudWatch alarms, dashboards and logs, KMS keys).

What is provisioned is read from synthesized CloudFormation templates (``inventory_from_templates``):
provisioned throughputs (``Custom::BedrockProvisionedThroughput``: ``ModelId``, ``ModelUnits``,
``CommitmentDuration``), alarms, dashboards, KMS keys and log groups. So the same figures come out of
``bedrock-ops cost --config`` (which synthesizes the app) and of the synth summary (which reads cdk.out).

On-demand vs provisioned, per model, at a traffic of T tokens per minute of which a share s is output::

    blended per 1k        = (1 - s) * input_per_1k + s * output_per_1k
    on-demand per month   = T * 60 * 730 / 1000 * blended per 1k
    provisioned per month = model_units * rate(term) * 730
    break-even T          = model_units * rate(term) * 1000 / (60 * blended per 1k)

(images per minute and the per-image price for image models). The break-even says when provisioned
throughput is cheaper, not whether its model units can carry that traffic: capacity per model unit
depends on the model and is not in the pricing table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bedrock_ops.cost.deployment import DeploymentComparison, compare_deployment, format_deployment_comparison
from bedrock_ops.cost.inventory import (
    ApplicationProfileItem,
    Inventory,
    ProvisionedItem,
    inventory_from_templates,
    templates_from_assembly,
)
from bedrock_ops.cost.pricing import HOURS_PER_MONTH, Commitment, ModelPrice, PricingTable
from bedrock_ops.cost.service_prices import ServicePrices, load_service_prices
from bedrock_ops.models.knowledge import ModelKnowledgeBase, load_models

__all__ = [
    "BreakEven",
    "CostLine",
    "CostReport",
    "DeploymentComparison",
    "Inventory",
    "ProvisionedItem",
    "ServicePrices",
    "Traffic",
    "break_even",
    "estimate",
    "format_report",
    "inventory_from_templates",
    "load_service_prices",
    "templates_from_assembly",
]

MINUTES_PER_MONTH = 60 * HOURS_PER_MONTH


# ---------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Traffic:
    """Expected traffic of one model.

    :param tokens_per_minute: input plus output tokens per minute, averaged over the month.
    :param output_share: the share of those tokens that are output, 0-1 (default 0.25).
    :param images_per_minute: generated images per minute, for image models (default 0).
    """

    tokens_per_minute: float = 0.0
    output_share: float = 0.25
    images_per_minute: float = 0.0

    def __post_init__(self) -> None:
        for name in ("tokens_per_minute", "images_per_minute"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a non-negative number, got {value}")
        if not 0 <= self.output_share <= 1:
            raise ValueError(f"output_share must be 0-1, got {self.output_share}")


# ---------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CostLine:
    """One line of the monthly bill."""

    category: str
    item: str
    quantity: float
    unit: str
    unit_price: float | None
    monthly: float | None
    note: str = ""


@dataclass(frozen=True)
class BreakEven:
    """On-demand vs provisioned throughput for one model at one traffic."""

    model_id: str
    kind: str
    traffic: Traffic
    model_units: int
    on_demand_monthly: float | None
    provisioned_monthly: Mapping[Commitment, float]
    break_even: Mapping[Commitment, float]
    """Traffic above which each term is cheaper: tokens per minute (images per minute for image models)."""
    cheapest: str
    """``"on-demand"``, a ``Commitment`` value, or ``"unknown"`` when the table lacks a price."""


@dataclass(frozen=True)
class CostReport:
    """Monthly cost of an inventory and the break-even of each model."""

    lines: tuple[CostLine, ...]
    break_evens: tuple[BreakEven, ...]
    currency: str
    pricing_as_of: str
    service_prices_as_of: str
    warnings: tuple[str, ...] = ()
    deployments: tuple[DeploymentComparison, ...] = ()
    """Custom models (``custom_models=``): a deployment vs provisioned throughput."""
    prices_used: tuple[tuple[str, str], ...] = ()
    """(model id, price group) of every Bedrock price the report uses, for their dates and sources."""
    pricing: PricingTable | None = None
    service_price_sources: Mapping[str, Any] | None = None
    """Source and date of each service rate the lines use (``ServicePrices.price_sources``)."""

    @property
    def total_monthly(self) -> float:
        """The sum of the lines with a known cost (partial when :attr:`unpriced` is not empty)."""
        return math.fsum(line.monthly for line in self.lines if line.monthly is not None)

    @property
    def unpriced(self) -> tuple[str, ...]:
        """The lines without a known cost (``category: item``): the total leaves them out."""
        return tuple(f"{line.category}: {line.item}" for line in self.lines if line.monthly is None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (``bedrock-ops cost --json``)."""
        return {
            "currency": self.currency,
            "pricing_as_of": self.pricing_as_of,
            "service_prices_as_of": self.service_prices_as_of,
            "hours_per_month": HOURS_PER_MONTH,
            "total_monthly": round(self.total_monthly, 2),
            "total_is_partial": bool(self.unpriced),
            "unpriced": list(self.unpriced),
            "lines": [line.__dict__ for line in self.lines],
            "break_even": [
                {
                    "model_id": b.model_id,
                    "kind": b.kind,
                    "tokens_per_minute": b.traffic.tokens_per_minute,
                    "output_share": b.traffic.output_share,
                    "images_per_minute": b.traffic.images_per_minute,
                    "model_units": b.model_units,
                    "on_demand_monthly": b.on_demand_monthly,
                    "provisioned_monthly": {c.value: v for c, v in b.provisioned_monthly.items()},
                    "break_even_per_minute": {c.value: v for c, v in b.break_even.items()},
                    "cheapest": b.cheapest,
                }
                for b in self.break_evens
            ],
            "deployment_vs_provisioned": [
                {
                    "base_model_id": d.base_model_id,
                    "deployable": d.deployable,
                    "model_units": d.model_units,
                    "output_share": d.output_share,
                    "deployment_input_per_1k_tokens": d.deployment_input_per_1k,
                    "deployment_output_per_1k_tokens": d.deployment_output_per_1k,
                    "custom_model_storage_month": d.storage_month,
                    "tokens_per_month": d.tokens_per_month,
                    "deployment_monthly": d.deployment_monthly,
                    "provisioned_hourly": {c.value: v for c, v in d.provisioned_hourly.items()},
                    "provisioned_monthly": {c.value: v for c, v in d.provisioned_monthly.items()},
                    "break_even_tokens_per_month": {c.value: v for c, v in d.break_even_tokens_month.items()},
                    "cheapest": d.cheapest,
                }
                for d in self.deployments
            ],
            "prices": self.price_provenance(),
            "service_prices": self.service_price_sources,
            "warnings": list(self.warnings),
        }

    def price_provenance(self) -> list[dict[str, Any]]:
        """Source, date, unconfirmed flag and age check of every price the report uses."""
        if self.pricing is None:
            return []
        out: list[dict[str, Any]] = []
        for model_id, group in self.prices_used:
            price = self.pricing.price(model_id)
            if price is None:
                continue
            source = price.source_of(group)
            out.append(
                {
                    "model_id": price.model_id,
                    "group": group,
                    "source": source.source,
                    "as_of": None if source.as_of is None else source.as_of.isoformat(),
                    "unconfirmed": source.unconfirmed,
                    "older_than_max_age": self.pricing.is_old(source),
                    "max_age_days": self.pricing.max_age_days,
                }
            )
        return out


def _unit_price_per_token(price: ModelPrice, traffic: Traffic) -> float | None:
    """Blended price of one token at the traffic's output share, or None when a needed rate is missing."""
    if price.input_per_1k_tokens is None:
        return None
    if price.kind == "embedding" or traffic.output_share == 0:
        return price.input_per_1k_tokens / 1000
    if price.output_per_1k_tokens is None:
        return None
    share = traffic.output_share
    return ((1 - share) * price.input_per_1k_tokens + share * price.output_per_1k_tokens) / 1000


def break_even(price: ModelPrice, traffic: Traffic, *, model_units: int = 1) -> BreakEven:
    """Compare on-demand and provisioned throughput for ``price``'s model at ``traffic``."""
    if model_units < 1:
        raise ValueError(f"model_units must be >= 1, got {model_units}")
    per_unit_minute: float | None  # price of one token (or image) times the traffic's unit per minute
    if price.kind == "image":
        per_unit_minute = price.per_image
        volume = traffic.images_per_minute
    else:
        per_unit_minute = _unit_price_per_token(price, traffic)
        volume = traffic.tokens_per_minute
    on_demand = None if per_unit_minute is None else per_unit_minute * volume * MINUTES_PER_MONTH
    provisioned = {
        term: rate * model_units * HOURS_PER_MONTH for term, rate in price.provisioned_per_model_unit_hour.items()
    }
    breaks: dict[Commitment, float] = {}
    if per_unit_minute:
        for term, monthly in provisioned.items():
            breaks[term] = monthly / (per_unit_minute * MINUTES_PER_MONTH)
    options: dict[str, float] = {term.value: monthly for term, monthly in provisioned.items()}
    if on_demand is not None:
        options["on-demand"] = on_demand
    cheapest = min(options, key=lambda k: (options[k], k != "on-demand")) if on_demand is not None else "unknown"
    return BreakEven(
        model_id=price.model_id,
        kind=price.kind,
        traffic=traffic,
        model_units=model_units,
        on_demand_monthly=on_demand,
        provisioned_monthly=provisioned,
        break_even=breaks,
        cheapest=cheapest,
    )


def estimate(
    inventory: Inventory,
    pricing: PricingTable,
    service_prices: ServicePrices,
    *,
    traffic: Mapping[str, Traffic] | None = None,
    default_traffic: Traffic | None = None,
    models: Iterable[str] = (),
    log_bytes_per_token: float = 6.0,
    log_retention_months: float = 1.0,
    fleet_size: int | None = None,
    custom_models: Iterable[str] = (),
    knowledge_base: ModelKnowledgeBase | None = None,
) -> CostReport:
    """The monthly cost of ``inventory`` and the break-even of each model.

    :param traffic: traffic per model id (plain or context-suffixed ids both match).
    :param default_traffic: traffic of models not in ``traffic`` (default: none, so only their
        provisioned cost is shown).
    :param models: more models to compare (beside those with a provisioned throughput).
    :param log_bytes_per_token: invocation log bytes per token, request and response with their JSON
        envelope (default 6: ~4 bytes of text per token plus the envelope), for the log estimate.
    :param log_retention_months: months of logs kept in storage (default 1).
    :param fleet_size: ``ModelId`` series each Metrics Insights (fleet) alarm analyzes: models, inference profiles,
        provisioned throughputs and deployments the account publishes metrics for (default: the models the app
        uses plus its application inference profiles, at least 1).
    :param custom_models: base model ids of custom models to price: each gets a deployment vs provisioned
        throughput comparison (a deployment only where the knowledge base marks the base model deployable), and
        when exactly one is given it prices the throughputs whose model is resolved at deploy time.
    :param knowledge_base: the model knowledge base (default: the packaged one) for which base models deploy.
    """
    traffic = dict(traffic or {})
    warnings: list[str] = []
    used: list[tuple[str, str]] = []

    def use(model_id: str, group: str) -> None:
        if (model_id, group) not in used:
            used.append((model_id, group))

    custom_prices = _custom_prices(custom_models, pricing, warnings)
    if pricing.currency != service_prices.currency:
        warnings.append(
            f"the Bedrock table is in {pricing.currency} and the service table in {service_prices.currency}"
        )
    lines: list[CostLine] = []
    units_by_model: dict[str, int] = {}
    units_by_custom: dict[str, int] = {}
    for item in inventory.provisioned:
        where = f"{item.stack}/{item.logical_id}"
        if item.model_id is None:
            lines.append(
                _unresolved_line(
                    item,
                    where,
                    pricing,
                    custom_prices=custom_prices,
                    units_by_custom=units_by_custom,
                    use=use,
                    warnings=warnings,
                )
            )
            continue
        price = pricing.price(item.model_id)
        rate = None if price is None else price.provisioned_per_model_unit_hour.get(item.commitment)
        if price is not None:
            use(price.model_id, "provisioned")
        if rate is None:
            warnings.append(
                f"{where}: no {item.commitment.value} provisioned rate for {item.model_id} in the pricing "
                f"table (as of {pricing.as_of}); add it with --pricing FILE"
            )
        lines.append(
            CostLine(
                "provisioned throughput",
                f"{item.model_id} ({item.commitment.value})",
                item.model_units,
                "model units",
                rate,
                None if rate is None else rate * item.model_units * HOURS_PER_MONTH,
                f"{where}; per model unit-hour x {HOURS_PER_MONTH} h",
            )
        )
        key = price.model_id if price is not None else item.model_id
        units_by_model[key] = max(units_by_model.get(key, 0), item.model_units)

    lines.extend(_service_lines(inventory, service_prices, fleet_size))
    for profile in inventory.application_profiles:
        lines.append(_profile_line(profile, pricing, traffic, default_traffic))

    # Break-even per model, and the invocation-log estimate from the same traffic.
    compared = _models_to_compare(
        inventory,
        pricing,
        traffic=traffic,
        default_traffic=default_traffic,
        models=models,
        units_by_model=units_by_model,
        warnings=warnings,
    )
    break_evens: list[BreakEven] = []
    log_bytes = 0.0
    for model_id in compared:
        price = pricing.price(model_id)
        if price is None:
            continue
        model_traffic = _traffic_for(model_id, traffic, pricing) or default_traffic
        if model_traffic is None:
            continue
        break_evens.append(break_even(price, model_traffic, model_units=units_by_model.get(model_id, 1)))
        use(price.model_id, "on_demand")
        if price.provisioned_per_model_unit_hour:
            use(price.model_id, "provisioned")
        log_bytes += model_traffic.tokens_per_minute * MINUTES_PER_MONTH * log_bytes_per_token
    profile_names = {p.name for p in inventory.application_profiles}
    for model_id in traffic:
        if pricing.price(model_id) is None and model_id not in profile_names:
            warnings.append(f"traffic given for {model_id!r}, which is not in the pricing table")
    if log_bytes:
        lines.extend(
            _log_lines(
                log_bytes,
                service_prices,
                logging_on=inventory.invocation_logging,
                log_bytes_per_token=log_bytes_per_token,
                log_retention_months=log_retention_months,
            )
        )
    if inventory.custom_model_deployments and not custom_prices:
        warnings.append(
            f"{len(inventory.custom_model_deployments)} custom model deployment(s) "
            f"({', '.join(inventory.custom_model_deployments)}): charged per input and output token, nothing by the "
            "month; give the base model with --custom-model <base id> for their rates and the break-even against "
            "provisioned throughput"
        )
    deployments = _deployment_comparisons(
        custom_prices,
        units_by_custom=units_by_custom,
        traffic=traffic,
        default_traffic=default_traffic,
        pricing=pricing,
        knowledge_base=knowledge_base,
        use=use,
        warnings=warnings,
    )
    return CostReport(
        lines=tuple(lines),
        break_evens=tuple(break_evens),
        currency=pricing.currency,
        pricing_as_of=pricing.as_of.isoformat(),
        service_prices_as_of=service_prices.as_of,
        warnings=tuple(warnings),
        deployments=tuple(deployments),
        prices_used=tuple(used),
        pricing=pricing,
        service_price_sources={
            key: dict(service_prices.source_of(key)) for key in sorted(service_prices.prices) if _uses(lines, key)
        },
    )


def _service_lines(inventory: Inventory, service_prices: ServicePrices, fleet_size: int | None) -> list[CostLine]:
    """Alarms, dashboards, KMS keys and Metrics Insights alarms, priced from the service table."""
    lines: list[CostLine] = []
    fixed = (
        ("alarms", "CloudWatch alarms", inventory.alarms, "alarms", "cloudwatch_alarm_month"),
        (
            "dashboards",
            "CloudWatch dashboards",
            inventory.dashboards,
            "dashboards",
            "cloudwatch_dashboard_month",
        ),
        ("kms keys", "KMS customer managed keys", inventory.kms_keys, "keys", "kms_key_month"),
    )
    for category, item_name, count, unit, key in fixed:
        if count:
            rate = service_prices.rate(key)
            lines.append(CostLine(category, item_name, count, unit, rate, rate * count, "per month"))
    if inventory.metrics_insights_alarms:
        series = (
            fleet_size
            if fleet_size is not None
            else max(1, len(inventory.models) + len(inventory.application_profiles))
        )
        rate = service_prices.rate("cloudwatch_metrics_insights_alarm_metric_month")
        analyzed = inventory.metrics_insights_alarms * series
        lines.append(
            CostLine(
                "alarms",
                "CloudWatch Metrics Insights alarms",
                analyzed,
                "metrics analyzed",
                rate,
                rate * analyzed,
                f"{inventory.metrics_insights_alarms} alarms x {series} ModelId series each"
                + ("" if fleet_size is not None else " (assumed: set --fleet-size to your account's count)"),
            )
        )
    return lines


def _log_lines(
    log_bytes: float,
    service_prices: ServicePrices,
    *,
    logging_on: bool,
    log_bytes_per_token: float,
    log_retention_months: float,
) -> list[CostLine]:
    """Ingestion and storage of the invocation logs of ``log_bytes`` a month."""
    out: list[CostLine] = []
    gigabytes = log_bytes / 1e9
    ingest = service_prices.rate("cloudwatch_logs_ingestion_per_gb")
    store = service_prices.rate("cloudwatch_logs_storage_per_gb_month")
    out.append(
        CostLine(
            "logs (estimate)",
            "model invocation logs, ingestion",
            round(gigabytes, 3),
            "GB",
            ingest,
            gigabytes * ingest,
            ("invocation logging is on" if logging_on else "if you turn invocation logging on")
            + f": {log_bytes_per_token:g} bytes per token at the given traffic",
        )
    )
    out.append(
        CostLine(
            "logs (estimate)",
            "model invocation logs, storage",
            round(gigabytes * log_retention_months, 3),
            "GB-months",
            store,
            gigabytes * log_retention_months * store,
            f"{log_retention_months:g} month(s) kept",
        )
    )
    return out


_SERVICE_LINE_RATES = {
    "cloudwatch_alarm_month": ("alarms", "CloudWatch alarms"),
    "cloudwatch_metrics_insights_alarm_metric_month": ("alarms", "CloudWatch Metrics Insights alarms"),
    "cloudwatch_dashboard_month": ("dashboards", "CloudWatch dashboards"),
    "kms_key_month": ("kms keys", "KMS customer managed keys"),
    "cloudwatch_logs_ingestion_per_gb": ("logs (estimate)", "model invocation logs, ingestion"),
    "cloudwatch_logs_storage_per_gb_month": ("logs (estimate)", "model invocation logs, storage"),
}


def _uses(lines: Sequence[CostLine], key: str) -> bool:
    category, item = _SERVICE_LINE_RATES.get(key, ("", ""))
    return any(line.category == category and line.item == item for line in lines)


def _custom_prices(custom_models: Iterable[str], pricing: PricingTable, warnings: list[str]) -> dict[str, ModelPrice]:
    """The prices of the bases given with ``custom_models`` (a warning for each the table does not know)."""
    found: dict[str, ModelPrice] = {}
    for base in dict.fromkeys(custom_models):
        price = pricing.price(base)
        if price is None:
            close = _did_you_mean(base, pricing.model_ids)
            warnings.append(
                f"custom model base {base!r} is not in the pricing table{close}; add it with --pricing FILE"
            )
        else:
            found[base] = price
    return found


def _unresolved_line(
    item: ProvisionedItem,
    where: str,
    pricing: PricingTable,
    *,
    custom_prices: Mapping[str, ModelPrice],
    units_by_custom: dict[str, int],
    use: Callable[[str, str], None],
    warnings: list[str],
) -> CostLine:
    """A throughput whose model is resolved at deploy time: priced by the one ``--custom-model`` base, if one."""
    if len(custom_prices) == 1:
        ((base, base_price),) = custom_prices.items()
        rate = base_price.provisioned_per_model_unit_hour.get(item.commitment)
        use(base_price.model_id, "provisioned")
        if rate is None:
            warnings.append(
                f"{where}: no {item.commitment.value} provisioned rate for {base_price.model_id} (the base given "
                f"with --custom-model) in the pricing table (as of {pricing.as_of}); add it with --pricing FILE"
            )
        units_by_custom[base] = max(units_by_custom.get(base, 0), item.model_units)
        return CostLine(
            "provisioned throughput",
            f"{where} ({item.commitment.value})",
            item.model_units,
            "model units",
            rate,
            None if rate is None else rate * item.model_units * HOURS_PER_MONTH,
            f"model resolved at deploy time, priced as a custom model of {base} (--custom-model); "
            f"per model unit-hour x {HOURS_PER_MONTH} h",
        )
    hint = (
        f"several bases were given ({', '.join(custom_prices)}), so it is not priced"
        if custom_prices
        else "compare it with --custom-model <base id>"
    )
    warnings.append(
        f"{where}: the model id is resolved at deploy time (e.g. a custom model); a custom model's "
        f"provisioned throughput costs what its base model's does: {hint}"
    )
    return CostLine("provisioned throughput", where, item.model_units, "model units", None, None, "model unknown")


def _deployment_comparisons(
    custom_prices: Mapping[str, ModelPrice],
    *,
    units_by_custom: Mapping[str, int],
    traffic: Mapping[str, Traffic],
    default_traffic: Traffic | None,
    pricing: PricingTable,
    knowledge_base: ModelKnowledgeBase | None,
    use: Callable[[str, str], None],
    warnings: list[str],
) -> list[DeploymentComparison]:
    """A deployment vs provisioned comparison per custom model base, deployability from the knowledge base."""
    if not custom_prices:
        return []
    catalog = knowledge_base or load_models()
    comparisons: list[DeploymentComparison] = []
    for base, price in custom_prices.items():
        deployable: bool | None
        try:
            deployable = catalog.resolve(base, prop="--custom-model").custom_model_deployment
        except ValueError:
            deployable = None
            warnings.append(f"custom model base {base!r} is not in the model knowledge base: deployability unknown")
        base_traffic = _traffic_for(price.model_id, traffic, pricing) or default_traffic
        tokens = None if base_traffic is None else base_traffic.tokens_per_minute * MINUTES_PER_MONTH
        comparisons.append(
            compare_deployment(
                price,
                deployable=deployable,
                model_units=units_by_custom.get(base, 1),
                output_share=base_traffic.output_share if base_traffic else 0.25,
                tokens_per_month=tokens,
            )
        )
        if deployable is not False:
            use(price.model_id, "deployment")
        if price.provisioned_per_model_unit_hour:
            use(price.model_id, "provisioned")
    return comparisons


def _profile_line(
    profile: ApplicationProfileItem,
    pricing: PricingTable,
    traffic: Mapping[str, Traffic],
    default_traffic: Traffic | None,
) -> CostLine:
    """On-demand cost of one application inference profile at its traffic (by profile name, else the default),
    priced by the model it copies; the line names its cost allocation tags."""
    tags = ", ".join(f"{k}={v}" for k, v in sorted(profile.tags.items()))
    model = profile.model_id or "model unknown"
    price = pricing.price(profile.model_id) if profile.model_id else None
    if price is None and profile.model_id and "." in profile.model_id:
        price = pricing.price(profile.model_id.split(".", 1)[1])  # a system profile id: the model behind it
    profile_traffic = traffic.get(profile.name, default_traffic)
    monthly = None
    note = f"{profile.stack}/{profile.logical_id}; tags {tags}"
    if price is None:
        note += f"; no on-demand price for {model} in the table"
    elif profile_traffic is None:
        note += f"; pass --tokens-per-minute {profile.name}=N for its cost"
    else:
        monthly = break_even(price, profile_traffic).on_demand_monthly
        note += f"; prices {pricing.describe(price.source_of('on_demand'))}"
        note += f"; at {profile_traffic.tokens_per_minute:,.0f} tokens/min"
    return CostLine(
        "per application",
        f"{profile.name} ({model})",
        profile_traffic.tokens_per_minute if profile_traffic else 0,
        "tokens/min",
        None,
        monthly,
        note,
    )


def _models_to_compare(
    inventory: Inventory,
    pricing: PricingTable,
    *,
    traffic: Mapping[str, Traffic],
    default_traffic: Traffic | None,
    models: Iterable[str],
    units_by_model: Mapping[str, int],
    warnings: list[str],
) -> list[str]:
    """Provisioned models, then the app's other models (when traffic applies to them), then ``models``."""
    compared: list[str] = list(units_by_model)
    for model in inventory.models:
        price = pricing.price(model)
        if price is not None and price.model_id not in compared and (default_traffic or model in traffic):
            compared.append(price.model_id)
    for model in models:
        price = pricing.price(model)
        if price is None:
            close = _did_you_mean(model, pricing.model_ids)
            warnings.append(f"model {model!r} is not in the pricing table{close}; add it with --pricing FILE")
            continue
        if price.model_id not in compared:
            compared.append(price.model_id)
    return compared


def _traffic_for(model_id: str, traffic: Mapping[str, Traffic], pricing: PricingTable) -> Traffic | None:
    for key, value in traffic.items():
        resolved = pricing.price(key)
        if key == model_id or (resolved is not None and resolved.model_id == model_id):
            return value
    return None


def _did_you_mean(model: str, known: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(model, known, n=2, cutoff=0.6)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def _money(value: float | None, currency: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.2f} {currency}"


def format_report(report: CostReport) -> str:
    """The report as text: the monthly bill, then the break-even table."""
    out = [
        f"Monthly cost ({report.currency}; Bedrock pricing table revised {report.pricing_as_of}, each price dated "
        "under Prices used; "
        f"other services as of {report.service_prices_as_of}; {HOURS_PER_MONTH} h per month)",
    ]
    if report.lines:
        width = max(len(f"{line.category}: {line.item}") for line in report.lines)
        for line in report.lines:
            label = f"{line.category}: {line.item}".ljust(width)
            out.append(f"  {label}  {line.quantity:>10g} {line.unit:<11} {_money(line.monthly, report.currency):>16}")
        total = "total" if not report.unpriced else "partial total"
        out.append(f"  {total.ljust(width)}  {'':>22} {_money(report.total_monthly, report.currency):>16}")
        if report.unpriced:
            out.append(
                f"  (partial: leaves out {len(report.unpriced)} item(s) without a price: {', '.join(report.unpriced)})"
            )
    else:
        out.append("  nothing billed by the month")
    if report.break_evens:
        out.append("")
        out.append("On-demand vs provisioned throughput (break-even: traffic above which the term is cheaper)")
        for b in report.break_evens:
            per = "images/min" if b.kind == "image" else "tokens/min"
            volume = b.traffic.images_per_minute if b.kind == "image" else b.traffic.tokens_per_minute
            out.append(
                f"  {b.model_id} at {volume:,.0f} {per}"
                + ("" if b.kind == "image" else f" ({b.traffic.output_share:.0%} output)")
                + f": on-demand {_money(b.on_demand_monthly, report.currency)}"
            )
            if not b.provisioned_monthly:
                out.append("    no provisioned throughput rate in the table")
            for term, monthly in sorted(b.provisioned_monthly.items(), key=lambda kv: kv[1]):
                threshold = b.break_even.get(term)
                out.append(
                    f"    {term.value:<12} {b.model_units} MU {_money(monthly, report.currency):>16}"
                    + (f"  break-even {threshold:,.0f} {per}" if threshold is not None else "")
                )
            out.append(f"    cheapest at this traffic: {b.cheapest}")
        out.append("  (capacity per model unit is model-specific: check that the units carry the traffic)")
    if report.deployments and report.pricing is not None:
        out.append("")
        out.append("Custom model deployment vs provisioned throughput (break-even: tokens per month above which")
        out.append("the term is cheaper; custom model storage is paid either way and left out of the break-even)")
        for comparison in report.deployments:
            out.extend(format_deployment_comparison(comparison, report.pricing))
    provenance = report.price_provenance()
    if provenance and report.pricing is not None:
        out.append("")
        out.append(f"Prices used (date and source of each; older than {report.pricing.max_age_days} days is flagged)")
        for model_id, group in report.prices_used:
            price = report.pricing.price(model_id)
            if price is not None:
                out.append(f"  {report.pricing.provenance_line(price, group)}")
    if report.warnings:
        out.append("")
        out.extend(f"warning: {w}" for w in report.warnings)
    return "\n".join(out)
