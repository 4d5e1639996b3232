"""Reinforcement fine-tuning (RFT) prompt datasets: the record rules, a file check and a record reader.

Standard library only (the dataset validator core's other modules are too; this one is not staged into the
validator Lambda asset, which has no room: see the README for how to hook it in). One JSONL line per prompt,
in the OpenAI chat completion format the Bedrock user guide asks for (``rft-prepare-data``)::

    {"messages": [{"role": "system", "content": "..."}, {"role": "user", "content": "What is 2+2?"}],
     "reference_answer": "4", "any_field_the_grader_reads": ...}

- ``messages``: a non-empty list of ``{"role": "system" | "user" | "assistant", "content": str}``; a system
  message only first; at least one user message; the model answers the last turn, so a final assistant
  message is a warning (the page does not say it is rejected);
- ``reference_answer``: required, any JSON value but null (what the reward function grades against);
- other keys are kept for the grader (``required_fields`` makes some of them mandatory);
- record counts against the base model's RFT quotas in the knowledge base (Nova 2 Lite: at least 100).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from bedrock_ops.data._report import DEFAULT_MAX_ERRORS, DatasetSplit, ValidationIssue, ValidationReport
from bedrock_ops.models.facts import CustomizationType, DatasetFormat, ModelEntry

__all__ = ["ROLES", "RftRecord", "check_rft_record", "read_rft_records", "validate_rft_file"]

RFT = CustomizationType.REINFORCEMENT_FINE_TUNING
ROLES = ("system", "user", "assistant")
"""The roles an RFT prompt's messages may have."""


class RftRecord:
    """One parsed line of an RFT dataset: its 1-based ``line`` and the ``record`` object (or ``error``)."""

    __slots__ = ("error", "line", "record")

    def __init__(self, line: int, record: dict[str, Any] | None, error: str | None = None) -> None:
        self.line = line
        self.record = record
        self.error = error


