"""The whole default app: synthesized once per session, then nag, cfn-lint and structure checks."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import App, cx_api
from cdk_nag import AwsSolutionsChecks

from infra.summary import summarize
from tests.support import run_cfn_lint


def test_default_app_has_no_unacknowledged_nag_findings(
    default_app: App, default_assembly: cx_api.CloudAssembly
) -> None:
    report = AwsSolutionsChecks().validate_scope(default_app)
    findings = [f"{v.rule_name}: {r.construct_path}" for v in report.violations for r in v.violating_resources]
    assert findings == []


def test_every_acknowledgment_gives_a_specific_reason(default_assembly: cx_api.CloudAssembly) -> None:
    reasons: dict[str, str] = {}
    for metadata_file in Path(default_assembly.directory).rglob("*.metadata.json"):
        for path, entries in json.loads(metadata_file.read_text()).items():
            for entry in entries:
                if entry["type"] == "aws:cdk:acknowledged-rules":
                    reasons.update({f"{path} {rule}": reason for rule, reason in entry["data"].items()})
    assert reasons, "the default app acknowledges findings; none were recorded"
    for where, reason in reasons.items():
        assert len(reason) >= 40, f"{where}: reason too short: {reason!r}"


def test_cfn_lint_reports_nothing(default_templates: list[Path]) -> None:
    assert default_templates
    result = run_cfn_lint(*default_templates)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_nag_gate_fails_synthesis_on_an_unacknowledged_finding() -> None:
    # Guards the gate itself: a plain bucket (no TLS policy, no access logs) in a stage, as the app lays its
    # stacks out, must stop the synthesis.
    from aws_cdk import Stack, Stage, Validations
    from aws_cdk import aws_s3 as s3

    app = App()
    s3.Bucket(Stack(Stage(app, "dev"), "Insecure"), "Bucket")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    try:
        app.synth()
    except RuntimeError as exc:
        assert "ValidationFailed" in str(exc) and "AwsSolutions-S10" in str(exc)
    else:
        raise AssertionError("synthesis passed with an unacknowledged cdk-nag finding")


def test_templates_stay_within_cloudformation_limits(default_templates: list[Path]) -> None:
    for template_file in default_templates:
        template = json.loads(template_file.read_text())
        assert len(template["Resources"]) <= 500, template_file.name
        assert template_file.stat().st_size <= 1_000_000, template_file.name


def test_summary_lists_each_stack_with_its_nag_status(default_assembly: cx_api.CloudAssembly) -> None:
    text = summarize(Path(default_assembly.directory))
    assert "default/data:" in text
    assert "cdk-nag AwsSolutions: 0 unacknowledged findings" in text
    assert "estimated monthly cost: " in text


def test_lambda_assets_stay_under_50_kb(default_assembly: cx_api.CloudAssembly) -> None:
    for asset_dir in Path(default_assembly.directory).glob("asset.*"):
        if asset_dir.is_dir():
            size = sum(f.stat().st_size for f in asset_dir.rglob("*") if f.is_file())
            assert size < 50_000, f"{asset_dir.name}: {size} bytes"
