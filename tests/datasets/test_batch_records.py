"""Batch inference input records in the validator core (``DatasetFormat.BATCH_RECORDS``): the rules one per test,
the quotas from the knowledge base, and the files ``bedrock-ops compare --batch`` writes pass them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bedrock_ops.batch.requests import BatchFormat, InferenceSettings, batch_records, native_format_of, write_batch_file
from bedrock_ops.data.validation import ValidationReport, validate_file, validate_stream
from bedrock_ops.models import DatasetFormat, load_models
from bedrock_ops.models.facts import BatchLimits, detect_format
from bedrock_ops.models.queries import batch_limits

SETTINGS = InferenceSettings(system="Be brief.", max_tokens=64)
BATCH = DatasetFormat.BATCH_RECORDS


def validate_batch_file(path: Path, **options: Any) -> ValidationReport:
    return validate_file(path, dataset_format=BATCH, **options)


def validate_batch_lines(lines: list[str], **options: Any) -> ValidationReport:
    data = "".join(line + "\n" for line in lines).encode()
    return validate_stream([data], dataset_format=BATCH, source="input.jsonl", **options)


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
    assert "repeats the id of line 1" in report.errors[0].message
    assert "missing inputText" in report.errors[3].message


def test_missing_record_id_and_unknown_keys_are_warnings() -> None:
    report = validate_batch_lines([json.dumps({"modelInput": {"messages": [{"role": "user"}]}, "note": 1})])
    assert report.valid
    assert {(w.field) for w in report.warnings} == {"recordId", "note"}


def test_a_file_name_without_jsonl_and_an_empty_file_are_errors(tmp_path: Path) -> None:
    empty = tmp_path / "records.json"
    empty.write_text("", encoding="utf-8")
    messages = [i.message for i in validate_batch_file(empty).errors]
    assert messages == ["file is empty", "the file name must end in .jsonl, got 'records.json'"]


def test_fewer_records_than_the_job_minimum_is_a_warning(tmp_path: Path) -> None:
    few = tmp_path / "few.jsonl"
    few.write_text(json.dumps({"recordId": "A", "modelInput": {"prompt": "x"}}) + "\n", encoding="utf-8")
    report = validate_batch_file(few, body_format="llama3-prompt", batch_limits=BatchLimits(min_records=100))
    assert report.valid and "a job needs at least 100 across its files" in report.warnings[0].message


def test_more_records_or_bytes_than_one_file_may_hold_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"recordId": f"R{i}", "modelInput": {"prompt": "x"}}) + "\n" for i in range(3)))
    report = validate_batch_file(path, batch_limits=BatchLimits(max_file_records=2, max_file_bytes=10))
    assert [e.message for e in report.errors] == [
        "3 records in the file; the quota per input file is 2",
        f"{path.stat().st_size} bytes in the file; the quota per input file is 10",
    ]


def test_the_quotas_come_from_the_knowledge_base_and_a_models_file(tmp_path: Path) -> None:
    haiku = "anthropic.claude-3-haiku-20240307-v1:0"
    assert batch_limits(load_models(), haiku) == BatchLimits()  # unconfirmed: not checked by default
    models_file = tmp_path / "models.json"
    models_file.write_text(
        json.dumps(
            {
                "batch_inference": {"quotas": {"min_records": 100}},
                "models": {haiku: {"batch_inference": {"max_file_records": 50000}}},
            }
        )
    )
    assert batch_limits(load_models(models_file), haiku) == BatchLimits(min_records=100, max_file_records=50000)
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"recordId": "A", "modelInput": {"messages": []}}) + "\n")
    report = validate_file(path, base_model=haiku, dataset_format=BATCH, models=load_models(models_file))
    assert report.base_model == haiku and "at least 100" in report.warnings[0].message


def test_format_detection_recognises_batch_records() -> None:
    assert detect_format({"recordId": "A", "modelInput": {}}) is BATCH