def read_rft_records(path: str | Path) -> Iterator[RftRecord]:
    """Each line of ``path`` parsed: a record, or the reason it is not a JSON object (never raises on content;
    ``OSError`` when the file cannot be read)."""
    with open(path, "rb") as stream:
        for number, raw in enumerate(stream, start=1):
            text = raw.rstrip(b"\r\n")
            if not text.strip():
                yield RftRecord(number, None, "blank line (one JSON object per line)")
                continue
            try:
                value = json.loads(text.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield RftRecord(number, None, f"not valid UTF-8 (byte {exc.start} of the line)")
                continue
            except ValueError as exc:
                yield RftRecord(number, None, f"not valid JSON: {exc}")
                continue
            if not isinstance(value, dict):
                yield RftRecord(number, None, f"expected a JSON object, got {type(value).__name__}")
                continue
            yield RftRecord(number, value)


def prompt_chars(record: Mapping[str, Any]) -> int:
    """Characters of the prompt's message contents (for the token estimate)."""
    messages = record.get("messages")
    if not isinstance(messages, list):
        return 0
    return sum(len(m["content"]) for m in messages if isinstance(m, dict) and isinstance(m.get("content"), str))


def check_rft_record(
    record: Mapping[str, Any], line: int, *, required_fields: Sequence[str] = ()
) -> tuple[list[ValidationIssue], list[ValidationIssue]]:
    """The errors and the warnings of one RFT record (see the module docstring for the rules)."""
    errors: list[ValidationIssue] = []
    warnings: list[ValidationIssue] = []

    def error(where: str, message: str) -> None:
        errors.append(ValidationIssue(line, where, message))

    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        error("messages", f"required: a non-empty list of {{role, content}} messages, got {messages!r}"[:300])
    else:
        for index, message in enumerate(messages):
            where = f"messages[{index}]"
            if not isinstance(message, dict):
                error(where, f"expected an object {{role, content}}, got {type(message).__name__}")
                continue
            role, content = message.get("role"), message.get("content")
            if role not in ROLES:
                error(f"{where}.role", f"must be one of {', '.join(ROLES)}, got {role!r}")
            elif role == "system" and index != 0:
                error(f"{where}.role", "a system message may only be the first message")
            if not isinstance(content, str) or not content.strip():
                error(f"{where}.content", f"must be a non-empty string, got {content!r}"[:300])
        roles = [m.get("role") for m in messages if isinstance(m, dict)]
        if "user" not in roles:
            error("messages", "needs at least one user message (the prompt)")
        elif roles and roles[-1] == "assistant":
            warnings.append(
                ValidationIssue(line, "messages", "ends with an assistant message; the model answers the last turn")
            )
    if "reference_answer" not in record or record["reference_answer"] is None:
        error("reference_answer", "required: what the reward function grades the response against (not null)")
    for name in required_fields:
        if name not in record:
            error(name, "required by the reward function (required_fields)")
    return errors, warnings


def validate_rft_file(
    path: str | Path,
    *,
    base_model: ModelEntry | None = None,
    required_fields: Sequence[str] = (),
    max_prompt_tokens: int | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
) -> ValidationReport:
    """Check the RFT dataset at ``path``: every record, and the record count against ``base_model``'s RFT
    quotas (default: no base model, counts not checked). ``max_prompt_tokens``: the job's ``maxPromptLength``;
    prompts estimated longer (characters / the model's characters per token) are errors (default: not checked).

    Raises ``OSError`` when the file cannot be read and
    :class:`~bedrock_ops.models.facts.UnsupportedCustomizationError` when ``base_model`` has no RFT.
    """
    if base_model is not None:
        base_model.require(RFT)
    chars_per_token = base_model.chars_per_token if base_model else 4.0
    report = ValidationReport(
        source=str(path),
        base_model=base_model.model_id if base_model else None,
        customization_type=RFT,
        split=DatasetSplit.TRAINING,
        dataset_format=DatasetFormat.RFT_PROMPTS,
        max_errors=max_errors,
    )
    report.bytes = Path(path).stat().st_size

    def add(issues: list[ValidationIssue], into: list[ValidationIssue], count: bool) -> None:
        if count:
            report.error_count += len(issues)
        into.extend(issues[: max(0, max_errors - len(into))])

    for item in read_rft_records(path):
        report.records += 1
        if item.record is None:
            add([ValidationIssue(item.line, None, item.error or "unreadable")], report.errors, True)
            continue
        errors, warnings = check_rft_record(item.record, item.line, required_fields=required_fields)
        tokens = -(-prompt_chars(item.record) // chars_per_token)
        report.token_min = int(tokens) if report.token_min is None else min(report.token_min, int(tokens))
        report.token_max = int(tokens) if report.token_max is None else max(report.token_max, int(tokens))
        report.token_total += int(tokens)
        report.token_records += 1
        if max_prompt_tokens is not None and tokens > max_prompt_tokens:
            errors.append(
                ValidationIssue(
                    item.line,
                    "messages",
                    f"prompt of about {int(tokens)} tokens exceeds maxPromptLength {max_prompt_tokens}",
                )
            )
        add(errors, report.errors, True)
        add(warnings, report.warnings, False)
    if report.records == 0:
        add([ValidationIssue(None, None, "empty file: no records")], report.errors, True)
    if base_model is not None:
        limits = base_model.limits(RFT)
        if limits.min_training_records is not None and report.records < limits.min_training_records:
            message = (
                f"{report.records} records; {base_model.model_id} RFT needs at least "
                f"{limits.min_training_records} training records"
            )
            add([ValidationIssue(None, None, message)], report.errors, True)
        if limits.max_training_records is not None and report.records > limits.max_training_records:
            message = (
                f"{report.records} records; {base_model.model_id} RFT allows at most "
                f"{limits.max_training_records} training records"
            )
            add([ValidationIssue(None, None, message)], report.errors, True)
    return report
