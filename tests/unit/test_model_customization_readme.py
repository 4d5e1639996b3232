"""The README's model customization example synthesizes as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MARKER = "# README example: model customization"


def test_readme_customization_example_synthesizes() -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)
    (example,) = [block for block in blocks if block.startswith(MARKER)]
    namespace: dict[str, Any] = {}

    exec(compile(example, "README.md", "exec"), namespace)

    template = namespace["app"].synth().get_stack_by_name("Training").template
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert {"AWS::StepFunctions::StateMachine", "Custom::BedrockModelCustomization", "AWS::SNS::Subscription"} <= types


def test_readme_configuration_example_is_valid() -> None:
    import yaml

    from infra.config import parse_config

    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### Add a job in configuration", 1)[1]
    (block,) = re.findall(r"```yaml\n(.*?)```", section.split("### Or in Python", 1)[0], flags=re.S)

    config = parse_config(yaml.safe_load(block), source="README.md")

    assert [job.customization_type for job in config.customization.jobs] == ["FINE_TUNING", "DISTILLATION"]
