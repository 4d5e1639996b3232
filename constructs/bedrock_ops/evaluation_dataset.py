"""Validation of custom prompt datasets for Amazon Bedrock model evaluation jobs (JSONL).

One JSON object per line (Bedrock user guide, custom prompt datasets for model evaluation)::

    {"prompt": "...", "referenceResponse": "...", "category": "..."}

- ``prompt``: required, a non-empty string;
- ``referenceResponse``: optional string, the expected answer (the accuracy metric of question-and-answer
  and summarization tasks, and the judge's correctness and completeness metrics, compare with it);
- ``category``: optional string, results are also reported per category;
- ``modelResponses``: optional, for jobs that evaluate responses you computed yourself ("bring your own
  inference"): a list of ``{"response": str, "modelIdentifier": str}`` (one per evaluated source, at most 2).

A job reads at most 1000 prompts from a custom dataset (the user guide's limit), so a longer file is an
error. Standard library only.

This module is the evaluation counterpart of the customization dataset validator (issue 3); once that
validator core is on main the evaluation format belongs there, with this module delegating to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["MAX_PROMPTS", "PromptDatasetIssue", "PromptDatasetReport", "validate_prompt_dataset"]

MAX_PROMPTS = 1000
"""Prompts a model evaluation job reads from one custom prompt dataset."""

_KNOWN_KEYS = frozenset({"prompt", "referenceResponse", "category", "modelResponses"})
_MAX_MODEL_RESPONSES = 2


@dataclass(frozen=True)
class PromptDatasetIssue:
    """One error: ``line`` (1-based, None for the whole file), ``field`` and message."""

    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{where}{f' ({self.field})' if self.field else ''}: {self.message}"


@dataclass
class PromptDatasetReport:
    """The outcome of validating one prompt dataset."""

    source: str
    records: int = 0
    with_reference: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    errors: list[PromptDatasetIssue] = field(default_factory=list)
    warnings: list[PromptDatasetIssue] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when no error was found (warnings do not count)."""
        return not self.errors

    def format_text(self) -> str:
        """A human-readable summary with every error and warning."""
        verdict = "passed" if self.valid else "failed"
        lines = [
            f"{self.source}: {verdict}: {self.records} prompts, "
            f"{self.with_reference} with referenceResponse, {len(self.categories)} categories"
        ]
        lines.extend(f"  error: {issue}" for issue in self.errors)
        lines.extend(f"  warning: {issue}" for issue in self.warnings)
        return "\n".join(lines)


def _check_record(report: PromptDatasetReport, number: int, obj: Any, *, require_reference: bool) -> None:
    def error(fld: str | None, message: str) -> None:
        report.errors.append(PromptDatasetIssue(number, fld, message))

    if not isinstance(obj, dict):
        error(None, f"expected a JSON object, got {type(obj).__name__}")
        return
    prompt = obj.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        error(
            "prompt",
            "required: a non-empty string" if prompt is None else f"must be a non-empty string, got {prompt!r}"[:120],
        )
    reference = obj.get("referenceResponse")
    if reference is not None:
        if not isinstance(reference, str):
            error("referenceResponse", f"must be a string, got {type(reference).__name__}")
        else:
            report.with_reference += 1
    elif require_reference:
        error("referenceResponse", "required for the chosen metrics (the expected answer)")
    category = obj.get("category")
    if category is not None:
        if not isinstance(category, str) or not category:
            error("category", "must be a non-empty string")
        else:
            report.categories[category] = report.categories.get(category, 0) + 1
    responses = obj.get("modelResponses")
    if responses is not None:
        if not isinstance(responses, list) or not 1 <= len(responses) <= _MAX_MODEL_RESPONSES:
            error("modelResponses", f"must be a list of 1-{_MAX_MODEL_RESPONSES} {{response, modelIdentifier}}")
        else:
            for i, item in enumerate(responses):
                if not isinstance(item, dict) or not isinstance(item.get("response"), str):
                    error(f"modelResponses[{i}].response", "required: a string")
                elif not isinstance(item.get("modelIdentifier"), str) or not item["modelIdentifier"]:
                    error(f"modelResponses[{i}].modelIdentifier", "required: the name of the response's source")
    unknown = sorted(set(obj) - _KNOWN_KEYS)
    if unknown:
        report.warnings.append(
            PromptDatasetIssue(number, unknown[0], f"unknown key; expected {', '.join(sorted(_KNOWN_KEYS))}")
        )


def validate_prompt_dataset(
    path: str | Path, *, require_reference: bool = False, max_prompts: int = MAX_PROMPTS
) -> PromptDatasetReport:
    """Validate an evaluation prompt dataset file.

    :param require_reference: every record must have ``referenceResponse`` (default: optional).
    :param max_prompts: the most prompts allowed (default: 1000, Bedrock's limit per dataset).
    """
    p = Path(path)
    report = PromptDatasetReport(source=str(p))
    try:
        raw = p.read_bytes()
    except OSError as exc:
        report.errors.append(PromptDatasetIssue(None, None, f"cannot read: {exc.strerror}"))
        return report
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    chunks = raw.split(b"\n")
    if chunks and chunks[-1] == b"":
        chunks.pop()
    for number, chunk in enumerate(chunks, start=1):
        data = chunk.removesuffix(b"\r")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            report.errors.append(
                PromptDatasetIssue(
                    number, None, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {exc.start + 1})"
                )
            )
            continue
        if not text.strip():
            report.errors.append(PromptDatasetIssue(number, None, "empty line"))
            continue
        report.records += 1
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            report.errors.append(PromptDatasetIssue(number, None, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        _check_record(report, number, obj, require_reference=require_reference)
    if report.records == 0 and not report.errors:
        report.errors.append(PromptDatasetIssue(None, None, "no prompts: the file is empty"))
    if report.records > max_prompts:
        report.errors.append(
            PromptDatasetIssue(None, None, f"{report.records} prompts; a job reads at most {max_prompts} per dataset")
        )
    return report
