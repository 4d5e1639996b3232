"""The README's observability example runs as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MARKER = "# README example: observability"


def test_observability_example_synthesizes() -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)
    (example,) = [b for b in blocks if b.startswith(MARKER)]
    namespace: dict[str, Any] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    template = namespace["app"].synth().get_stack_by_name("Observability").template
    types = [resource["Type"] for resource in template["Resources"].values()]
    # 5 fleet alarms, 2 quota alarms (the 400,000 group and the default), Nova Micro's own 4, 3 log delivery.
    assert types.count("AWS::CloudWatch::Alarm") == 5 + 2 + 4 + 3
    assert types.count("AWS::Bedrock::ApplicationInferenceProfile") == 1
    assert "Custom::BedrockInvocationLogging" in types
