"""The per-resource synth benchmark's baseline app builds what bench/synth_per_resource.py assumes."""

from __future__ import annotations

from aws_cdk import App
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from bench import plain_app, synth_per_resource
from infra.app import cdk_json_context


def test_plain_app_cycle_has_the_resource_count_the_benchmark_divides_by() -> None:
    app = App(context=cdk_json_context(), builtin_cloud_formation_validation=False)
    stack = plain_app.build(2, app)
    resources = Template.from_stack(stack).to_json()["Resources"]
    assert len(resources) == 2 * synth_per_resource.RESOURCES_PER_CYCLE


def test_plain_app_is_nag_clean_like_the_default_app() -> None:
    app = App(context=cdk_json_context(), builtin_cloud_formation_validation=False)
    plain_app.build(1, app)
    assert AwsSolutionsChecks().validate_scope(app).violations == []
