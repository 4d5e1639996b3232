"""Shared fixtures. The default app, the examples, the pipeline and the all-features configuration are each
synthesized once per test session."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_NODE = ROOT / "node_modules" / ".bin" / "node"
# jsii must run on the pinned Node 22 (Node 20 is end-of-life and prints a banner); set before aws_cdk loads.
if "JSII_NODE" not in os.environ and _NODE.exists():
    os.environ["JSII_NODE"] = str(_NODE)

from aws_cdk import App, cx_api  # noqa: E402

from infra.app import build_app, build_pipeline_app, new_app  # noqa: E402
from infra.config import load_config  # noqa: E402

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
#: Every optional feature switched on (tests/gates/all_features.yaml), for the IAM gate.
ALL_FEATURES_CONFIG = ROOT / "tests" / "gates" / "all_features.yaml"


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


@pytest.fixture(scope="session")
def example_assemblies() -> dict[str, cx_api.CloudAssembly]:
    """The cloud assembly of every example app under examples/, by file stem. Each example's own
    ``app.synth()`` runs its cdk-nag plugin: a finding raises here."""
    assemblies: dict[str, cx_api.CloudAssembly] = {}
    for example in EXAMPLES:
        namespace = runpy.run_path(str(example), run_name="__main__")
        assemblies[example.stem] = namespace["app"].synth()
    return assemblies


@pytest.fixture(scope="session")
def pipeline_app(tmp_path_factory: pytest.TempPathFactory) -> App:
    """The GitOps pipeline app of ``config/pipeline.yaml`` (not yet synthesized)."""
    outdir = tmp_path_factory.mktemp("pipeline.out")
    return build_pipeline_app("config/pipeline.yaml", new_app(str(outdir)))


@pytest.fixture(scope="session")
def pipeline_assembly(pipeline_app: App) -> cx_api.CloudAssembly:
    """The pipeline's cloud assembly (the pipeline stack and its stages), synthesized once."""
    return pipeline_app.synth()


@pytest.fixture(scope="session")
def all_features_assembly(tmp_path_factory: pytest.TempPathFactory) -> cx_api.CloudAssembly:
    """The app of ``tests/gates/all_features.yaml`` (every optional feature on), synthesized once."""
    outdir = tmp_path_factory.mktemp("all-features.out")
    return build_app(load_config(ALL_FEATURES_CONFIG), new_app(str(outdir))).synth()
