"""Reinforcement fine-tuning (RFT) prompt records: the one set of rules the validator core applies to them.

Standard library only: staged into the dataset validator Lambda asset with the core
(``bedrock_ops.data.validation``, ``DatasetFormat.RFT_PROMPTS``), which reads the lines, counts the records
against the base model's RFT quotas in the knowledge base and estimates the prompts' tokens. One JSONL line per
prompt, in the OpenAI chat completion format the Bedrock user guide asks for (``rft-prepare-data``)::

    {"messages": [{"role": "system", "content": "..."}, {"role": "user", "content": "What is 2+2?"}],
     "reference_answer": "4", "any_field_the_grader_reads": ...}

- ``messages``: a non-empty list of ``{"role": "system" | "user" | "assistant", "content": str}``; a system
  message only first; at least one user message; the model answers the last turn, so a final assistant
  message is a warning (the page does not say it is rejected);
- ``reference_answer``: required, any JSON value but null (what the reward function grades against);
- other keys are kept for the grader (``required_fields`` makes some of them mandatory).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bedrock_ops.data._report import ValidationIssue

__all__ = ["ROLES", "check_rft_record", "prompt_chars"]

ROLES = ("system", "user", "assistant")
"""The roles an RFT prompt's messages may have."""


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
