"""The default app's observability stack, from config/default.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.config import ConfigError, parse_config


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

    assert len(names) == 4 * 4 + 3
    assert "BedrockOps-amazon.nova-micro-v1-0-ContentFilteredCount" in names
    assert "BedrockOps-InvocationLogging-S3DeliveryFailure" in names


def test_default_app_has_the_overview_and_one_model_dashboard(template: dict[str, Any]) -> None:
    names = sorted(
        r["Properties"]["DashboardName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Dashboard"
    )

    assert names == ["BedrockOps-Models-1", "BedrockOps-Overview"]


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
