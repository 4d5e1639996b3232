"""100 monitored models (per-model alarms) and a fleet of 1,000 models and profiles (fleet alarms) in one stack
stay within CloudFormation's and CloudWatch's limits.

The monitoring alone is synthesized here to keep the test fast; ``bench/monitoring_scale.py`` records the
figures with InvocationLogging in the same stack (about 23 more resources and 21 kB), and the limits below
keep that margin.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

from bench.monitoring_scale import (
    MAX_FLEET_RESOURCES,
    MAX_RESOURCES,
    MAX_TEMPLATE_BYTES,
    MAX_WIDGETS,
    Measurement,
    lint,
    measure,
    nag,
)


@pytest.fixture(scope="module")
def hundred() -> tuple[Measurement, cdk.App, str]:
    return measure(100, with_invocation_logging=False)


@pytest.fixture(scope="module")
def one() -> Measurement:
    return measure(1, with_invocation_logging=False)[0]


def test_hundred_models_stay_under_the_resource_limit(hundred: tuple[Measurement, Any, str]) -> None:
    assert hundred[0].resources <= MAX_RESOURCES - 50


def test_hundred_models_stay_under_the_template_size_limit(hundred: tuple[Measurement, Any, str]) -> None:
    assert hundred[0].template_bytes <= MAX_TEMPLATE_BYTES - 100_000


def test_no_dashboard_reaches_the_widget_limit(hundred: tuple[Measurement, Any, str]) -> None:
    assert hundred[0].max_widgets_per_dashboard <= MAX_WIDGETS
    assert hundred[0].dashboards == 3  # the overview and two model dashboards (71 + 29 models)


def test_each_extra_model_adds_at_most_five_resources(hundred: tuple[Measurement, Any, str], one: Measurement) -> None:
    assert (hundred[0].resources - one.resources) / 99 <= 5


def test_hundred_model_template_passes_cfn_lint(hundred: tuple[Measurement, Any, str]) -> None:
    assert lint(hundred[2]) == []


def test_hundred_model_app_passes_nag(hundred: tuple[Measurement, cdk.App, str]) -> None:
    assert nag(hundred[1]) == []


@pytest.fixture(scope="module")
def fleet_thousand() -> tuple[Measurement, cdk.App, str]:
    return measure(1000, fleet=True, with_invocation_logging=False)


@pytest.fixture(scope="module")
def fleet_ten() -> Measurement:
    return measure(10, fleet=True, with_invocation_logging=False)[0]


def test_fleet_monitoring_resources_do_not_grow_with_the_fleet_except_application_dashboards(
    fleet_thousand: tuple[Measurement, Any, str], fleet_ten: Measurement
) -> None:
    big = fleet_thousand[0]

    assert big.monitoring_resources <= MAX_FLEET_RESOURCES
    assert big.monitoring_resources - big.dashboards == fleet_ten.monitoring_resources - fleet_ten.dashboards
    assert (big.alarms, big.metrics_insights_alarms) == (fleet_ten.alarms, fleet_ten.metrics_insights_alarms) == (9, 6)


def test_a_fleet_of_a_thousand_models_and_profiles_fits_one_stack(fleet_thousand: tuple[Measurement, Any, str]) -> None:
    big = fleet_thousand[0]

    assert big.resources <= MAX_RESOURCES and big.template_bytes <= MAX_TEMPLATE_BYTES
    assert big.max_widgets_per_dashboard <= MAX_WIDGETS


def test_fleet_template_passes_cfn_lint_and_nag(fleet_thousand: tuple[Measurement, cdk.App, str]) -> None:
    assert lint(fleet_thousand[2]) == []
    assert nag(fleet_thousand[1]) == []


def test_fleet_alarm_cost_counts_one_analyzed_metric_per_model_and_profile(
    fleet_thousand: tuple[Measurement, Any, str], fleet_ten: Measurement
) -> None:
    # 6 Metrics Insights alarms x 2 series per fleet member x 0.10 + 3 standard alarms x 0.10 + dashboards x 3.
    assert fleet_ten.monthly_cost_usd == round(6 * 20 * 0.10 + 3 * 0.10 + fleet_ten.dashboards * 3.00, 2)
    assert fleet_thousand[0].monthly_cost_usd > fleet_ten.monthly_cost_usd
