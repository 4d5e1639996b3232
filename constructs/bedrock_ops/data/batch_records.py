"""Batch inference input records ``{"recordId", "modelInput"}`` (JSONL): the one set of rules the validator core
applies to them. Standard library only (staged into the dataset validator Lambda asset with the core,
``bedrock_ops.data.validation``, ``DatasetFormat.BATCH_RECORDS``, which reads the lines and applies the file and
record quotas of the knowledge base's ``batch_inference`` table).

From the Bedrock user guide, "Format and upload your batch inference data" (UG batch-inference-data,
https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-data.html, as of 2026-11):

- one JSON object per line, the file name ends in ``.jsonl``;
- ``recordId``: an alphanumeric string; optional (Bedrock adds one), but the output order is not guaranteed
  to match the input's, so a missing id is a warning here; ids must be unique to be matched back;
- ``modelInput``: the request body: the model's ``InvokeModel`` body (``modelInvocationType=InvokeModel``, the
  default) or the Converse request body (``Converse``). What a body needs is checked per format below (the
  keys the model parameter pages mark required), not its full schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from bedrock_ops.data._report import ValidationIssue

__all__ = ["REQUIRED_KEYS", "check_batch_record"]

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


def check_batch_record(
    obj: Mapping[str, Any], line: int, *, body_format: str | None, seen: dict[str, int]
) -> tuple[list[ValidationIssue], list[ValidationIssue]]:
    """The errors and the warnings of one record. ``body_format``: a key of ``REQUIRED_KEYS`` (the model's native
    body, or ``converse``), or None to check only that ``modelInput`` is a non-empty object; ``seen``: the record
    ids met so far, with their lines (updated)."""
    errors: list[ValidationIssue] = []
    warnings = [
        ValidationIssue(line, key, "unknown key; batch inference ignores it")
        for key in obj
        if key not in ("recordId", "modelInput")
    ]
    if "recordId" not in obj:
        warnings.append(
            ValidationIssue(line, "recordId", "missing: Bedrock adds one, but results cannot be matched back")
        )
    else:
        value = obj["recordId"]
        if not isinstance(value, str) or not _RECORD_ID.match(value) or len(value) > _MAX_RECORD_ID:
            errors.append(
                ValidationIssue(
                    line, "recordId", f"must be an alphanumeric string of 1-{_MAX_RECORD_ID} characters, got {value!r}"
                )
            )
        else:
            first = seen.setdefault(value, line)
            if first != line:
                errors.append(ValidationIssue(line, "recordId", f"{value!r} repeats the id of line {first}"))
    body = obj.get("modelInput")
    if body is None:
        errors.append(ValidationIssue(line, "modelInput", "required: the model's request body"))
    elif not isinstance(body, dict) or not body:
        errors.append(
            ValidationIssue(line, "modelInput", f"must be a non-empty JSON object, got {json.dumps(body)[:60]}")
        )
    elif body_format is not None:
        required = REQUIRED_KEYS[body_format]
        missing = [k for k in required if k not in body]
        if missing:
            errors.append(
                ValidationIssue(
                    line, "modelInput", f"missing {', '.join(missing)} for the {body_format} request format"
                )
            )
        messages = body.get("messages")
        if "messages" in required and messages is not None:
            if not isinstance(messages, list) or not messages:
                errors.append(ValidationIssue(line, "modelInput.messages", "must be a non-empty list"))
            elif not all(isinstance(m, dict) and m.get("role") in ("user", "assistant") for m in messages):
                errors.append(
                    ValidationIssue(line, "modelInput.messages", "each message needs role 'user' or 'assistant'")
                )
    return errors, warnings
