"""Batch inference input records: the rules, and the files ``bedrock-ops compare --batch`` writes pass them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bedrock_ops.batch.requests import BatchFormat, InferenceSettings, batch_records, native_format_of, write_batch_file
from bedrock_ops.data.batch_records import validate_batch_file, validate_batch_lines

SETTINGS = InferenceSettings(system="Be brief.", max_tokens=64)


@pytest.mark.parametrize(
    "model",
    [
        "anthropic.claude-3-haiku-20240307-v1:0",
        "amazon.nova-micro-v1:0",
        "amazon.titan-text-express-v1",
        "meta.llama3-1-8b-instruct-v1:0",
        "mistral.mistral-large-2402-v1:0",
    ],
)
def test_generated_native_records_pass_their_format(model: str, tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    write_batch_file(path, batch_records(model, ["one", "two"], SETTINGS, BatchFormat.NATIVE))
    report = validate_batch_file(path, body_format=native_format_of(model))
    assert (report.valid, report.records, report.warnings) == (True, 2, [])


def test_generated_converse_records_pass(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    write_batch_file(path, batch_records("cohere.command-r-v1:0", ["one"], SETTINGS, BatchFormat.CONVERSE))
    assert validate_batch_file(path, body_format="converse").valid


def test_bad_records_are_reported_with_line_and_field() -> None:
    lines = [
        json.dumps({"recordId": "A1", "modelInput": {"inputText": "x"}}),
        json.dumps({"recordId": "A1", "modelInput": {"inputText": "y"}}),
        json.dumps({"recordId": "bad id!", "modelInput": {"inputText": "z"}}),
        json.dumps({"recordId": "A4"}),
        json.dumps({"recordId": "A5", "modelInput": {"textGenerationConfig": {}}}),
        "",
        "{not json",
        json.dumps(["a list"]),
    ]
    report = validate_batch_lines(lines, body_format="titan-text")
    found = [(i.line, i.field) for i in report.errors]
    assert found == [
        (2, "recordId"),
        (3, "recordId"),
        (4, "modelInput"),
        (5, "modelInput"),
        (6, None),
        (7, None),
        (8, None),
    ]
    assert "repeats the id of line 1" in str(report.errors[0])
    assert "missing inputText" in str(report.errors[3])


def test_missing_record_id_and_unknown_keys_are_warnings() -> None:
    report = validate_batch_lines([json.dumps({"modelInput": {"messages": [{"role": "user"}]}, "note": 1})])
    assert report.valid
    assert {(w.field) for w in report.warnings} == {"recordId", "note"}


def test_file_level_rules(tmp_path: Path) -> None:
    empty = tmp_path / "records.json"
    empty.write_text("", encoding="utf-8")
    messages = [str(i) for i in validate_batch_file(empty).errors]
    assert messages == ["file: the file name must end in .jsonl, got 'records.json'", "file: no records"]
    few = tmp_path / "few.jsonl"
    few.write_text(json.dumps({"recordId": "A", "modelInput": {"prompt": "x"}}) + "\n", encoding="utf-8")
    report = validate_batch_file(few, body_format="llama3-prompt", min_records=100)
    assert report.valid and "fewer than the minimum records per batch job (100)" in str(report.warnings[0])


def test_unknown_body_format_is_rejected() -> None:
    with pytest.raises(ValueError, match="body_format must be one of"):
        validate_batch_lines([], body_format="gpt")
