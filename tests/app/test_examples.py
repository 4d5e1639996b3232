"""Every example app under examples/ synthesizes with its cdk-nag checks and passes cfn-lint."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import cx_api

from tests.conftest import EXAMPLES
from tests.support import run_cfn_lint


def test_there_is_an_example_per_public_construct() -> None:
    names = {path.stem for path in EXAMPLES}
    assert {
        "training_data",
        "provisioned_throughput",
        "github_oidc",
        "model_customization",
        "observability",
        "datasets",
        "reinforcement_fine_tuning",
    } <= names


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_synthesizes_clean(example: Path, example_assemblies: dict[str, cx_api.CloudAssembly]) -> None:
    # The example's own `app.synth()` runs its nag plugin: a finding would have raised in the fixture.
    assembly = example_assemblies[example.stem]
    templates = [str(Path(assembly.directory) / s.template_file) for s in assembly.stacks_recursively]
    assert templates
    result = run_cfn_lint(*templates)
    assert (result.returncode, result.stdout) == (0, "")
