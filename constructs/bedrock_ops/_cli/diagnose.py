"""Presentation of a dataset validation report for people: "this looks like the X format", "did you mean".

Not staged into the dataset validator Lambda (that asset has little headroom): the validator core
(``bedrock_ops.data.validation``) finds the problems; this module explains them to the command line and to
the app's configuration errors.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from pathlib import Path

from bedrock_ops.data.validation import ValidationIssue, ValidationReport
from bedrock_ops.models.facts import DatasetFormat, detect_format

#: Top-level field names of each dataset format (the validator's rules; used for "did you mean").
FORMAT_FIELDS: dict[DatasetFormat, tuple[str, ...]] = {
    DatasetFormat.CONVERSE: ("schemaVersion", "system", "messages"),
    DatasetFormat.DISTILLATION_PROMPTS: ("schemaVersion", "system", "messages"),
    DatasetFormat.CLAUDE_CONVERSATION: ("system", "messages"),
    DatasetFormat.INSTRUCTION: ("prompt", "completion"),
    DatasetFormat.CONTINUED_PRE_TRAINING: ("input",),
    DatasetFormat.EVALUATION_PROMPTS: ("prompt", "referenceResponse", "category", "modelResponses"),
    DatasetFormat.RFT_PROMPTS: ("messages", "reference_answer"),
    DatasetFormat.BATCH_RECORDS: ("recordId", "modelInput"),
}
_SAMPLE_LINES = 20


def sniff_format(path: str | Path) -> DatasetFormat | None:
    """The format the first JSON object records of ``path`` look like (None: unreadable or none matched)."""
    seen: dict[DatasetFormat, int] = {}
    try:
        with Path(path).open("rb") as handle:
            for number, raw in enumerate(handle):
                if number >= _SAMPLE_LINES:
                    break
                try:
                    record = json.loads(raw.decode("utf-8-sig"))
                except (UnicodeDecodeError, ValueError):
                    continue
                fmt = detect_format(record) if isinstance(record, dict) else None
                if fmt is not None:
                    seen[fmt] = seen.get(fmt, 0) + 1
    except OSError:
        return None
    return max(seen, key=lambda f: seen[f]) if seen else None


def format_mismatch(report: ValidationReport, path: str | Path) -> str | None:
    """ "this looks like the instruction format; <model> <type> takes converse" when the file's records
    match another format than the one the report checked against, else None."""
    expected = report.dataset_format
    if report.valid or expected is None:
        return None
    found = sniff_format(path)
    if found is None or found is expected:
        return None
    if {found, expected} == {DatasetFormat.CONVERSE, DatasetFormat.DISTILLATION_PROMPTS}:
        return None
    target = f"{report.base_model} {report.customization_type.value}" if report.customization_type else "it"
    return (
        f"this looks like the {found.value} format ({', '.join(FORMAT_FIELDS[found])}); "
        f"{target} takes the {expected.value} format ({', '.join(FORMAT_FIELDS[expected])})"
    )


def field_hints(report: ValidationReport, path: str | Path) -> dict[str, str]:
    """Missing required field -> a present field of a close name (``{"messages": "mesages"}``)."""
    expected = report.dataset_format
    if expected is None:
        return {}
    missing = {e.field for e in report.errors if e.field and "required field is missing" in e.message}
    present = _top_level_keys(path)
    hints: dict[str, str] = {}
    for name in sorted(missing & set(FORMAT_FIELDS.get(expected, ()))):
        close = difflib.get_close_matches(name, sorted(present - set(FORMAT_FIELDS[expected])), n=1, cutoff=0.7)
        if close:
            hints[name] = close[0]
    return hints


def _top_level_keys(path: str | Path) -> set[str]:
    keys: set[str] = set()
    try:
        with Path(path).open("rb") as handle:
            for number, raw in enumerate(handle):
                if number >= _SAMPLE_LINES:
                    break
                try:
                    record = json.loads(raw.decode("utf-8-sig"))
                except (UnicodeDecodeError, ValueError):
                    continue
                if isinstance(record, dict):
                    keys.update(str(k) for k in record)
    except OSError:
        return set()
    return keys


def explain(report: ValidationReport, path: str | Path) -> list[str]:
    """Lines that say what the errors of ``report`` amount to, before the errors themselves."""
    lines = []
    mismatch = format_mismatch(report, path)
    if mismatch:
        lines.append(mismatch)
    for name, close in field_hints(report, path).items():
        lines.append(f"required field {name!r} is missing; the records have {close!r}: did you mean {name!r}?")
    return lines


def first_errors(errors: Iterable[ValidationIssue], limit: int = 3) -> str:
    """The first ``limit`` errors on one line: ``line 5: not valid JSON ...; line 7: ...``."""
    parts = []
    for issue in list(errors)[:limit]:
        where = f"line {issue.line}" if issue.line is not None else "file"
        parts.append(f"{where}{' ' + issue.field if issue.field else ''}: {issue.message}")
    return "; ".join(parts)


def summary(report: ValidationReport, path: str | Path) -> str:
    """One sentence for an invalid file: the explanation if there is one, else its first errors."""
    explained = explain(report, path)
    head = "; ".join(explained) if explained else first_errors(report.errors)
    more = f" ({report.error_count} error(s) in all)" if report.error_count > 1 else ""
    return head + more
