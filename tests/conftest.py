"""Shared fixtures. The default app is synthesized once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_NODE = ROOT / "node_modules" / ".bin" / "node"
# jsii must run on the pinned Node 22 (Node 20 is end-of-life and prints a banner); set before aws_cdk loads.
if "JSII_NODE" not in os.environ and _NODE.exists():
    os.environ["JSII_NODE"] = str(_NODE)

from aws_cdk import App, cx_api  # noqa: E402

from infra.app import build_app, new_app  # noqa: E402
from infra.config import load_config  # noqa: E402


@pytest.fixture(scope="session")
def default_app(tmp_path_factory: pytest.TempPathFactory) -> App:
    """The default app built from ``config/default.yaml`` (not yet synthesized)."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    return build_app(load_config(), new_app(str(outdir)))


@pytest.fixture(scope="session")
def default_assembly(default_app: App) -> cx_api.CloudAssembly:
    """The default app's cloud assembly, synthesized once (nag runs as a validation plugin)."""
    return default_app.synth()


@pytest.fixture(scope="session")
def default_templates(default_assembly: cx_api.CloudAssembly) -> list[Path]:
    """Paths of every CloudFormation template of the default app (nested assemblies included)."""
    return sorted(Path(default_assembly.directory).rglob("*.template.json"))
