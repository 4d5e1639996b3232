"""Every example app under examples/ synthesizes with its cdk-nag checks and passes cfn-lint."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def test_there_is_an_example_per_public_construct() -> None:
    names = {path.stem for path in EXAMPLES}
    assert {
        "training_data",
        "provisioned_throughput",
        "github_oidc",
        "model_customization",
        "observability",
        "datasets",
    } <= names


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_synthesizes_clean(example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The example's own `app.synth()` runs its nag plugin: a finding would raise here.
    namespace = runpy.run_path(str(example), run_name="__main__")
    assembly = namespace["app"].synth()
    templates = [str(Path(assembly.directory) / s.template_file) for s in assembly.stacks_recursively]
    assert templates
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), *templates], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (0, "")
