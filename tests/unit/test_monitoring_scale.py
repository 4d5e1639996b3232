"""100 monitored models in one stack stay within CloudFormation's and CloudWatch's limits (one synth).

The monitoring alone is synthesized here to keep the test fast; ``bench/monitoring_scale.py`` records the
figures with InvocationLogging in the same stack (about 23 more resources and 21 kB), and the limits below
keep that margin.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

from bench.monitoring_scale import (
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
