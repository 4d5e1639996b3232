"""The default app's observability stack, from config/default.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.config import ConfigError, parse_config
from tests.templates import flatten


@pytest.fixture(scope="module")
def template(default_templates: list[Path]) -> dict[str, Any]:
    (path,) = [p for p in default_templates if "observability" in p.name]
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _types(template: dict[str, Any]) -> list[str]:
    return [r["Type"] for r in template["Resources"].values()]


def test_default_app_switches_invocation_logging_on_to_both_destinations(template: dict[str, Any]) -> None:
    (resource,) = [r for r in template["Resources"].values() if r["Type"] == "Custom::BedrockInvocationLogging"]
    config = json.dumps(resource["Properties"]["LoggingConfig"])

    assert "cloudWatchConfig" in config and "s3Config" in config and "largeDataDeliveryS3Config" in config
    assert resource["Properties"]["Adopt"] == "false"


def test_default_app_alarms_on_each_configured_model_and_on_log_delivery(template: dict[str, Any]) -> None:
    names = sorted(
        r["Properties"]["AlarmName"] for r in template["Resources"].values() if "AlarmName" in r.get("Properties", {})
    )

    assert len(names) == 5 * 4 + 3
    assert "BedrockOps-amazon.nova-micro-v1-0-ContentFilteredCount" in names
    assert "BedrockOps-InvocationLogging-S3DeliveryFailure" in names


def test_default_app_has_the_overview_and_one_model_dashboard(template: dict[str, Any]) -> None:
    names = sorted(
        r["Properties"]["DashboardName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Dashboard"
    )

    assert names == ["BedrockOps-Models-1", "BedrockOps-Overview"]


def test_default_app_estimates_cost_for_the_models_the_pricing_table_prices(template: dict[str, Any]) -> None:
    (dashboard,) = [
        r
        for r in template["Resources"].values()
        if r.get("Properties", {}).get("DashboardName") == "BedrockOps-Models-1"
    ]
    body = json.loads(flatten(dashboard["Properties"]["DashboardBody"]))
    costs = [w for w in body["widgets"] if w["properties"].get("title") == "Estimated on-demand cost (USD)"]
    priced = sorted(w["properties"]["metrics"][1][3] for w in costs)

    assert priced == [
        "amazon.nova-lite-v1:0",
        "amazon.nova-micro-v1:0",
        "amazon.titan-text-express-v1",
        "anthropic.claude-3-haiku-20240307-v1:0",
    ]
    (titan,) = [w for w in costs if w["properties"]["metrics"][1][3] == "amazon.titan-text-express-v1"]
    assert titan["properties"]["metrics"][0][0]["expression"] == "(tokensIn * 0.0002 + tokensOut * 0.0006) / 1000"


def test_configured_prices_override_the_pricing_table() -> None:
    from infra.stacks import _token_prices

    config = parse_config(
        {
            "observability": {
                "monitoring": {
                    "models": [
                        {
                            "model_id": "amazon.titan-text-express-v1",
                            "price_per_1k_input_tokens": 0.5,
                            "price_per_1k_output_tokens": 1.5,
                        },
                        {"model_id": "meta.llama3-2-1b-instruct-v1:0"},
                    ]
                }
            }
        }
    )

    assert _token_prices(config.observability.monitoring) == {"amazon.titan-text-express-v1": (0.5, 1.5)}


def test_monitoring_config_rejects_a_model_listed_twice() -> None:
    raw = {"observability": {"monitoring": {"models": [{"model_id": "a.b-v1"}, {"model_id": "a.b-v1"}]}}}

    with pytest.raises(ConfigError, match=r"observability\.monitoring\.models: lists a\.b-v1 more than once"):
        parse_config(raw)


def test_monitoring_config_rejects_a_half_given_price() -> None:
    raw = {"observability": {"monitoring": {"models": [{"model_id": "a.b-v1", "price_per_1k_input_tokens": 0.1}]}}}

    with pytest.raises(ConfigError, match="give both price_per_1k_input_tokens and price_per_1k_output_tokens"):
        parse_config(raw)


def test_logging_config_rejects_a_retention_cloudwatch_does_not_offer() -> None:
    raw = {"observability": {"invocation_logging": {"log_retention_days": 100}}}

    with pytest.raises(ConfigError, match=r"log_retention_days: must be one of 1, 3, 5, .* \(got 100\)"):
        parse_config(raw)


def test_monitoring_config_rejects_a_bad_email() -> None:
    raw = {"observability": {"monitoring": {"alarm_emails": ["oncall"]}}}

    with pytest.raises(ConfigError, match="must be e-mail addresses, got 'oncall'"):
        parse_config(raw)
