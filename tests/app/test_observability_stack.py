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


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["AlarmName"]: r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }


def test_default_app_uses_fleet_alarms_with_ttft_and_quota_and_no_per_model_alarms(template: dict[str, Any]) -> None:
    assert sorted(_alarms(template)) == [
        "BedrockOps-AllModels-ContentFilteredCount",
        "BedrockOps-AllModels-InvocationLatency",
        "BedrockOps-AllModels-InvocationServerErrors",
        "BedrockOps-AllModels-InvocationThrottles",
        "BedrockOps-AllModels-TimeToFirstToken",
        "BedrockOps-InvocationLogging-CloudWatchDeliveryFailure",
        "BedrockOps-InvocationLogging-LargeDataS3DeliveryFailure",
        "BedrockOps-InvocationLogging-S3DeliveryFailure",
        "BedrockOps-TPMQuota-Default",
    ]


def test_default_app_fleet_alarms_name_no_model_so_a_deployment_made_at_run_time_is_watched(
    template: dict[str, Any],
) -> None:
    fleet = {n: a for n, a in _alarms(template).items() if "AllModels" in n or "TPMQuota" in n}

    for alarm in fleet.values():
        (query,) = [m["Expression"] for m in alarm["Metrics"]]
        assert query.startswith("SELECT ") and " GROUP BY ModelId ORDER BY " in query
        assert " WHERE " not in query
    assert "TimeToFirstToken" in fleet["BedrockOps-AllModels-TimeToFirstToken"]["Metrics"][0]["Expression"]
    quota = fleet["BedrockOps-TPMQuota-Default"]
    assert quota["Threshold"] == 200000 * 0.8 and quota["Metrics"][0]["Period"] == 60


def test_default_app_lists_llama_3_2_by_its_us_profile_id(template: dict[str, Any]) -> None:
    from infra.config import MonitoringConfig

    ids = [m.model_id for m in MonitoringConfig().models]

    assert "us.meta.llama3-2-1b-instruct-v1:0" in ids and "meta.llama3-2-1b-instruct-v1:0" not in ids
    assert "us.meta.llama3-2-1b-instruct-v1:0" in json.dumps(template)


def test_default_app_has_the_overview_a_model_and_an_application_dashboard(template: dict[str, Any]) -> None:
    names = sorted(
        r["Properties"]["DashboardName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Dashboard"
    )

    assert names == ["BedrockOps-Applications-1", "BedrockOps-Models-1", "BedrockOps-Overview"]


def test_default_app_creates_the_example_application_inference_profile_with_its_cost_tags(
    template: dict[str, Any],
) -> None:
    (profile,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Bedrock::ApplicationInferenceProfile"]

    assert profile["Properties"]["InferenceProfileName"] == "example-team"
    tags = {t["Key"]: t["Value"] for t in profile["Properties"]["Tags"]}
    assert {k: tags[k] for k in ("application", "team")} == {"application": "bedrock-ops-default", "team": "example"}
    assert flatten(profile["Properties"]["ModelSource"]["CopyFrom"]).endswith(
        "::foundation-model/amazon.nova-micro-v1:0"
    )


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


def test_monitoring_config_without_fleet_alarms_needs_a_model() -> None:
    raw: dict[str, Any] = {
        "observability": {"monitoring": {"fleet_alarms": False, "default_tpm_quota": None, "models": []}}
    }

    with pytest.raises(ConfigError, match="models must list at least one model when fleet_alarms is false"):
        parse_config(raw)


def test_monitoring_config_rejects_a_non_positive_quota() -> None:
    raw = {"observability": {"monitoring": {"tpm_quotas": {"amazon.nova-micro-v1:0": 0}}}}

    with pytest.raises(ConfigError, match="quotas must be tokens per minute > 0"):
        parse_config(raw)


def test_monitoring_config_rejects_a_bad_email() -> None:
    raw = {"observability": {"monitoring": {"alarm_emails": ["oncall"]}}}

    with pytest.raises(ConfigError, match="must be e-mail addresses, got 'oncall'"):
        parse_config(raw)
