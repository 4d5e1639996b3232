"""A custom model served on demand by a custom model deployment vs by provisioned throughput.

A custom model deployment is charged per input and output token (plus the custom model's monthly storage,
which a provisioned throughput of the same model pays too); a provisioned throughput is charged per model
unit per hour for as long as it exists. For a custom model of base model B, at a share s of output tokens::

    deployment per 1k tokens  = (1 - s) * deployment_input_per_1k(B) + s * deployment_output_per_1k(B)
    deployment per month      = tokens per month / 1000 * deployment per 1k  (+ storage per month)
    provisioned per month     = model_units * rate(B, term) * 730            (+ storage per month)
    break-even tokens / month = model_units * rate(B, term) * 730 * 1000 / deployment per 1k

Above the break-even the throughput is cheaper; below it the deployment is. The rates come from the dated
pricing table (``bedrock_ops.cost.pricing``), whether B's custom models can be deployed from the model knowledge
base (``custom_model_deployment``). Where the table has no deployment rate (null, unconfirmed) the comparison says
so and gives no break-even: it never borrows another rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bedrock_ops.cost.pricing import HOURS_PER_MONTH, Commitment, ModelPrice, PriceSource, PricingTable

__all__ = ["DeploymentComparison", "compare_deployment", "format_deployment_comparison"]


@dataclass(frozen=True)
class DeploymentComparison:
    """Serving a custom model of ``base_model_id`` by a deployment or by provisioned throughput."""

    base_model_id: str
    deployable: bool | None
    """What the knowledge base says: True, False, or None when it is unconfirmed."""
    model_units: int
    output_share: float
    deployment_input_per_1k: float | None
    deployment_output_per_1k: float | None
    storage_month: float | None
    provisioned_hourly: Mapping[Commitment, float]
    """model_units x rate per term, per hour."""
    tokens_per_month: float | None = None
    deployment_source: PriceSource | None = None
    provisioned_source: PriceSource | None = None
    break_even_tokens_month: Mapping[Commitment, float] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def deployment_per_1k(self) -> float | None:
        """The blended deployment price of 1,000 tokens at ``output_share`` (None without both rates)."""
        if self.deployment_input_per_1k is None or self.deployment_output_per_1k is None:
            return None
        share = self.output_share
        return (1 - share) * self.deployment_input_per_1k + share * self.deployment_output_per_1k

    @property
    def provisioned_monthly(self) -> Mapping[Commitment, float]:
        """Provisioned throughput per month per term (storage excluded)."""
        return {term: hourly * HOURS_PER_MONTH for term, hourly in self.provisioned_hourly.items()}

    @property
    def deployment_monthly(self) -> float | None:
        """Token charges of the deployment at ``tokens_per_month`` (storage excluded; None when unknown)."""
        per_1k = self.deployment_per_1k
        if per_1k is None or self.tokens_per_month is None:
            return None
        return self.tokens_per_month / 1000 * per_1k

    @property
    def cheapest(self) -> str:
        """``"deployment"``, a commitment value, or ``"unknown"`` (no traffic, or a needed rate missing).

        A model the knowledge base marks not deployable has only its provisioned terms.
        """
        options: dict[str, float] = {term.value: monthly for term, monthly in self.provisioned_monthly.items()}
        if self.deployable is not False:
            if self.deployment_monthly is None:
                return "unknown"
            options["deployment"] = self.deployment_monthly
        if not options:
            return "unknown"
        return min(options, key=lambda k: (options[k], k != "deployment"))


def compare_deployment(
    price: ModelPrice,
    *,
    deployable: bool | None,
    model_units: int = 1,
    output_share: float = 0.25,
    tokens_per_month: float | None = None,
) -> DeploymentComparison:
    """Compare a deployment of a custom model of ``price``'s model with its provisioned throughput.

    :param deployable: the knowledge base's ``custom_model_deployment`` of the base model.
    :param model_units: model units of the throughput (default 1).
    :param output_share: share of the tokens that are output, 0-1 (default 0.25).
    :param tokens_per_month: input plus output tokens per month, for the monthly figures (default: none).
    """
    if isinstance(model_units, bool) or not isinstance(model_units, int) or model_units < 1:
        raise ValueError(f"model_units must be an integer >= 1, got {model_units!r}")
    if not 0 <= output_share <= 1:
        raise ValueError(f"output_share must be 0-1, got {output_share}")
    if tokens_per_month is not None and tokens_per_month < 0:
        raise ValueError(f"tokens_per_month must not be negative, got {tokens_per_month}")
    hourly = {term: rate * model_units for term, rate in price.provisioned_per_model_unit_hour.items()}
    comparison = DeploymentComparison(
        base_model_id=price.model_id,
        deployable=deployable,
        model_units=model_units,
        output_share=output_share,
        deployment_input_per_1k=price.deployment_input_per_1k_tokens,
        deployment_output_per_1k=price.deployment_output_per_1k_tokens,
        storage_month=price.custom_model_storage_month,
        provisioned_hourly=MappingProxyType(hourly),
        tokens_per_month=tokens_per_month,
        deployment_source=price.provenance.get("deployment"),
        provisioned_source=price.provenance.get("provisioned"),
    )
    per_1k = comparison.deployment_per_1k
    if not per_1k or deployable is False:
        return comparison
    breaks = {term: monthly * 1000 / per_1k for term, monthly in comparison.provisioned_monthly.items()}
    return DeploymentComparison(**{**comparison.__dict__, "break_even_tokens_month": MappingProxyType(breaks)})


def _money(value: float | None, currency: str) -> str:
    return "unknown" if value is None else f"{currency} {value:,.2f}"


def format_deployment_comparison(comparison: DeploymentComparison, table: PricingTable) -> list[str]:
    """The comparison as indented text lines, each price with its date and source."""
    c = comparison
    cur = table.currency
    lines = [f"  custom model of {c.base_model_id}: deployment (on demand, per token) vs provisioned throughput"]
    if c.deployable is False:
        lines.append("    deployment: not offered for this base model (knowledge base: custom_model_deployment false)")
    else:
        if c.deployable is None:
            lines.append("    deployment: whether this base model can be deployed is unconfirmed in the knowledge base")
        if c.deployment_per_1k is None:
            lines.append(
                "    deployment: charged per input and output token; the rates are not in the pricing table "
                "(unconfirmed): set deployment_input_per_1k_tokens and deployment_output_per_1k_tokens "
                "in --pricing FILE"
            )
        else:
            lines.append(
                f"    deployment: {cur} {c.deployment_input_per_1k:g} per 1k input, "
                f"{cur} {c.deployment_output_per_1k:g} per 1k output tokens = "
                f"{cur} {c.deployment_per_1k:g} per 1k at {c.output_share:.0%} output"
                + (
                    ""
                    if c.tokens_per_month is None
                    else f"; {_money(c.deployment_monthly, cur)}/month at {c.tokens_per_month:,.0f} tokens/month"
                )
            )
        if c.deployment_source is not None:
            lines.append(f"      prices {table.describe(c.deployment_source)}")
    storage = (
        "custom model storage: not in the pricing table (unconfirmed); paid alike by a deployment and a throughput"
        if c.storage_month is None
        else f"custom model storage: {cur} {c.storage_month:,.2f}/month, paid alike by a deployment and a throughput"
    )
    lines.append(f"    {storage}")
    if not c.provisioned_hourly:
        lines.append("    provisioned throughput: no rate in the pricing table")
    for term, hourly in sorted(c.provisioned_hourly.items(), key=lambda kv: kv[1]):
        monthly = hourly * HOURS_PER_MONTH
        threshold = c.break_even_tokens_month.get(term)
        lines.append(
            f"    provisioned {term.value}: {c.model_units} MU x {cur} {hourly / c.model_units:,.2f}/h = "
            f"{cur} {hourly:,.2f}/hour, {cur} {monthly:,.2f}/month"
            + (f"; break-even {threshold:,.0f} tokens/month" if threshold is not None else "")
        )
    if c.provisioned_source is not None and c.provisioned_hourly:
        lines.append(f"      prices {table.describe(c.provisioned_source)}")
    if c.tokens_per_month is not None:
        lines.append(f"    cheapest at {c.tokens_per_month:,.0f} tokens/month: {c.cheapest}")
    return lines
