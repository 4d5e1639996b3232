"""The README's evaluation, scoring and cost examples run as written and print what the README shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from bedrock_ops.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _command(name: str) -> list[str]:
    (line,) = [
        ln for ln in re.findall(r"^bedrock-ops .*$", README, flags=re.M) if ln.startswith(f"bedrock-ops {name} ")
    ]
    return shlex.split(line)[1:]


def _shown_after(command_line: str) -> list[str]:
    """The lines of the first plain code block after the bash block holding ``command_line``."""
    tail = README[README.index(command_line) :]
    block = re.search(r"```\n(.*?)```", tail, flags=re.S)
    assert block is not None
    return block.group(1).rstrip("\n").splitlines()


def test_model_evaluation_example_synthesizes() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    (example,) = [b for b in blocks if b.startswith("# README example: model evaluation")]
    namespace: dict[str, Any] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    template = namespace["app"].synth().get_stack_by_name("Evaluations").template
    jobs = [r for r in template["Resources"].values() if r["Type"] == "Custom::BedrockEvaluationJob"]
    assert len(jobs) == 2


def test_score_example_prints_the_table_in_the_readme(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("rouge_score", reason="install cdk-bedrock-ops[scoring]")
    pytest.importorskip("sacrebleu", reason="install cdk-bedrock-ops[scoring]")
    monkeypatch.chdir(ROOT)
    argv = _command("score")
    assert main(argv) == 0
    shown = _shown_after(shlex.join(["bedrock-ops", *argv]))
    assert capsys.readouterr().out.splitlines()[: len(shown)] == shown


def test_cost_example_prints_the_break_even_in_the_readme(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    argv = _command("cost")
    assert main(argv) == 0  # synthesizes the default app from config/default.yaml
    out = capsys.readouterr().out
    for line in _shown_after(shlex.join(["bedrock-ops", *argv])):
        assert line in out
    assert "kms keys: KMS customer managed keys" in out
