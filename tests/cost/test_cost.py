"""bedrock_ops.cost.advisor on fixed price tables: monthly lines, break-even arithmetic, template inventory."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from bedrock_ops.cost import advisor as cost
from bedrock_ops.cost.pricing import Commitment, ModelPrice, PricingTable

TEXT = ModelPrice(
    model_id="acme.text-v1",
    kind="text",
    input_per_1k_tokens=0.001,
    output_per_1k_tokens=0.003,
    provisioned_per_model_unit_hour=MappingProxyType({Commitment.NO_COMMITMENT: 20.0, Commitment.ONE_MONTH: 10.0}),
)
EMBED = ModelPrice(model_id="acme.embed-v1", kind="embedding", input_per_1k_tokens=0.0001)
IMAGE = ModelPrice(
    model_id="acme.image-v1",
    kind="image",
    per_image=0.04,
    provisioned_per_model_unit_hour=MappingProxyType({Commitment.SIX_MONTHS: 12.0}),
)
TABLE = PricingTable(
    as_of=dt.date(2026, 1, 1),
    currency="USD",
    region="us-east-1",
    source="https://example.invalid/pricing",
    models={m.model_id: m for m in (TEXT, EMBED, IMAGE)},
)
SERVICES = cost.ServicePrices(
    as_of="2026-01-01",
    currency="USD",
    region="us-east-1",
    prices={
        "cloudwatch_alarm_month": 0.1,
        "cloudwatch_dashboard_month": 3.0,
        "cloudwatch_logs_ingestion_per_gb": 0.5,
        "cloudwatch_logs_storage_per_gb_month": 0.03,
        "kms_key_month": 1.0,
    },
)


def _pt(model: Any, units: int = 2, term: str = "OneMonth") -> dict[str, Any]:
    return {
        "Type": "Custom::BedrockProvisionedThroughput",
        "Properties": {"ModelId": model, "ModelUnits": units, "CommitmentDuration": term},
    }


TEMPLATES: dict[str, dict[str, Any]] = {
    "app-data": {
        "Resources": {
            "Key": {"Type": "AWS::KMS::Key"},
            "Logs": {"Type": "AWS::Logs::LogGroup"},
        }
    },
    "app-serving": {
        "Resources": {
            "Pt": _pt("acme.text-v1:0:8k"),
            "Alarm1": {"Type": "AWS::CloudWatch::Alarm"},
            "Alarm2": {"Type": "AWS::CloudWatch::Alarm"},
            "Dashboard": {"Type": "AWS::CloudWatch::Dashboard"},
        }
    },
}


def test_inventory_counts_resources_across_stacks() -> None:
    inv = cost.inventory_from_templates(TEMPLATES)
    assert (inv.alarms, inv.dashboards, inv.kms_keys, inv.log_groups) == (2, 1, 1, 1)
    assert inv.provisioned == (cost.ProvisionedItem("app-serving", "Pt", "acme.text-v1:0:8k", 2, Commitment.ONE_MONTH),)


def test_provisioned_throughput_without_commitment_is_read_as_no_commitment() -> None:
    inv = cost.inventory_from_templates({"s": {"Resources": {"Pt": _pt("acme.text-v1", 1, "")}}})
    assert inv.provisioned[0].commitment is Commitment.NO_COMMITMENT


def test_bad_commitment_in_template_names_the_resource() -> None:
    with pytest.raises(ValueError, match=r"s/Pt: CommitmentDuration 'TwoYears' is not one of"):
        cost.inventory_from_templates({"s": {"Resources": {"Pt": _pt("acme.text-v1", 1, "TwoYears")}}})


def test_monthly_lines_price_each_item_from_the_tables() -> None:
    report = cost.estimate(cost.inventory_from_templates(TEMPLATES), TABLE, SERVICES)
    monthly = {line.category: line.monthly for line in report.lines}
    assert monthly["provisioned throughput"] == pytest.approx(2 * 10.0 * 730)  # context-suffixed id resolved
    assert monthly["alarms"] == pytest.approx(0.2)
    assert monthly["dashboards"] == pytest.approx(3.0)
    assert monthly["kms keys"] == pytest.approx(1.0)
    assert report.total_monthly == pytest.approx(14600 + 0.2 + 3 + 1)


def test_break_even_of_a_text_model_follows_the_formula() -> None:
    traffic = cost.Traffic(tokens_per_minute=10_000, output_share=0.25)
    result = cost.break_even(TEXT, traffic, model_units=1)
    per_token = (0.75 * 0.001 + 0.25 * 0.003) / 1000  # 1.5e-6 USD
    assert result.on_demand_monthly == pytest.approx(10_000 * 60 * 730 * per_token)  # 657 USD
    assert result.provisioned_monthly[Commitment.ONE_MONTH] == pytest.approx(7300)
    assert result.break_even[Commitment.ONE_MONTH] == pytest.approx(10.0 / (60 * per_token))  # 111,111 tok/min
    assert result.cheapest == "on-demand"


def test_provisioned_is_cheapest_above_the_break_even() -> None:
    result = cost.break_even(TEXT, cost.Traffic(tokens_per_minute=200_000), model_units=1)
    assert result.cheapest == Commitment.ONE_MONTH.value


def test_model_units_scale_the_break_even() -> None:
    one = cost.break_even(TEXT, cost.Traffic(tokens_per_minute=1), model_units=1)
    three = cost.break_even(TEXT, cost.Traffic(tokens_per_minute=1), model_units=3)
    assert three.break_even[Commitment.NO_COMMITMENT] == pytest.approx(3 * one.break_even[Commitment.NO_COMMITMENT])


def test_embedding_models_are_priced_on_input_tokens_only() -> None:
    result = cost.break_even(EMBED, cost.Traffic(tokens_per_minute=1000, output_share=0.5))
    assert result.on_demand_monthly == pytest.approx(1000 * 60 * 730 * 0.0001 / 1000)
    assert result.provisioned_monthly == {}


def test_image_models_break_even_in_images_per_minute() -> None:
    result = cost.break_even(IMAGE, cost.Traffic(images_per_minute=2))
    assert result.on_demand_monthly == pytest.approx(2 * 60 * 730 * 0.04)
    assert result.break_even[Commitment.SIX_MONTHS] == pytest.approx(12.0 / (0.04 * 60))  # 5 images/min


def test_break_even_uses_the_provisioned_units_of_the_config() -> None:
    report = cost.estimate(
        cost.inventory_from_templates(TEMPLATES),
        TABLE,
        SERVICES,
        traffic={"acme.text-v1:0:8k": cost.Traffic(tokens_per_minute=1000)},
    )
    (result,) = report.break_evens
    assert (result.model_id, result.model_units) == ("acme.text-v1", 2)


def test_invocation_log_estimate_follows_traffic() -> None:
    report = cost.estimate(
        cost.Inventory(), TABLE, SERVICES, models=["acme.text-v1"], default_traffic=cost.Traffic(1000)
    )
    gigabytes = 1000 * 60 * 730 * 6 / 1e9
    ingestion = next(line for line in report.lines if line.item.endswith("ingestion"))
    assert ingestion.monthly == pytest.approx(gigabytes * 0.5)


def test_unknown_model_gets_did_you_mean() -> None:
    report = cost.estimate(cost.Inventory(), TABLE, SERVICES, models=["acme.text-v2"])
    assert any("did you mean acme.text-v1" in w for w in report.warnings)


def test_missing_rate_for_the_term_is_a_warning_not_a_guess() -> None:
    inv = cost.inventory_from_templates({"s": {"Resources": {"Pt": _pt("acme.text-v1", 1, "SixMonths")}}})
    report = cost.estimate(inv, TABLE, SERVICES)
    assert report.lines[0].monthly is None
    assert any("no SixMonths provisioned rate for acme.text-v1" in w for w in report.warnings)


def test_model_id_resolved_at_deploy_time_is_reported() -> None:
    inv = cost.inventory_from_templates({"s": {"Resources": {"Pt": _pt({"Fn::GetAtt": ["M", "Arn"]})}}})
    report = cost.estimate(inv, TABLE, SERVICES)
    assert any("costs what its base model's does" in w for w in report.warnings)


def test_traffic_rejects_output_share_above_one() -> None:
    with pytest.raises(ValueError, match=r"output_share must be 0-1, got 1\.5"):
        cost.Traffic(tokens_per_minute=1, output_share=1.5)


def test_packaged_service_prices_load() -> None:
    prices = cost.load_service_prices()
    assert prices.rate("kms_key_month") > 0
    assert prices.as_of


def test_service_price_override_is_merged(tmp_path: Path) -> None:
    f = tmp_path / "prices.json"
    f.write_text(json.dumps({"prices": {"kms_key_month": 2.5}}), encoding="utf-8")
    prices = cost.load_service_prices(f)
    assert prices.rate("kms_key_month") == 2.5
    assert prices.rate("cloudwatch_alarm_month") == cost.load_service_prices().rate("cloudwatch_alarm_month")


def test_service_price_override_names_file_and_key(tmp_path: Path) -> None:
    f = tmp_path / "prices.json"
    f.write_text(json.dumps({"prices": {"kms_key_month": -1}}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"prices\.json: prices\.kms_key_month must be a non-negative number, got -1"):
        cost.load_service_prices(f)


def test_templates_are_read_from_a_cloud_assembly(tmp_path: Path) -> None:
    (tmp_path / "s.template.json").write_text(json.dumps(TEMPLATES["app-serving"]), encoding="utf-8")
    manifest = {
        "artifacts": {"s": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "s.template.json"}}}
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert cost.templates_from_assembly(tmp_path) == {"s": TEMPLATES["app-serving"]}


def test_report_text_shows_total_and_break_even() -> None:
    report = cost.estimate(
        cost.inventory_from_templates(TEMPLATES),
        TABLE,
        SERVICES,
        default_traffic=cost.Traffic(tokens_per_minute=10_000),
    )
    text = cost.format_report(report)
    assert f"{report.total_monthly:,.2f} USD" in text.splitlines()[len(report.lines) + 1]
    assert "break-even 222,222 tokens/min" in text  # 2 MU x 10 USD/h / (60 x 1.5e-6)


def test_models_the_app_uses_are_compared_at_the_default_traffic() -> None:
    templates = {
        "s": {
            "Resources": {
                "Access": {"Type": "Custom::BedrockModelAccess", "Properties": {"ModelId": "acme.embed-v1"}},
                "Eval": {
                    "Type": "Custom::BedrockEvaluationJob",
                    "Properties": {
                        "Request": {
                            "inferenceConfig": {"models": [{"bedrockModel": {"modelIdentifier": "acme.text-v1"}}]},
                            "evaluationConfig": {
                                "automated": {
                                    "evaluatorModelConfig": {
                                        "bedrockEvaluatorModels": [{"modelIdentifier": "acme.image-v1"}]
                                    }
                                }
                            },
                        }
                    },
                },
            }
        }
    }
    inventory = cost.inventory_from_templates(templates)
    assert inventory.models == ("acme.embed-v1", "acme.text-v1", "acme.image-v1")
    report = cost.estimate(inventory, TABLE, SERVICES, default_traffic=cost.Traffic(tokens_per_minute=100))
    assert [b.model_id for b in report.break_evens] == ["acme.embed-v1", "acme.text-v1", "acme.image-v1"]


def test_models_the_app_uses_are_not_compared_without_traffic() -> None:
    templates = {
        "s": {"Resources": {"A": {"Type": "Custom::BedrockModelAccess", "Properties": {"ModelId": "acme.text-v1"}}}}
    }
    assert cost.estimate(cost.inventory_from_templates(templates), TABLE, SERVICES).break_evens == ()


def test_log_estimate_says_whether_invocation_logging_is_configured() -> None:
    logging_on = cost.inventory_from_templates(
        {"s": {"Resources": {"L": {"Type": "Custom::BedrockInvocationLogging", "Properties": {}}}}}
    )
    assert logging_on.invocation_logging
    report = cost.estimate(logging_on, TABLE, SERVICES, models=["acme.text-v1"], default_traffic=cost.Traffic(10))
    assert report.lines[0].note.startswith("invocation logging is on")
    off = cost.estimate(cost.Inventory(), TABLE, SERVICES, models=["acme.text-v1"], default_traffic=cost.Traffic(10))
    assert off.lines[0].note.startswith("if you turn invocation logging on")


def test_total_over_an_unpriced_throughput_says_it_is_partial() -> None:
    templates = {"s": {"Resources": {"Pt": _pt("acme.unpriced-v1"), "Key": {"Type": "AWS::KMS::Key"}}}}
    report = cost.estimate(cost.inventory_from_templates(templates), TABLE, SERVICES)

    text = cost.format_report(report)

    assert report.unpriced == ("provisioned throughput: acme.unpriced-v1 (OneMonth)",)
    assert "partial total" in text
    assert "(partial: leaves out 1 item(s) without a price: provisioned throughput: acme.unpriced-v1" in text
    assert report.to_dict()["total_is_partial"] is True


def test_total_of_fully_priced_lines_is_not_marked_partial() -> None:
    report = cost.estimate(cost.inventory_from_templates(TEMPLATES), TABLE, SERVICES)
    assert report.unpriced == ()
    assert "partial" not in cost.format_report(report)
    assert report.to_dict()["total_is_partial"] is False
