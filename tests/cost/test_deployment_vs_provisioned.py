"""A custom model served by a custom model deployment (per token) vs provisioned throughput (per hour).

Figures computed by hand: deployment rates 0.0001 (input) and 0.0004 (output) per 1k tokens at 25% output blend to
0.75 * 0.0001 + 0.25 * 0.0004 = 0.000175 per 1k; 2 model units at 20.0/h without commitment cost
2 * 20 * 730 = 29,200 a month, so the break-even is 29,200 / 0.000175 * 1000 = 166,857,142,857 tokens a month.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import MappingProxyType

import pytest
from aws_cdk.assertions import Template

from bedrock_ops.cli import main
from bedrock_ops.cost import advisor as cost
from bedrock_ops.cost.deployment import compare_deployment
from bedrock_ops.cost.pricing import Commitment, ModelPrice, PriceSource, PricingTable
from bedrock_ops.serving.provisioned_throughput import ProvisionedThroughput
from tests.support import new_stack

NOVA_LITE = "amazon.nova-lite-v1:0"
SOURCE = MappingProxyType(
    {g: PriceSource("https://example.com/p", dt.date(2026, 11, 1)) for g in ("on_demand", "provisioned", "deployment")}
)
PRICE = ModelPrice(
    model_id=NOVA_LITE,
    kind="text",
    input_per_1k_tokens=0.0001,
    output_per_1k_tokens=0.0004,
    provisioned_per_model_unit_hour=MappingProxyType({Commitment.NO_COMMITMENT: 20.0, Commitment.ONE_MONTH: 10.0}),
    deployment_input_per_1k_tokens=0.0001,
    deployment_output_per_1k_tokens=0.0004,
    custom_model_storage_month=1.5,
    provenance=SOURCE,
)
TABLE = PricingTable(
    as_of=dt.date(2026, 11, 1),
    currency="USD",
    region="us-east-1",
    source="https://example.com/p",
    models={NOVA_LITE: PRICE},
    today=dt.date(2026, 12, 1),
)
BREAK_EVEN_NO_COMMITMENT = 29_200 / 0.000175 * 1000  # 166,857,142,857 tokens a month
BREAK_EVEN_ONE_MONTH = 2 * 10 * 730 / 0.000175 * 1000  # 83,428,571,428 tokens a month


def test_break_even_tokens_per_month_follow_units_rate_and_blended_token_price() -> None:
    c = compare_deployment(PRICE, deployable=True, model_units=2)
    assert c.deployment_per_1k == pytest.approx(0.000175)
    assert c.provisioned_hourly[Commitment.NO_COMMITMENT] == pytest.approx(40.0)
    assert c.provisioned_monthly[Commitment.NO_COMMITMENT] == pytest.approx(29_200.0)
    assert c.break_even_tokens_month[Commitment.NO_COMMITMENT] == pytest.approx(166_857_142_857.14, rel=1e-9)
    assert c.break_even_tokens_month[Commitment.ONE_MONTH] == pytest.approx(BREAK_EVEN_ONE_MONTH)


def test_below_the_break_even_the_deployment_is_cheapest() -> None:
    c = compare_deployment(PRICE, deployable=True, model_units=2, tokens_per_month=1e9)
    assert c.deployment_monthly == pytest.approx(175.0)  # 1e9 / 1000 * 0.000175
    assert c.cheapest == "deployment"


def test_above_the_break_even_the_throughput_is_cheapest() -> None:
    c = compare_deployment(PRICE, deployable=True, model_units=2, tokens_per_month=2e11)
    assert c.deployment_monthly == pytest.approx(35_000.0)  # 2e11 / 1000 * 0.000175 > 2 * 10 * 730 = 14,600
    assert c.cheapest == Commitment.ONE_MONTH.value


def test_a_base_model_the_knowledge_base_marks_not_deployable_has_no_deployment_option() -> None:
    c = compare_deployment(PRICE, deployable=False, model_units=2, tokens_per_month=1e9)
    assert c.break_even_tokens_month == {}
    assert c.cheapest == Commitment.ONE_MONTH.value


def test_without_deployment_rates_there_is_no_break_even_and_no_guess() -> None:
    price = ModelPrice(
        model_id=NOVA_LITE,
        kind="text",
        provisioned_per_model_unit_hour=MappingProxyType({Commitment.NO_COMMITMENT: 20.0}),
    )
    c = compare_deployment(price, deployable=True, tokens_per_month=1e9)
    assert (c.deployment_per_1k, c.break_even_tokens_month, c.cheapest) == (None, {}, "unknown")


def test_advisor_compares_a_custom_model_of_a_deployable_base_from_the_knowledge_base() -> None:
    report = cost.estimate(
        cost.Inventory(),
        TABLE,
        cost.load_service_prices(),
        custom_models=[NOVA_LITE],
        default_traffic=cost.Traffic(tokens_per_minute=1000.0),
    )
    (c,) = report.deployments
    assert c.deployable is True  # the knowledge base's custom_model_deployment of Nova Lite
    assert c.tokens_per_month == pytest.approx(1000 * 60 * 730)
    assert c.deployment_monthly == pytest.approx(43_800_000 / 1000 * 0.000175)
    assert c.cheapest == "deployment"
    text = cost.format_report(report)
    assert "custom model of amazon.nova-lite-v1:0: deployment (on demand, per token) vs provisioned throughput" in text
    assert "break-even 83,428,571,429 tokens/month" in text  # 20 * 730 / 0.000175 * 1000, one model unit
    assert "custom model storage: USD 1.50/month, paid alike by a deployment and a throughput" in text
    assert f"{NOVA_LITE} deployment prices as of 2026-11-01 (https://example.com/p)" in text


def test_a_throughput_known_only_at_deploy_time_takes_its_units_from_the_template() -> None:
    template = {
        "Resources": {
            "Pt": {
                "Type": "Custom::BedrockProvisionedThroughput",
                "Properties": {"ModelId": {"Ref": "M"}, "ModelUnits": 2, "CommitmentDuration": "NoCommitment"},
            }
        }
    }
    report = cost.estimate(
        cost.inventory_from_templates({"s": template}), TABLE, cost.load_service_prices(), custom_models=[NOVA_LITE]
    )
    assert report.lines[0].monthly == pytest.approx(29_200.0)
    (c,) = report.deployments
    assert c.break_even_tokens_month[Commitment.NO_COMMITMENT] == pytest.approx(BREAK_EVEN_NO_COMMITMENT)


def test_cost_cli_custom_model_gives_the_break_even_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    user = tmp_path / "prices.json"
    entry = {
        "deployment_input_per_1k_tokens": 0.0001,
        "deployment_output_per_1k_tokens": 0.0004,
        "provisioned_per_model_unit_hour": {"NoCommitment": 20.0},
    }
    user.write_text(json.dumps({"as_of": "2026-11-30", "models": {NOVA_LITE: entry}}))
    argv = ["cost", "--custom-model", NOVA_LITE, "--pricing", str(user), "--tokens-per-minute", "1000", "--json"]
    assert main(argv) == 0
    (row,) = json.loads(capsys.readouterr().out)["deployment_vs_provisioned"]
    assert row["deployable"] is True
    assert row["break_even_tokens_per_month"]["NoCommitment"] == pytest.approx(20 * 730 / 0.000175 * 1000)
    assert row["deployment_monthly"] == pytest.approx(1000 * 60 * 730 / 1000 * 0.000175)
    assert row["cheapest"] == "deployment"


def test_cost_cli_says_when_the_deployment_rates_are_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--custom-model", NOVA_LITE, "--tokens-per-minute", "1000"]) == 0
    out = capsys.readouterr().out
    assert "the rates are not in the pricing table (unconfirmed)" in out
    assert "cheapest at 43,800,000 tokens/month: unknown" in out


def test_synth_summary_of_a_custom_model_throughput_shows_the_deployment_break_even() -> None:
    stack = new_stack("Serve")
    arn = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-lite-v1:0:300k/abcdef123456"
    ProvisionedThroughput(stack, "Pt", model=arn, base_model_id=NOVA_LITE, model_units=2, pricing_table=TABLE)
    outputs = Template.from_stack(stack).find_outputs("*")
    (value,) = (str(o["Value"]) for key, o in outputs.items() if "EstimatedCost" in key)
    assert value.startswith("USD 40.00/hour, USD 29,200.00/month (2 model unit(s), NoCommitment)")
    assert "Or on demand by a custom model deployment: USD 0.0001/1k input, 0.0004/1k output tokens" in value
    assert "the throughput is cheaper above 166,857,142,857 tokens/month at 25% output" in value


def test_an_app_with_a_custom_model_deployment_is_told_how_to_price_it() -> None:
    template = {"Resources": {"Dep": {"Type": "Custom::BedrockCustomModelDeployment", "Properties": {}}}}
    inventory = cost.inventory_from_templates({"s": template})
    assert inventory.custom_model_deployments == ("s/Dep",)
    report = cost.estimate(inventory, TABLE, cost.load_service_prices())
    assert any("1 custom model deployment(s) (s/Dep): charged per input and output token" in w for w in report.warnings)
    priced = cost.estimate(inventory, TABLE, cost.load_service_prices(), custom_models=[NOVA_LITE])
    assert not any("custom model deployment(s)" in w for w in priced.warnings)
