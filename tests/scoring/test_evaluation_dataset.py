"""bedrock_ops.evaluation.dataset checks the prompt format {prompt, referenceResponse?, category?}.

The rules are the validator core's (tests/datasets/test_evaluation_prompts.py tests each); these tests
check the evaluation report built on top of it. Messages are the core's wording.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bedrock_ops.evaluation.dataset import validate_prompt_dataset


def _write(tmp_path: Path, rows: list[Any]) -> Path:
    f = tmp_path / "prompts.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return f


def test_valid_dataset_passes_with_counts(tmp_path: Path) -> None:
    rows = [
        {"prompt": "What is 2+2?", "referenceResponse": "4", "category": "math"},
        {"prompt": "Summarize: the cat sat.", "category": "summary"},
    ]
    report = validate_prompt_dataset(_write(tmp_path, rows))
    assert report.valid
    assert (report.records, report.with_reference, report.categories) == (2, 1, {"math": 1, "summary": 1})


def test_missing_prompt_is_an_error_naming_line_and_field(tmp_path: Path) -> None:
    report = validate_prompt_dataset(_write(tmp_path, [{"prompt": "ok"}, {"referenceResponse": "x"}]))
    assert [str(e) for e in report.errors] == ["line 2 (prompt): required field is missing"]


def test_reference_can_be_required(tmp_path: Path) -> None:
    report = validate_prompt_dataset(_write(tmp_path, [{"prompt": "p"}]), require_reference=True)
    assert report.errors[0].field == "referenceResponse"


def test_non_string_reference_is_an_error(tmp_path: Path) -> None:
    report = validate_prompt_dataset(_write(tmp_path, [{"prompt": "p", "referenceResponse": 4}]))
    assert str(report.errors[0]) == "line 1 (referenceResponse): must be a string, got number"


def test_model_responses_need_a_source_name(tmp_path: Path) -> None:
    rows = [{"prompt": "p", "modelResponses": [{"response": "r"}]}]
    report = validate_prompt_dataset(_write(tmp_path, rows))
    assert report.errors[0].field == "modelResponses[0].modelIdentifier"


def test_unknown_key_is_a_warning_not_an_error(tmp_path: Path) -> None:
    report = validate_prompt_dataset(_write(tmp_path, [{"prompt": "p", "completion": "c"}]))
    assert report.valid
    assert report.warnings[0].field == "completion"


def test_bad_utf8_empty_line_and_bad_json_are_all_reported(tmp_path: Path) -> None:
    f = tmp_path / "prompts.jsonl"
    f.write_bytes(b'{"prompt": "ok"}\n\n{"prompt": "caf\xe9"}\n{"prompt": \n')
    report = validate_prompt_dataset(f)
    assert [(e.line, e.message.split(" ")[:2]) for e in report.errors] == [
        (2, ["blank", "line:"]),
        (3, ["invalid", "UTF-8"]),
        (4, ["not", "valid"]),
    ]


def test_more_prompts_than_a_job_reads_is_an_error(tmp_path: Path) -> None:
    report = validate_prompt_dataset(_write(tmp_path, [{"prompt": "p"}] * 3), max_prompts=2)
    assert report.errors[-1].message == "3 prompts; a job reads at most 2 per dataset"


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "prompts.jsonl"
    f.write_text("", encoding="utf-8")
    assert not validate_prompt_dataset(f).valid
