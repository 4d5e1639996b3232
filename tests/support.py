"""Helpers shared by the tests: stacks for construct tests, nag findings, cfn-lint, Lambda handler loading."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from aws_cdk import App, Environment, Stack
from cdk_nag import AwsSolutionsChecks

from infra.app import cdk_json_context

ACCOUNT = "123456789012"
REGION = "us-east-1"


def new_stack(name: str = "Test") -> Stack:
    """A stack in a fresh app with cdk.json's feature flags and a concrete environment."""
    app = App(context=cdk_json_context())
    return Stack(app, name, env=Environment(account=ACCOUNT, region=REGION))


def nag_findings(stack: Stack) -> list[str]:
    """The unacknowledged cdk-nag AwsSolutions findings of the stack's app, as ``rule: construct path``."""
    report = AwsSolutionsChecks().validate_scope(stack.node.root)
    return [f"{v.rule_name}: {r.construct_path}" for v in report.violations for r in v.violating_resources]


LAMBDA_DIR = Path(__file__).resolve().parent.parent / "lambda"


def load_handler(name: str) -> ModuleType:
    """Import ``lambda/<name>/index.py`` under the unique module name ``lambda_<name>_index``.

    The handler runtime is importable as ``_runtime`` the way the staged asset holds it (a top-level package
    beside ``index.py``): ``lambda/`` goes on ``sys.path``.
    """
    if str(LAMBDA_DIR) not in sys.path:
        sys.path.append(str(LAMBDA_DIR))
    module_name = f"lambda_{name}_index"
    path = LAMBDA_DIR / name / "index.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def run_cfn_lint(*templates: str | Path, ignore: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Run the project's cfn-lint (from this Python's environment, reading .cfnlintrc in the repo root) over
    ``templates``; ``ignore`` adds check ids to ignore for this run."""
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    options = ["--ignore-checks", *ignore, "--"] if ignore else []
    return subprocess.run(
        [str(cfn_lint), *options, *map(str, templates)], capture_output=True, text=True, check=False, timeout=300
    )
