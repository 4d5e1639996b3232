"""The cost advisor on fleet monitoring and application inference profiles: Metrics Insights alarms priced per
metric analyzed, one line per profile with its tags, priced by the model it copies."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from bedrock_ops.cost import advisor as cost
from bedrock_ops.cost.pricing import ModelPrice, PricingTable
from bedrock_ops.observability.monitoring import BedrockMonitoring
from bedrock_ops.serving.inference_profile import ApplicationInferenceProfile

NOVA = ModelPrice(model_id="amazon.nova-micro-v1:0", kind="text", input_per_1k_tokens=0.001, output_per_1k_tokens=0.004)
TABLE = PricingTable(
    as_of=dt.date(2026, 1, 1),
    currency="USD",
    region="us-east-1",
    source="https://example.invalid/pricing",
    models={NOVA.model_id: NOVA},
)
SERVICES = cost.ServicePrices(
    as_of="2026-01-01",
    currency="USD",
    region="us-east-1",
    prices=MappingProxyType(
        {
            "cloudwatch_alarm_month": 0.1,
            "cloudwatch_dashboard_month": 3.0,
            "cloudwatch_logs_ingestion_per_gb": 0.5,
            "cloudwatch_logs_storage_per_gb_month": 0.03,
            "cloudwatch_metrics_insights_alarm_metric_month": 0.1,
            "kms_key_month": 1.0,
        }
    ),
)


@pytest.fixture(scope="module")
def inventory() -> cost.Inventory:
    stack = cdk.Stack(cdk.App(), "Fleet", env=cdk.Environment(account="123456789012", region="us-east-1"))
    profile = ApplicationInferenceProfile(
        stack,
        "Support",
        inference_profile_name="support-bot",
        model_source="us.amazon.nova-micro-v1:0",
        cost_allocation_tags={"team": "support"},
    )
    BedrockMonitoring(stack, "Monitoring", default_tpm_quota=100_000, inference_profiles=[profile])
    template: dict[str, Any] = dict(Template.from_stack(stack).to_json())
    return cost.inventory_from_templates({"fleet": template})


def test_inventory_tells_metrics_insights_alarms_from_standard_ones(inventory: cost.Inventory) -> None:
    assert (inventory.alarms, inventory.metrics_insights_alarms) == (3, 6)


def test_inventory_reads_each_application_profile_with_its_model_and_tags(inventory: cost.Inventory) -> None:
    (profile,) = inventory.application_profiles

    assert (profile.name, profile.model_id, dict(profile.tags)) == (
        "support-bot",
        "us.amazon.nova-micro-v1:0",
        {"team": "support"},
    )


def test_metrics_insights_alarms_are_priced_per_metric_analyzed(inventory: cost.Inventory) -> None:
    report = cost.estimate(inventory, TABLE, SERVICES, fleet_size=40)
    (line,) = [line for line in report.lines if line.item == "CloudWatch Metrics Insights alarms"]

    assert (line.quantity, line.unit) == (240, "metrics analyzed")
    assert line.monthly == pytest.approx(24.0)


def test_each_profile_gets_a_line_priced_by_the_model_behind_its_system_profile(inventory: cost.Inventory) -> None:
    traffic = {"support-bot": cost.Traffic(tokens_per_minute=1000, output_share=0.25)}
    report = cost.estimate(inventory, TABLE, SERVICES, traffic=traffic)
    (line,) = [line for line in report.lines if line.category == "per application"]

    minutes = cost.MINUTES_PER_MONTH
    expected = minutes * (750 * 0.001 + 250 * 0.004) / 1000
    assert line.item == "support-bot (us.amazon.nova-micro-v1:0)"
    assert line.monthly == pytest.approx(expected)
    assert "tags team=support" in line.note
    assert not [w for w in report.warnings if "support-bot" in w]


def test_a_profile_without_traffic_says_how_to_give_it(inventory: cost.Inventory) -> None:
    report = cost.estimate(inventory, TABLE, SERVICES)
    (line,) = [line for line in report.lines if line.category == "per application"]

    assert line.monthly is None and "--tokens-per-minute support-bot=N" in line.note
