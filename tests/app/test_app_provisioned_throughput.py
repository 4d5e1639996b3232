"""The app with a committed provisioned throughput switched on: cost guard, retain policy, summary, gates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, cx_api
from cdk_nag import AwsSolutionsChecks

from infra.app import build_app, cdk_json_context, new_app
from infra.config import parse_config
from infra.summary import summarize
from tests.support import run_cfn_lint

COMMITTED: dict[str, Any] = {
    "environment": {"account": "123456789012", "region": "us-east-1"},
    "provisioned_throughput": {
        "enabled": True,
        "model_id": "amazon.titan-text-express-v1:0:8k",
        "model_units": 1,
        "commitment": "SixMonths",
        "acknowledge_commitment_cost": True,
    },
}


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> tuple[App, cx_api.CloudAssembly]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = build_app(parse_config(COMMITTED), new_app(str(outdir)))
    return app, app.synth()


def _template(assembly: cx_api.CloudAssembly) -> dict[str, Any]:
    (stack,) = [s for s in assembly.stacks_recursively if s.stack_name == "bedrock-ops-default-models"]
    template: dict[str, Any] = stack.template
    return template


def test_acknowledged_committed_throughput_is_retained(committed: tuple[App, cx_api.CloudAssembly]) -> None:
    resources = _template(committed[1])["Resources"]
    (pt,) = [r for r in resources.values() if r["Type"] == "Custom::BedrockProvisionedThroughput"]
    assert pt["Properties"]["CommitmentDuration"] == "SixMonths"
    assert pt["DeletionPolicy"] == "Retain"
    assert pt["UpdateReplacePolicy"] == "Retain"


def test_summary_shows_the_estimated_cost(committed: tuple[App, cx_api.CloudAssembly]) -> None:
    text = summarize(Path(committed[1].directory))
    assert "default/models:" in text
    assert "estimated cost (" in text
    assert "/hour, USD" in text


def test_summary_dates_each_price_it_uses_and_flags_old_ones(committed: tuple[App, cx_api.CloudAssembly]) -> None:
    text = summarize(Path(committed[1].directory))
    assert "rate as of 2024-03-13 (https://aws.amazon.com/bedrock/pricing/); older than 365 days" in text
    assert "  price: amazon.titan-text-express-v1 provisioned prices as of 2024-03-13" in text


def test_models_stack_passes_nag(committed: tuple[App, cx_api.CloudAssembly]) -> None:
    report = AwsSolutionsChecks().validate_scope(committed[0])
    assert [v.rule_name for v in report.violations] == []


def test_models_stack_passes_cfn_lint(committed: tuple[App, cx_api.CloudAssembly]) -> None:
    (template,) = Path(committed[1].directory).rglob("*models*.template.json")
    result = run_cfn_lint(template)
    assert (result.returncode, result.stdout) == (0, "")


def test_committed_throughput_without_acknowledgment_fails_the_app_with_the_cost() -> None:
    raw = json.loads(json.dumps(COMMITTED))
    raw["provisioned_throughput"]["acknowledge_commitment_cost"] = False
    with pytest.raises(ValueError) as excinfo:
        build_app(parse_config(raw), App(context=cdk_json_context()))
    message = str(excinfo.value)
    assert "for the 6-month term" in message
    assert "provisioned_throughput.acknowledge_commitment_cost" in message
