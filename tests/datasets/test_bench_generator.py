"""The benchmark's file generator writes what the benchmark claims to measure."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from bedrock_ops.data.validation import validate_file

BENCH = Path(__file__).resolve().parents[2] / "bench" / "validator_bench.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_validator_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_file_is_valid_multi_turn_claude_of_the_requested_size(tmp_path: Path) -> None:
    bench = _load()
    path = tmp_path / "gen.jsonl"
    written = bench.generate(path, 300_000)
    assert written == path.stat().st_size
    assert 290_000 <= written <= 300_000
    report = validate_file(path, base_model=bench.MODEL, split="validation")
    assert report.valid, report.format_text()
    assert report.token_min is not None and report.token_min > 50  # several exchanges per record
