"""Quotas on a job's training plus validation records together (the command line and the synth-time check of
local datasets apply them across files); standard library only, not staged into the dataset validator Lambda,
which sees one file at a time."""

from __future__ import annotations

from bedrock_ops.models.facts import CustomizationType, ModelEntry

__all__ = ["check_totals"]


def check_totals(
    spec: ModelEntry,
    customization_type: CustomizationType,
    training_records: int,
    validation_records: int = 0,
) -> list[str]:
    """Quotas on training plus validation records together; returns the problems found."""
    limits = spec.limits(customization_type)
    total = training_records + validation_records
    problems = []
    if limits.min_total_records is not None and total < limits.min_total_records:
        problems.append(
            f"{total} training and validation records; {spec.model_id} needs at least "
            f"{limits.min_total_records} in total"
        )
    if limits.max_total_records is not None and total > limits.max_total_records:
        problems.append(
            f"{total} training and validation records; {spec.model_id} allows at most "
            f"{limits.max_total_records} in total"
        )
    return problems
