"""BedrockMonitoring with fleet alarms: one Metrics Insights alarm per signal over every ModelId, quota headroom,
name collisions, the model-id seam and the documented Metrics Insights limits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from bedrock_ops.observability.fleet import MAX_SERIES_PER_QUERY, metrics_insights_query
from bedrock_ops.observability.model_ids import check_model_id, model_id_aliases
from bedrock_ops.observability.monitoring import QUOTA_MODELS_PER_ALARM, BedrockMonitoring
from bedrock_ops.observability.monitoring_props import AlarmThresholds, MonitoredModel
from bench.monitoring_scale import synthetic_models_file
from tests.support import run_cfn_lint
from tests.templates import alarms_by_name, dashboard_bodies, flatten

ENV = cdk.Environment(account="123456789012", region="us-east-1")
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
LLAMA_PROFILE = "us.meta.llama3-2-1b-instruct-v1:0"


def _synth(**kwargs: Any) -> tuple[cdk.App, cdk.Stack, dict[str, Any]]:
    app = cdk.App()
    stack = cdk.Stack(app, "Fleet", env=ENV)
    BedrockMonitoring(stack, "Monitoring", **kwargs)
    return app, stack, dict(Template.from_stack(stack).to_json())


@pytest.fixture(scope="module")
def synthesized() -> tuple[cdk.App, cdk.Stack, dict[str, Any]]:
    return _synth(
        tpm_quotas={HAIKU: 400_000, LLAMA_PROFILE: 400_000, "amazon.nova-micro-v1:0": 2_000_000},
        default_tpm_quota=200_000,
        thresholds=AlarmThresholds(time_to_first_token_ms=3000, fleet_latency_function="MAX"),
        alarm_emails=["ops@example.com"],
    )


@pytest.fixture(scope="module")
def alarms(synthesized: tuple[cdk.App, cdk.Stack, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return alarms_by_name(synthesized[2])


def _query(alarm: dict[str, Any]) -> str:
    (metric,) = alarm["Metrics"]
    assert metric["ReturnData"] is True
    return str(metric["Expression"])


def test_without_a_model_list_each_signal_gets_one_alarm_over_every_model_id(alarms: dict[str, Any]) -> None:
    fleet = {n: _query(a) for n, a in alarms.items() if "-AllModels-" in n}

    assert fleet == {
        "BedrockOps-AllModels-InvocationLatency": 'SELECT MAX(InvocationLatency) FROM "AWS/Bedrock" '
        "GROUP BY ModelId ORDER BY MAX() DESC LIMIT 500",
        "BedrockOps-AllModels-TimeToFirstToken": 'SELECT MAX(TimeToFirstToken) FROM "AWS/Bedrock" '
        "GROUP BY ModelId ORDER BY MAX() DESC LIMIT 500",
        "BedrockOps-AllModels-InvocationServerErrors": 'SELECT SUM(InvocationServerErrors) FROM "AWS/Bedrock" '
        "GROUP BY ModelId ORDER BY SUM() DESC LIMIT 500",
        "BedrockOps-AllModels-InvocationThrottles": 'SELECT SUM(InvocationThrottles) FROM "AWS/Bedrock" '
        "GROUP BY ModelId ORDER BY SUM() DESC LIMIT 500",
        "BedrockOps-AllModels-ContentFilteredCount": 'SELECT SUM(ContentFilteredCount) FROM "BedrockOps" '
        "GROUP BY ModelId ORDER BY SUM() DESC LIMIT 500",
    }


def test_fleet_thresholds_and_periods_come_from_the_thresholds(alarms: dict[str, Any]) -> None:
    ttft = alarms["BedrockOps-AllModels-TimeToFirstToken"]

    assert (ttft["Threshold"], ttft["ComparisonOperator"]) == (3000, "GreaterThanThreshold")
    assert ttft["Metrics"][0]["Period"] == 300
    assert (ttft["EvaluationPeriods"], ttft["DatapointsToAlarm"], ttft["TreatMissingData"]) == (3, 2, "notBreaching")
    throttles = alarms["BedrockOps-AllModels-InvocationThrottles"]
    assert (throttles["Threshold"], throttles["ComparisonOperator"]) == (10, "GreaterThanOrEqualToThreshold")


def test_alarm_descriptions_say_the_contributor_names_the_model_and_how_to_list_them(alarms: dict[str, Any]) -> None:
    for name, alarm in alarms.items():
        if "AllModels" in name or "TPMQuota" in name:
            assert "contributor attribute ModelId" in alarm["AlarmDescription"]
            assert f"describe-alarm-contributors --alarm-name {name}" in alarm["AlarmDescription"]
            assert len(alarm["AlarmDescription"]) <= 1024


def test_quota_alarms_group_models_by_quota_and_alarm_at_the_percentage(alarms: dict[str, Any]) -> None:
    quota = {n: a for n, a in alarms.items() if "TPMQuota" in n}

    assert sorted(quota) == ["BedrockOps-TPMQuota-2000000", "BedrockOps-TPMQuota-400000", "BedrockOps-TPMQuota-Default"]
    shared = quota["BedrockOps-TPMQuota-400000"]
    assert _query(shared) == (
        'SELECT SUM(EstimatedTPMQuotaUsage) FROM "AWS/Bedrock" '
        f"WHERE ModelId = '{HAIKU}' OR ModelId = '{LLAMA_PROFILE}' GROUP BY ModelId ORDER BY SUM() DESC LIMIT 500"
    )
    assert (shared["Threshold"], shared["Metrics"][0]["Period"]) == (320_000, 60)
    default = quota["BedrockOps-TPMQuota-Default"]
    assert _query(default).startswith(
        f"SELECT SUM(EstimatedTPMQuotaUsage) FROM \"AWS/Bedrock\" WHERE ModelId != '{HAIKU}' AND ModelId != "
    )
    assert default["Threshold"] == 160_000


def test_more_models_with_one_quota_than_fit_one_query_are_split_over_numbered_alarms() -> None:
    quotas = {f"vendor.model-{n:03d}-v1:0": 100_000.0 for n in range(QUOTA_MODELS_PER_ALARM + 1)}
    _, _, template = _synth(tpm_quotas=quotas, models_file=synthetic_models_file(list(quotas)))

    names = sorted(n for n in alarms_by_name(template) if "TPMQuota" in n)
    assert names == ["BedrockOps-TPMQuota-100000-1", "BedrockOps-TPMQuota-100000-2"]


def test_fleet_resources_do_not_depend_on_the_number_of_listed_models() -> None:
    def count(**kwargs: Any) -> int:
        return len(_synth(**kwargs)[2]["Resources"])

    assert count() == count(models=[]) < 25


def test_listed_models_get_a_dashboard_section_and_only_asked_for_alarms_of_their_own() -> None:
    _, _, template = _synth(models=[HAIKU, MonitoredModel(LLAMA_PROFILE, latency_threshold_ms=4000)])

    own = [n for n in alarms_by_name(template) if "AllModels" not in n and "InvocationLogging" not in n]
    assert sorted(own) == sorted(
        f"BedrockOps-us.meta.llama3-2-1b-instruct-v1-0-{w}"
        for w in ("InvocationLatencyP90", "ContentFilteredCount", "InvocationThrottles", "InvocationServerErrors")
    )
    widgets = dashboard_bodies(template)["BedrockOps-Models-1"]["widgets"]
    assert [w["properties"].get("title") for w in widgets].count("Latency (ms)") == 2
    assert [w["properties"].get("title") for w in widgets].count("Alarms") == 1


def test_a_profile_listed_by_id_sums_its_content_filtered_count_under_its_arn_too() -> None:
    aliases = [flatten(cdk.Stack(cdk.App(), "S").resolve(a)) for a in model_id_aliases(LLAMA_PROFILE)]

    assert aliases == [LLAMA_PROFILE, "arn:TOKEN:bedrock:TOKEN:TOKEN:inference-profile/" + LLAMA_PROFILE]
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/" + LLAMA_PROFILE
    assert model_id_aliases(arn)[0] == LLAMA_PROFILE
    app_profile = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
    assert model_id_aliases(app_profile) == [app_profile]


def test_overview_lists_everything_by_search_and_names_no_model(
    synthesized: tuple[cdk.App, cdk.Stack, dict[str, Any]],
) -> None:
    body = json.dumps(dashboard_bodies(synthesized[2])["BedrockOps-Overview"])

    assert HAIKU not in body
    assert "MetricName=\\\"EstimatedTPMQuotaUsage\\\"', 'Sum', 60)" in body
    assert "application-inference-profile', 'Sum', 300)" in body
    assert "Fleet alarms (each ModelId is a contributor)" in body


def test_two_monitorings_with_the_same_prefixes_in_one_stack_are_refused() -> None:
    stack = cdk.Stack(cdk.App(), "S", env=ENV)
    BedrockMonitoring(stack, "A")

    with pytest.raises(ValueError, match=r"alarm_name_prefix: BedrockMonitoring S/B would create the alarm "):
        BedrockMonitoring(stack, "B")
    with pytest.raises(ValueError, match=r"dashboard_name_prefix: .* dashboard 'BedrockOps-Overview'"):
        BedrockMonitoring(stack, "C", alarm_name_prefix="TeamB")
    BedrockMonitoring(stack, "D", alarm_name_prefix="TeamC", dashboard_name_prefix="TeamC")


def test_a_string_instead_of_a_list_of_models_fails_clearly() -> None:
    stack = cdk.Stack(cdk.App(), "S", env=ENV)

    with pytest.raises(
        ValueError, match=r"models must be a list of model ids, got the string 'amazon.nova-micro-v1:0'"
    ):
        BedrockMonitoring(stack, "M", models="amazon.nova-micro-v1:0")


@pytest.mark.parametrize(
    "model_id",
    [
        "amazon.nova-micro-v1:0",
        "amazon.titan-text-express-v1:0:8k",
        "anthropic.claude-3-haiku-20240307-v1:0:200k",
        "us.meta.llama3-2-1b-instruct-v1:0",
        "global.anthropic.claude-sonnet-4-20250514-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123",
        "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abc123",
        "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/abc123",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0",
    ],
)
def test_the_model_id_seam_accepts_every_identifier_shape(model_id: str) -> None:
    check_model_id(model_id)


@pytest.mark.parametrize("model_id", ["nova micro", "Amazon.Nova", "arn:aws:s3:::bucket", "novamicro"])
def test_the_model_id_seam_rejects_other_text_naming_the_parameter_and_the_value(model_id: str) -> None:
    with pytest.raises(ValueError, match=rf"tpm_quotas key must be a model id .* got {model_id!r}"):
        check_model_id(model_id, parameter="tpm_quotas key")


def test_the_model_id_seam_skips_tokens() -> None:
    check_model_id(cdk.Fn.import_value("ModelArn"))
    assert MonitoredModel(cdk.Fn.import_value("ProfileArn"), name="team-a").key == "team-a"
    with pytest.raises(ValueError, match=r"model_id is a token .* give name= too"):
        MonitoredModel(cdk.Fn.import_value("ProfileArn"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tpm_quotas": {HAIKU: 0}}, r"tpm_quotas\['anthropic.claude-3-haiku-20240307-v1:0'\] must be .* > 0, got 0"),
        ({"default_tpm_quota": -1}, "default_tpm_quota must be a tokens-per-minute quota > 0, got -1"),
        ({"fleet_alarms": False, "models": [HAIKU], "default_tpm_quota": 1000}, "need fleet_alarms=True"),
        (
            {"thresholds": AlarmThresholds(period_minutes=60, evaluation_periods=4, datapoints_to_alarm=2)},
            r"period_minutes x evaluation_periods must be at most 180 minutes .* got 240",
        ),
        (
            {
                "tpm_quotas": {f"v.m-{n}-v1:0": float(n + 1) for n in range(201)},
                "models_file": synthetic_models_file([f"v.m-{n}-v1:0" for n in range(201)]),
            },
            "would need 206 Metrics Insights",
        ),
        (
            {"models": ["amazon.nova-mikro-v1:0"]},
            r"models\[0\] 'amazon.nova-mikro-v1:0' is not a known .* did you mean",
        ),
        ({"tpm_quotas": {"anthropic.claude-9-v1:0": 1000}}, r"tpm_quotas key 'anthropic.claude-9-v1:0' is not a known"),
        (
            {"models": ["meta.llama3-2-1b-instruct-v1:0"]},
            r"models\[0\] 'meta.llama3-2-1b-instruct-v1:0': .* only through a cross-Region inference profile",
        ),
    ],
)
def test_bad_fleet_props_are_rejected_with_the_value(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BedrockMonitoring(cdk.Stack(cdk.App(), "S", env=ENV), "M", **kwargs)


def test_percentile_functions_are_refused_for_fleet_latency() -> None:
    with pytest.raises(ValueError, match=r"fleet_latency_function must be one of AVG, MAX .* got 'p90'"):
        AlarmThresholds(fleet_latency_function="p90")
    with pytest.raises(ValueError, match=r"function must be one of AVG, COUNT, MAX, MIN, SUM .* got 'P99'"):
        metrics_insights_query("AWS/Bedrock", "InvocationLatency", "P99")
    with pytest.raises(ValueError, match=rf"limit must be 1-{MAX_SERIES_PER_QUERY}"):
        metrics_insights_query("AWS/Bedrock", "InvocationLatency", "AVG", limit=501)


def test_fleet_stack_passes_nag_and_cfn_lint(
    synthesized: tuple[cdk.App, cdk.Stack, dict[str, Any]], tmp_path: Path
) -> None:
    app, _, template = synthesized
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps(template))

    assert AwsSolutionsChecks().validate_scope(app).violations == []
    result = run_cfn_lint(path)
    assert (result.returncode, result.stdout) == (0, "")
