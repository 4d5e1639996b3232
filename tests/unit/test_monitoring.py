"""BedrockMonitoring with per-model alarms (``fleet_alarms=False``, the 0.1 behaviour): alarms, the alarm topic
and its key, dashboards and their automatic split. Fleet alarms: tests/unit/test_fleet_monitoring.py."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from bedrock_ops.observability.monitoring import BedrockMonitoring
from bedrock_ops.observability.monitoring_props import AlarmThresholds, MonitoredModel
from bench.monitoring_scale import synthetic_models_file
from tests.templates import alarms_by_name, dashboard_bodies, flatten, resources_of_type

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TITAN = "amazon.titan-text-express-v1"
ENV = cdk.Environment(account="123456789012", region="us-east-1")


def _synth(**kwargs: Any) -> tuple[cdk.App, dict[str, Any]]:
    app = cdk.App()
    stack = cdk.Stack(app, "Monitoring", env=ENV)
    BedrockMonitoring(stack, "Monitoring", **{"fleet_alarms": False, **kwargs})
    return app, dict(Template.from_stack(stack).to_json())


@pytest.fixture(scope="module")
def synthesized() -> tuple[cdk.App, dict[str, Any]]:
    return _synth(
        models=[MonitoredModel(HAIKU, latency_threshold_ms=5000), TITAN],
        thresholds=AlarmThresholds(latency_ms=15000, latency_statistic="p99"),
        alarm_emails=["ops@example.com", "oncall@example.com"],
        model_prices={TITAN: (0.0002, 0.0006)},
    )


@pytest.fixture(scope="module")
def template(synthesized: tuple[cdk.App, dict[str, Any]]) -> dict[str, Any]:
    return synthesized[1]


@pytest.fixture(scope="module")
def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return alarms_by_name(template)


def _topic_ref(template: dict[str, Any]) -> dict[str, str]:
    (topic_id,) = resources_of_type(template, "AWS::SNS::Topic")
    return {"Ref": topic_id}


def test_nag_finds_nothing(synthesized: tuple[cdk.App, dict[str, Any]]) -> None:
    app, _ = synthesized
    assert AwsSolutionsChecks().validate_scope(app).violations == []


def test_every_model_gets_four_alarms_and_the_account_three_named_by_one_scheme(
    alarms: dict[str, dict[str, Any]],
) -> None:
    assert sorted(alarms) == sorted(
        [
            "BedrockOps-anthropic.claude-3-haiku-20240307-v1-0-InvocationLatencyP99",
            "BedrockOps-anthropic.claude-3-haiku-20240307-v1-0-ContentFilteredCount",
            "BedrockOps-anthropic.claude-3-haiku-20240307-v1-0-InvocationThrottles",
            "BedrockOps-anthropic.claude-3-haiku-20240307-v1-0-InvocationServerErrors",
            "BedrockOps-amazon.titan-text-express-v1-InvocationLatencyP99",
            "BedrockOps-amazon.titan-text-express-v1-ContentFilteredCount",
            "BedrockOps-amazon.titan-text-express-v1-InvocationThrottles",
            "BedrockOps-amazon.titan-text-express-v1-InvocationServerErrors",
            "BedrockOps-InvocationLogging-CloudWatchDeliveryFailure",
            "BedrockOps-InvocationLogging-S3DeliveryFailure",
            "BedrockOps-InvocationLogging-LargeDataS3DeliveryFailure",
        ]
    )


def test_latency_alarm_watches_the_configured_percentile_of_the_models_latency(
    alarms: dict[str, dict[str, Any]],
) -> None:
    alarm = alarms["BedrockOps-amazon.titan-text-express-v1-InvocationLatencyP99"]

    assert {k: alarm[k] for k in ("Namespace", "MetricName", "Dimensions", "ExtendedStatistic", "Period")} == {
        "Namespace": "AWS/Bedrock",
        "MetricName": "InvocationLatency",
        "Dimensions": [{"Name": "ModelId", "Value": TITAN}],
        "ExtendedStatistic": "p99",
        "Period": 300,
    }
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 15000)


def test_a_models_own_latency_threshold_overrides_the_shared_one(alarms: dict[str, dict[str, Any]]) -> None:
    alarm = alarms["BedrockOps-anthropic.claude-3-haiku-20240307-v1-0-InvocationLatencyP99"]

    assert alarm["Threshold"] == 5000


def test_content_filtered_alarm_of_a_plain_model_id_watches_that_id(
    alarms: dict[str, dict[str, Any]],
) -> None:
    alarm = alarms["BedrockOps-amazon.titan-text-express-v1-ContentFilteredCount"]
    (expression,) = [m for m in alarm["Metrics"] if "Expression" in m]
    stats = [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
    values = [flatten(metric["Dimensions"][0]["Value"]) for metric in stats]

    assert expression["Expression"] == "cf0"
    assert values == [TITAN]
    assert {metric["Namespace"] for metric in stats} == {"BedrockOps"}
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 5)


@pytest.mark.parametrize(
    ("suffix", "namespace", "metric", "threshold"),
    [
        ("InvocationThrottles", "AWS/Bedrock", "InvocationThrottles", 10),
        ("InvocationServerErrors", "AWS/Bedrock", "InvocationServerErrors", 5),
    ],
)
def test_count_alarms_sum_the_models_metric_against_the_threshold(
    alarms: dict[str, dict[str, Any]], suffix: str, namespace: str, metric: str, threshold: float
) -> None:
    alarm = alarms[f"BedrockOps-amazon.titan-text-express-v1-{suffix}"]

    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (namespace, metric, "Sum")
    assert alarm["Dimensions"] == [{"Name": "ModelId", "Value": TITAN}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", threshold)


@pytest.mark.parametrize(
    ("name", "metric"),
    [
        ("CloudWatchDeliveryFailure", "ModelInvocationLogsCloudWatchDeliveryFailure"),
        ("S3DeliveryFailure", "ModelInvocationLogsS3DeliveryFailure"),
        ("LargeDataS3DeliveryFailure", "ModelInvocationLargeDataS3DeliveryFailure"),
    ],
)
def test_log_delivery_alarms_watch_the_account_wide_metric(
    alarms: dict[str, dict[str, Any]], name: str, metric: str
) -> None:
    alarm = alarms[f"BedrockOps-InvocationLogging-{name}"]

    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Bedrock", metric, "Sum")
    assert "Dimensions" not in alarm
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)


def test_every_alarm_treats_missing_data_as_not_breaching_over_two_of_three_periods(
    alarms: dict[str, dict[str, Any]],
) -> None:
    assert {(a["TreatMissingData"], a["EvaluationPeriods"], a["DatapointsToAlarm"]) for a in alarms.values()} == {
        ("notBreaching", 3, 2)
    }


def test_every_alarm_notifies_the_topic_on_alarm_and_on_ok(
    template: dict[str, Any], alarms: dict[str, dict[str, Any]]
) -> None:
    topic = _topic_ref(template)

    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [topic]
        assert alarm["OKActions"] == [topic]


def test_alarm_topic_is_encrypted_with_a_rotating_key_cloudwatch_may_use(template: dict[str, Any]) -> None:
    (topic,) = resources_of_type(template, "AWS::SNS::Topic").values()
    ((key_id, key),) = resources_of_type(template, "AWS::KMS::Key").items()

    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert [sorted(s["Action"]) for s in cloudwatch] == [["kms:Decrypt", "kms:GenerateDataKey*"]]


def test_topic_policy_lets_only_this_accounts_alarms_publish_and_requires_tls(
    template: dict[str, Any],
) -> None:
    (policy,) = resources_of_type(template, "AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]

    publish = next(s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"})
    assert publish["Action"] == "sns:Publish"
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    source_arn = flatten(publish["Condition"]["ArnLike"]["aws:SourceArn"])
    assert source_arn == "arn:TOKEN:cloudwatch:us-east-1:123456789012:alarm:*"
    deny = next(s for s in statements if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_each_configured_address_gets_an_email_subscription(template: dict[str, Any]) -> None:
    subscriptions = resources_of_type(template, "AWS::SNS::Subscription").values()

    assert sorted((s["Properties"]["Protocol"], s["Properties"]["Endpoint"]) for s in subscriptions) == [
        ("email", "oncall@example.com"),
        ("email", "ops@example.com"),
    ]


def test_overview_uses_only_search_expressions_and_names_no_model(template: dict[str, Any]) -> None:
    overview = dashboard_bodies(template)["BedrockOps-Overview"]
    body = json.dumps(overview)

    assert HAIKU not in body and TITAN not in body
    assert "SEARCH('{AWS/Bedrock,ModelId} MetricName=\\\"InvocationLatency\\\"', 'p99', 300)" in body
    assert "SEARCH('{BedrockOps,ModelId} MetricName=\\\"ContentFilteredCount\\\"', 'Sum', 300)" in body
    assert (
        "SEARCH('{AWS/Bedrock/Guardrails,GuardrailArn,GuardrailVersion} "
        "MetricName=\\\"InvocationsIntervened\\\"', 'Sum', 300)"
    ) in body


def test_model_dashboard_has_a_section_per_model_with_cost_only_where_priced(
    template: dict[str, Any],
) -> None:
    widgets = dashboard_bodies(template)["BedrockOps-Models-1"]["widgets"]
    titles = [w["properties"].get("title") for w in widgets]

    assert titles.count("Latency (ms)") == 2
    assert titles.count("Alarms") == 2
    assert titles.count("Estimated on-demand cost (USD)") == 1
    assert len(widgets) == 6 + 7


def test_cost_widget_multiplies_tokens_by_the_price_per_thousand(template: dict[str, Any]) -> None:
    widgets = dashboard_bodies(template)["BedrockOps-Models-1"]["widgets"]
    cost = next(w for w in widgets if w["properties"].get("title") == "Estimated on-demand cost (USD)")
    metrics = cost["properties"]["metrics"]

    assert metrics[0][0]["expression"] == "(tokensIn * 0.0002 + tokensOut * 0.0006) / 1000"
    assert metrics[1][:4] == ["AWS/Bedrock", "InputTokenCount", "ModelId", TITAN]
    assert metrics[2][:4] == ["AWS/Bedrock", "OutputTokenCount", "ModelId", TITAN]


def test_dashboards_split_before_reaching_the_widget_limit() -> None:
    models = [f"vendor.model-{n}-v1:0" for n in range(5)]
    _, template = _synth(
        models=models,
        model_prices={m: (0.001, 0.002) for m in models},
        max_widgets_per_dashboard=20,
        models_file=synthetic_models_file(models),
    )
    bodies = dashboard_bodies(template)

    assert sorted(bodies) == [
        "BedrockOps-Models-1",
        "BedrockOps-Models-2",
        "BedrockOps-Models-3",
        "BedrockOps-Overview",
    ]
    assert all(len(b["widgets"]) <= 20 for b in bodies.values())
    sections = [w for b in bodies.values() for w in b["widgets"] if w["properties"].get("title") == "Alarms"]
    assert len(sections) == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"models": []}, r"models must name at least one model to monitor when fleet_alarms is false, got \[\]"),
        ({"models": "amazon.nova-micro-v1:0"}, r"models must be a list of model ids, got the string"),
        ({"models": ["not a model"]}, r"models\[0\] must be a model id .* got 'not a model'"),
        ({"models": [TITAN, TITAN]}, "models contains 'amazon.titan-text-express-v1' twice"),
        ({"models": [TITAN], "alarm_emails": ["not-an-address"]}, "alarm_emails must be e-mail addresses"),
        ({"models": [TITAN], "model_prices": {TITAN: (-1.0, 0.1)}}, r"model_prices\['amazon.titan"),
        (
            {"models": [TITAN], "max_widgets_per_dashboard": 501},
            "max_widgets_per_dashboard must be 10-500, got 501",
        ),
        ({"models": [TITAN], "dashboard_name_prefix": "has space"}, "dashboard_name_prefix must be"),
    ],
)
def test_bad_props_are_rejected_with_the_value(kwargs: dict[str, Any], message: str) -> None:
    stack = cdk.Stack(cdk.App(), "S")

    with pytest.raises(ValueError, match=message):
        BedrockMonitoring(stack, "M", **{"fleet_alarms": False, **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"latency_ms": 0}, "latency_ms must be > 0, got 0"),
        (
            {"latency_statistic": "p42"},
            "latency_statistic must be one of p50, p90, p95, p99, p99.9, got 'p42'",
        ),
        ({"throttles": 0}, "throttles must be >= 1, got 0"),
        ({"evaluation_periods": 2, "datapoints_to_alarm": 3}, r"datapoints_to_alarm must be 1-2 .* got 3"),
        ({"period_minutes": 61}, "period_minutes must be 1-60, got 61"),
    ],
)
def test_bad_thresholds_are_rejected_with_the_value(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AlarmThresholds(**kwargs)


def test_reordering_models_keeps_each_alarms_logical_id() -> None:
    def latency_ids(models: list[str]) -> dict[str, str]:
        _, template = _synth(models=models)
        return {
            r["Properties"]["AlarmName"]: k
            for k, r in resources_of_type(template, "AWS::CloudWatch::Alarm").items()
            if "InvocationLatency" in r["Properties"]["AlarmName"]
        }

    assert latency_ids([HAIKU, TITAN]) == latency_ids([TITAN, HAIKU])


def test_an_existing_topic_receives_the_alarms_and_no_topic_or_key_is_created() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Monitoring", env=ENV)
    topic = cdk.aws_sns.Topic.from_topic_arn(stack, "Topic", "arn:aws:sns:us-east-1:123456789012:oncall")
    BedrockMonitoring(
        stack, "Monitoring", models=[TITAN], alarm_topic=topic, log_delivery_alarms=False, fleet_alarms=False
    )
    template = dict(Template.from_stack(stack).to_json())

    assert not resources_of_type(template, "AWS::SNS::Topic")
    assert not resources_of_type(template, "AWS::KMS::Key")
    alarms = alarms_by_name(template)
    assert len(alarms) == 4
    assert {json.dumps(a["AlarmActions"]) for a in alarms.values()} == {
        json.dumps(["arn:aws:sns:us-east-1:123456789012:oncall"])
    }


def test_without_log_delivery_alarms_the_overview_has_no_alarm_widget() -> None:
    _, template = _synth(models=[TITAN], log_delivery_alarms=False)
    overview = dashboard_bodies(template)["BedrockOps-Overview"]

    assert [w for w in overview["widgets"] if w["type"] == "alarm"] == []
    assert not [n for n in alarms_by_name(template) if "InvocationLogging" in n]
