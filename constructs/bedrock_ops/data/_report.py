"""The dataset validator's report: the split, the issues found, the verdict, and the totals check.

Standard library only (staged into the dataset validator Lambda asset); imported through
``bedrock_ops.data.validation``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bedrock_ops.models.facts import CustomizationType, DatasetFormat

DEFAULT_MAX_ERRORS = 100
"""Errors kept in a report by default (all errors are counted)."""
MAX_EVALUATION_PROMPTS = 1000
"""Prompts a model evaluation job reads from one custom prompt dataset (the Bedrock user guide's limit)."""


class DatasetSplit(StrEnum):
    """Which dataset of a customization job a file is."""

    TRAINING = "training"
    VALIDATION = "validation"


@dataclass(frozen=True)
class ValidationIssue:
    """One error: ``line`` (1-based, None for the whole file), ``field`` (JSON path) and message."""

    line: int | None
    field: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The issue as ``{line, field, message}``."""
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass
class ValidationReport:
    """The outcome of validating one dataset file.

    ``base_model``, ``customization_type`` and ``split`` are None for evaluation prompts and batch inference
    input (which train no model; ``base_model`` may name the evaluated or the batch job's model). ``warnings``
    (the first ``max_errors`` kept) do not fail the file; ``with_reference`` and ``categories`` count the
    evaluation prompts' ``referenceResponse`` fields and ``category`` values.
    """

    source: str
    base_model: str | None
    customization_type: CustomizationType | None
    split: DatasetSplit | None
    dataset_format: DatasetFormat | None
    records: int = 0
    bytes: int = 0
    token_min: int | None = None
    token_max: int | None = None
    token_total: int = 0
    token_records: int = 0
    error_count: int = 0
    errors: list[ValidationIssue] = field(default_factory=list)
    max_errors: int = DEFAULT_MAX_ERRORS
    warnings: list[ValidationIssue] = field(default_factory=list)
    with_reference: int = 0
    categories: dict[str, int] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """True when no error was found."""
        return self.error_count == 0

    @property
    def verdict(self) -> str:
        """``"passed"`` or ``"failed"``."""
        return "passed" if self.valid else "failed"

    @property
    def token_mean(self) -> float | None:
        """Mean estimated tokens per measured record."""
        measured = self.token_records
        return round(self.token_total / measured, 1) if measured else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form of the report."""
        data = {
            "verdict": self.verdict,
            "valid": self.valid,
            "source": self.source,
            "base_model": self.base_model,
            "customization_type": self.customization_type.value if self.customization_type else None,
            "split": self.split.value if self.split else None,
            "format": self.dataset_format.value if self.dataset_format else None,
            "records": self.records,
            "bytes": self.bytes,
            "tokens": {"min": self.token_min, "mean": self.token_mean, "max": self.token_max},
            "error_count": self.error_count,
            "errors": [issue.to_dict() for issue in self.errors],
            "errors_truncated": self.error_count > len(self.errors),
            "warnings": [issue.to_dict() for issue in self.warnings],
        }
        if self.dataset_format is DatasetFormat.EVALUATION_PROMPTS:
            data.update(with_reference=self.with_reference, categories=self.categories)
        return data

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def format_text(self) -> str:
        """Human-readable report: a verdict line and one line per kept error."""
        # Imported here: the dataset validator Lambda writes JSON reports and does not stage it.
        from bedrock_ops.data._report_text import format_report

        return format_report(self)
