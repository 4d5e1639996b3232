"""Streaming behaviour of the validator core: chunking, memory bounds, progress."""

from __future__ import annotations

import json

import pytest

from bedrock_ops.data._totals import check_totals
from bedrock_ops.data.validation import DatasetSplit, validate_stream
from bedrock_ops.models import CustomizationType, ModelKnowledgeBase

from .conftest import HAIKU, LLAMA31, TITAN, claude, instruction

_BODY = (
    json.dumps(instruction()).encode()
    + b"\r\n"
    + json.dumps(instruction("caf@", "x")).encode().replace(b"@", b"\xc3\x28")
    + b"\n\n"
    + json.dumps({"prompt": "only"}).encode()
    + b"\n"
    + json.dumps(instruction("\u00e9t\u00e9", "\u2603")).encode()
)


def _run(chunks: list[bytes], models: ModelKnowledgeBase) -> list[tuple[int | None, str | None, str]]:
    report = validate_stream(chunks, spec=models.resolve(TITAN), split=DatasetSplit.VALIDATION)
    return [(e.line, e.field, e.message) for e in report.errors]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_chunk_boundaries_do_not_change_the_report(models: ModelKnowledgeBase, size: int) -> None:
    whole = _run([_BODY], models)
    chunked = _run([_BODY[i : i + size] for i in range(0, len(_BODY), size)], models)
    assert chunked == whole
    assert [line for line, _, _ in whole] == [2, 3, 4]


def test_progress_receives_every_byte(models: ModelKnowledgeBase) -> None:
    seen: list[int] = []
    chunks = [_BODY[i : i + 10] for i in range(0, len(_BODY), 10)]
    validate_stream(chunks, spec=models.resolve(TITAN), progress=seen.append)
    assert sum(seen) == len(_BODY)


def test_oversized_line_spanning_many_chunks_is_skipped(models: ModelKnowledgeBase) -> None:
    big = b'{"prompt": "' + b"y" * 10_000 + b'", "completion": "z"}\n'
    body = big + json.dumps(instruction()).encode() + b"\n" + big
    chunks = [body[i : i + 100] for i in range(0, len(body), 100)]
    report = validate_stream(chunks, spec=models.resolve(TITAN), max_line_bytes=500)
    assert [e.line for e in report.errors] == [1, 3]
    assert report.records == 3


def test_llama_total_below_the_minimum_is_reported(models: ModelKnowledgeBase) -> None:
    problems = check_totals(models.resolve(LLAMA31), CustomizationType.FINE_TUNING, 80, 10)
    assert problems == [f"90 training and validation records; {LLAMA31} needs at least 100 in total"]


def test_llama_total_within_quota_has_no_problem(models: ModelKnowledgeBase) -> None:
    assert check_totals(models.resolve(LLAMA31), CustomizationType.FINE_TUNING, 90, 10) == []


def test_haiku_total_above_the_maximum_is_reported(models: ModelKnowledgeBase) -> None:
    problems = check_totals(models.resolve(HAIKU), CustomizationType.FINE_TUNING, 9500, 1000)
    assert problems and "at most 10000 in total" in problems[0]


def test_format_is_detected_from_the_first_record_when_the_model_accepts_several(
    models: ModelKnowledgeBase,
) -> None:
    spec = models.resolve(HAIKU)
    report = validate_stream([json.dumps(claude(1)).encode()], spec=spec, split=DatasetSplit.VALIDATION)
    assert report.dataset_format is not None
    assert report.valid
