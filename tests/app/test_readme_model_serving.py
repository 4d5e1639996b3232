"""The README's provisioned-throughput and model-access examples run as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MARKER = "# README example:"


def _run(name: str) -> dict[str, Any]:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)
    (example,) = [b for b in blocks if b.startswith(f"{MARKER} {name}")]
    namespace: dict[str, Any] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    return namespace


def test_provisioned_throughput_example_synthesizes() -> None:
    template = _run("provisioned throughput")["app"].synth().get_stack_by_name("Serving").template
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert {"Custom::BedrockProvisionedThroughput", "AWS::CloudWatch::Alarm"} <= types
    assert any("EstimatedCost" in key for key in template["Outputs"])


def test_model_access_example_synthesizes() -> None:
    template = _run("model access")["app"].synth().get_stack_by_name("Access").template
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert types.count("Custom::BedrockModelAccess") == 2
    assert types.count("Custom::BedrockUseCaseForm") == 1
