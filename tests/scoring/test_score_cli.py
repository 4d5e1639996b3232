"""`bedrock-ops score` prints a table or JSON and exits 2 with a clear message on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bedrock_ops.cli import main

pytest.importorskip("rouge_score", reason="install cdk-bedrock-ops[scoring]")
pytest.importorskip("sacrebleu", reason="install cdk-bedrock-ops[scoring]")


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    refs = tmp_path / "refs.jsonl"
    refs.write_text('{"referenceResponse": "the cat sat"}\n{"referenceResponse": "a dog ran"}\n', encoding="utf-8")
    cands = tmp_path / "cands.jsonl"
    cands.write_text('{"response": "the cat sat"}\n{"response": "a cat ran"}\n', encoding="utf-8")
    return refs, cands


def test_table_has_a_row_per_record_and_a_corpus_row(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["score", "--references", str(files[0]), "--candidates", str(files[1])]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["record", "rouge1", "rouge2", "rougeL", "bleu"]
    assert lines[2].split()[:2] == ["1", "1.0000"]
    assert any(line.startswith("corpus") for line in lines)


def test_json_output_holds_corpus_and_records(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "score",
        "--references",
        str(files[0]),
        "--candidates",
        str(files[1]),
        "--metrics",
        "rouge1",
        "--json",
    ]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["metrics"] == ["rouge1"]
    assert data["records"][0]["rouge1"] == pytest.approx(1.0)
    assert data["corpus"]["rouge1"] == pytest.approx((1.0 + 2 / 3) / 2)


def test_bad_input_exits_2_with_file_and_line(
    tmp_path: Path, files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'"x"\n"\xff"\n')
    assert main(["score", "--references", str(files[0]), "--candidates", str(bad)]) == 2
    assert f"{bad}:2: not valid UTF-8" in capsys.readouterr().err
