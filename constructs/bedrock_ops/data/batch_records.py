"""Rules of batch inference input records ``{"recordId", "modelInput"}`` (JSONL), standard library only.

From the Bedrock user guide, "Format and upload your batch inference data" (UG batch-inference-data,
https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-data.html, as of 2026-11):

- one JSON object per line, the file name ends in ``.jsonl``;
- ``recordId``: an alphanumeric string; optional (Bedrock adds one), but the output order is not guaranteed
  to match the input's, so a missing id is a warning here; ids must be unique to be matched back;
- ``modelInput``: the request body: the model's ``InvokeModel`` body (``modelInvocationType=InvokeModel``, the
  default) or the Converse request body (``Converse``). What a body needs is checked per format below (the
  keys the model parameter pages mark required), not its full schema.

Hook into the validator core (``bedrock_ops.data.validation``): feed each decoded line's object to
``check_record(obj, line, ...)`` from a ``_batch`` checker (``DatasetFormat.BATCH_RECORDS``), and call
``finish()`` for the file-level errors (no records, duplicate ids); the issues already carry ``line``,
``field`` and ``message`` as ``ValidationIssue`` does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BatchRecordIssue", "BatchRecordReport", "BatchRecordValidator", "validate_batch_file"]

_RECORD_ID = re.compile(r"^[A-Za-z0-9]+$")
_MAX_RECORD_ID = 64
"""Longest recordId accepted here (the user guide gives no limit; ids are only matched back)."""

# Required top-level keys of modelInput per body format (UG model-parameters-* pages and the Converse API).
REQUIRED_KEYS: Mapping[str, tuple[str, ...]] = {
    "anthropic-messages": ("anthropic_version", "max_tokens", "messages"),
    "nova-messages-v1": ("messages",),
    "titan-text": ("inputText",),
    "llama3-prompt": ("prompt",),
    "mistral-prompt": ("prompt",),
    "converse": ("messages",),
}


@dataclass(frozen=True)
class BatchRecordIssue:
    """One problem: ``line`` (1-based, None for the file), ``field`` and message."""

    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{where}{f' ({self.field})' if self.field else ''}: {self.message}"


@dataclass
class BatchRecordReport:
    """Counts and issues of one file."""

    records: int = 0
    errors: list[BatchRecordIssue] = field(default_factory=list)
    warnings: list[BatchRecordIssue] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True without errors."""
        return not self.errors


class BatchRecordValidator:
    """Checks records one at a time (streaming) and the file at the end.

    :param body_format: a key of ``REQUIRED_KEYS`` (the model's native body, or ``converse``), or None to check
        only that ``modelInput`` is a non-empty object.
    :param min_records: warn below this many records (the account's minimum records per job quota).
    """

    def __init__(self, *, body_format: str | None = None, min_records: int = 0) -> None:
        if body_format is not None and body_format not in REQUIRED_KEYS:
            raise ValueError(f"body_format must be one of {', '.join(REQUIRED_KEYS)} or None, got {body_format!r}")
        self.body_format = body_format
        self.min_records = min_records
        self.report = BatchRecordReport()
        self._seen: dict[str, int] = {}

    def _error(self, line: int | None, fld: str | None, message: str) -> None:
        self.report.errors.append(BatchRecordIssue(line, fld, message))

    def check_line(self, text: str, line: int) -> None:
        """Parse and check one JSONL line."""
        if not text.strip():
            self._error(line, None, "blank line (JSONL allows none)")
            return
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            self._error(line, None, f"not valid JSON: {exc.msg} at column {exc.colno}")
            return
        self.check_record(obj, line)

    def check_record(self, obj: Any, line: int) -> None:
        """Check one decoded record."""
        self.report.records += 1
        if not isinstance(obj, dict):
            self._error(line, None, f"a record must be a JSON object, got {type(obj).__name__}")
            return
        for key in obj:
            if key not in ("recordId", "modelInput"):
                self.report.warnings.append(BatchRecordIssue(line, key, "unknown key; batch inference ignores it"))
        self._record_id(obj, line)
        body = obj.get("modelInput")
        if body is None:
            self._error(line, "modelInput", "required: the model's request body")
            return
        if not isinstance(body, dict) or not body:
            self._error(line, "modelInput", f"must be a non-empty JSON object, got {json.dumps(body)[:60]}")
            return
        if self.body_format is not None:
            missing = [k for k in REQUIRED_KEYS[self.body_format] if k not in body]
            if missing:
                self._error(
                    line, "modelInput", f"missing {', '.join(missing)} for the {self.body_format} request format"
                )
            messages = body.get("messages")
            if "messages" in REQUIRED_KEYS[self.body_format] and messages is not None:
                if not isinstance(messages, list) or not messages:
                    self._error(line, "modelInput.messages", "must be a non-empty list")
                elif not all(isinstance(m, dict) and m.get("role") in ("user", "assistant") for m in messages):
                    self._error(line, "modelInput.messages", "each message needs role 'user' or 'assistant'")

    def _record_id(self, obj: Mapping[str, Any], line: int) -> None:
        if "recordId" not in obj:
            self.report.warnings.append(
                BatchRecordIssue(line, "recordId", "missing: Bedrock adds one, but results cannot be matched back")
            )
            return
        value = obj["recordId"]
        if not isinstance(value, str) or not _RECORD_ID.match(value) or len(value) > _MAX_RECORD_ID:
            self._error(
                line, "recordId", f"must be an alphanumeric string of 1-{_MAX_RECORD_ID} characters, got {value!r}"
            )
            return
        first = self._seen.setdefault(value, line)
        if first != line:
            self._error(line, "recordId", f"{value!r} repeats the id of line {first}")

    def finish(self, name: str = "") -> BatchRecordReport:
        """File-level checks; returns the report."""
        if name and not name.endswith(".jsonl"):
            self._error(None, None, f"the file name must end in .jsonl, got {name!r}")
        if self.report.records == 0:
            self._error(None, None, "no records")
        elif self.report.records < self.min_records:
            self.report.warnings.append(
                BatchRecordIssue(
                    None,
                    None,
                    f"{self.report.records} records, fewer than the minimum records per batch job ({self.min_records})",
                )
            )
        return self.report


def validate_batch_lines(lines: Iterable[str], **options: Any) -> BatchRecordReport:
    """Validate JSONL text lines (without their newlines)."""
    validator = BatchRecordValidator(**options)
    for number, text in enumerate(lines, start=1):
        validator.check_line(text, number)
    return validator.finish()


def validate_batch_file(path: str | Path, **options: Any) -> BatchRecordReport:
    """Validate a batch input file (streamed line by line; UTF-8)."""
    p = Path(path)
    validator = BatchRecordValidator(**options)
    with p.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                validator.report.records += 1
                validator.report.errors.append(
                    BatchRecordIssue(number, None, f"not valid UTF-8 (byte {exc.start + 1} of the line)")
                )
                continue
            validator.check_line(text, number)
    return validator.finish(p.name)
