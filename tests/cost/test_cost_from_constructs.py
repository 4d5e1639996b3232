"""The cost inventory reads what issue 5's ProvisionedThroughput construct actually synthesizes."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Template

from bedrock_ops import ProvisionedThroughput
from bedrock_ops.cost import advisor as cost
from bedrock_ops.cost.pricing import HOURS_PER_MONTH, Commitment, load_pricing_table
from tests.support import new_stack


def test_a_synthesized_provisioned_throughput_is_priced_by_units_and_term() -> None:
    stack = new_stack()
    ProvisionedThroughput(
        stack,
        "Pt",
        model="amazon.titan-text-express-v1:0:8k",
        model_units=2,
        commitment=Commitment.SIX_MONTHS,
        acknowledge_commitment_cost=True,
    )
    template = Template.from_stack(stack).to_json()
    inventory = cost.inventory_from_templates({"Test": template})
    (item,) = inventory.provisioned
    assert (item.model_id, item.model_units, item.commitment) == (
        "amazon.titan-text-express-v1:0:8k",
        2,
        Commitment.SIX_MONTHS,
    )
    pricing = load_pricing_table()
    report = cost.estimate(inventory, pricing, cost.load_service_prices())
    price = pricing.price("amazon.titan-text-express-v1")
    assert price is not None
    rate = price.provisioned_per_model_unit_hour[Commitment.SIX_MONTHS]
    line = next(line for line in report.lines if line.category == "provisioned throughput")
    assert line.monthly == pytest.approx(2 * rate * HOURS_PER_MONTH)
