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
error. Unknown keys are warnings.

The rules live in the single validator core (:mod:`bedrock_ops.data.validation`, format
``DatasetFormat.EVALUATION_PROMPTS``, also behind ``bedrock-ops validate-dataset --task evaluation``);
this module keeps the evaluation-specific report shape on top of it. Standard library only.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from bedrock_ops.data.validation import MAX_EVALUATION_PROMPTS, ValidationIssue, validate_file
from bedrock_ops.models.facts import DatasetFormat

__all__ = ["MAX_PROMPTS", "PromptDatasetIssue", "PromptDatasetReport", "validate_prompt_dataset"]

MAX_PROMPTS = MAX_EVALUATION_PROMPTS
"""Prompts a model evaluation job reads from one custom prompt dataset."""


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


def _issue(issue: ValidationIssue) -> PromptDatasetIssue:
    return PromptDatasetIssue(issue.line, issue.field, issue.message)


def validate_prompt_dataset(
    path: str | Path, *, require_reference: bool = False, max_prompts: int = MAX_PROMPTS
) -> PromptDatasetReport:
    """Validate an evaluation prompt dataset file (every error is listed).

    :param require_reference: every record must have ``referenceResponse`` (default: optional).
    :param max_prompts: the most prompts allowed (default: 1000, Bedrock's limit per dataset).
    """
    p = Path(path)
    try:
        core = validate_file(
            p,
            dataset_format=DatasetFormat.EVALUATION_PROMPTS,
            require_reference=require_reference,
            max_prompts=max_prompts,
            max_errors=sys.maxsize,
        )
    except OSError as exc:
        report = PromptDatasetReport(source=str(p))
        report.errors.append(PromptDatasetIssue(None, None, f"cannot read: {exc.strerror}"))
        return report
    return PromptDatasetReport(
        source=str(p),
        records=core.records,
        with_reference=core.with_reference,
        categories=dict(core.categories),
        errors=[_issue(issue) for issue in core.errors],
        warnings=[_issue(issue) for issue in core.warnings],
    )
