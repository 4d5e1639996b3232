"""The GitOps pipeline stack: synthesized once per session, then nag, cfn-lint and its shape."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, cx_api
from cdk_nag import AwsSolutionsChecks

from infra.app import build_pipeline_app, cdk_json_context
from infra.config import ConfigError, load_pipeline_config
from tests.support import run_cfn_lint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def assembly(pipeline_assembly: cx_api.CloudAssembly) -> cx_api.CloudAssembly:
    """The session's pipeline assembly (tests/conftest.py; the IAM gate reads it too)."""
    return pipeline_assembly


@pytest.fixture(scope="module")
def pipeline(assembly: cx_api.CloudAssembly) -> dict[str, Any]:
    template = assembly.get_stack_by_name("bedrock-ops-pipeline").template
    (resource,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline"]
    properties: dict[str, Any] = resource["Properties"]
    return properties


def test_pipeline_and_its_stages_pass_nag(pipeline_app: App, assembly: cx_api.CloudAssembly) -> None:
    report = AwsSolutionsChecks().validate_scope(pipeline_app)
    assert [f"{v.rule_name}: {r.construct_path}" for v in report.violations for r in v.violating_resources] == []


def test_cfn_lint_reports_nothing_for_the_pipeline_and_its_stages(assembly: cx_api.CloudAssembly) -> None:
    templates = sorted(Path(assembly.directory).rglob("*.template.json"))
    assert len(templates) >= 3  # the pipeline stack and the stacks of dev and prod
    # Two findings come from what CDK Pipelines itself renders into the pipeline template, not from our code:
    # W3005, its DependsOn on the pipeline role next to a GetAtt of it, and E3703, a style preference for
    # Fn::Sub over the Fn::Join it writes for the stages' CloudFormation execution role ARNs. The stage
    # templates are linted with every check.
    stage_templates = [t for t in templates if t.parent != Path(assembly.directory)]
    pipeline_templates = sorted(set(templates) - set(stage_templates))
    for result in (run_cfn_lint(*pipeline_templates, ignore=("W3005", "E3703")), run_cfn_lint(*stage_templates)):
        assert result.returncode == 0, result.stdout + result.stderr


def test_source_is_the_configured_connection_and_branch(pipeline: dict[str, Any]) -> None:
    source = pipeline["Stages"][0]["Actions"][0]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"]["FullRepositoryId"] == "example-org/cdk-bedrock-ops"
    assert source["Configuration"]["BranchName"] == "main"
    assert source["Configuration"]["ConnectionArn"].startswith("arn:aws:codeconnections:us-east-1:111111111111:")


def test_synth_step_runs_the_tests_before_synthesizing(assembly: cx_api.CloudAssembly) -> None:
    template = assembly.get_stack_by_name("bedrock-ops-pipeline").template
    projects = [r for r in template["Resources"].values() if r["Type"] == "AWS::CodeBuild::Project"]
    synth = next(p for p in projects if "make test" in json.dumps(p["Properties"]["Source"]))
    commands = json.loads(synth["Properties"]["Source"]["BuildSpec"])["phases"]["build"]["commands"]
    assert commands == ["make test", "make synth-pipeline PIPELINE=config/pipeline.yaml"]


def test_pipeline_mutates_itself_then_deploys_dev_then_prod_after_approval(pipeline: dict[str, Any]) -> None:
    names = [stage["Name"] for stage in pipeline["Stages"]]
    assert names[:3] == ["Source", "Build", "UpdatePipeline"]
    assert names.index("dev") < names.index("prod")
    prod = next(stage for stage in pipeline["Stages"] if stage["Name"] == "prod")
    approvals = [a for a in prod["Actions"] if a["ActionTypeId"]["Category"] == "Approval"]
    assert [a["Name"] for a in approvals] == ["PromoteTo-prod"]
    assert approvals[0]["RunOrder"] < min(a["RunOrder"] for a in prod["Actions"] if a not in approvals)
    dev = next(stage for stage in pipeline["Stages"] if stage["Name"] == "dev")
    assert not [a for a in dev["Actions"] if a["ActionTypeId"]["Category"] == "Approval"]


def test_stage_stacks_deploy_to_their_configured_accounts(assembly: cx_api.CloudAssembly) -> None:
    environments = {
        stack.stack_name: stack.environment.account
        for stack in assembly.stacks_recursively
        if stack.stack_name != "bedrock-ops-pipeline"
    }
    assert {name: account for name, account in environments.items() if name.endswith("-data")} == {
        "bedrock-ops-dev-data": "111111111111",
        "bedrock-ops-prod-data": "222222222222",
    }
    assert all(
        account == environments[f"bedrock-ops-{env}-data"]
        for name, account in environments.items()
        for env in ("dev", "prod")
        if name.startswith(f"bedrock-ops-{env}-")
    )


def test_pipeline_config_errors_name_the_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "pipeline.yaml"
    bad.write_text("environment: {region: us-east-1}\nsource: {repository: nope, connection_arn: x}\nstages: []\n")
    with pytest.raises(ConfigError) as info:
        load_pipeline_config(bad)
    message = str(info.value)
    assert f"{bad}: source.repository: String should match pattern" in message
    assert f"{bad}: source.connection_arn" in message
    assert f"{bad}: stages: List should have at least 1 item" in message


def test_pipeline_stage_without_an_account_is_refused(tmp_path: Path) -> None:
    pipeline_file = tmp_path / "pipeline.yaml"
    pipeline_file.write_text(
        (ROOT / "config" / "pipeline.yaml").read_text().replace("config/dev.yaml", "config/default.yaml")
    )
    with pytest.raises(ConfigError, match=r"default\.yaml: environment\.account: a pipeline stage needs"):
        build_pipeline_app(str(pipeline_file), App(context=cdk_json_context()))


def test_environment_configs_synthesize_their_own_stage() -> None:
    from infra.app import build_app
    from infra.config import load_config

    for env in ("dev", "prod"):
        app = build_app(load_config(ROOT / "config" / f"{env}.yaml"), App(context=cdk_json_context()))
        (stack,) = [s for s in app.synth().stacks_recursively if s.stack_name == f"bedrock-ops-{env}-data"]
        assert stack.hierarchical_id == f"{env}/data"


def test_make_deploy_and_diff_wrap_the_pinned_cli_with_the_environment_config() -> None:
    def dry_run(target: str) -> str:
        result = subprocess.run(
            ["make", "-n", "-o", "setup", target, "ENV=dev"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return result.stdout

    assert "cdk deploy -c config=config/dev.yaml --require-approval broadening 'dev/*'" in dry_run("deploy")
    assert "cdk diff -c config=config/dev.yaml 'dev/*'" in dry_run("diff")
