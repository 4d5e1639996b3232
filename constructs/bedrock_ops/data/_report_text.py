"""The dataset validator's report as text for people (``ValidationReport.format_text``); standard library only,
not staged into the dataset validator Lambda, which writes JSON reports."""

from __future__ import annotations

from bedrock_ops.data._report import ValidationReport
from bedrock_ops.models.facts import DatasetFormat

__all__ = ["format_report"]


def format_report(report: ValidationReport) -> str:
    """Human-readable report: a verdict line and one line per kept error."""
    tokens = (
        f"tokens/record min {report.token_min} mean {report.token_mean} max {report.token_max}"
        if report.token_min is not None
        else "no tokens measured"
    )
    if report.dataset_format is DatasetFormat.BATCH_RECORDS:
        target = f"batch inference input for {report.base_model or 'any model'}"
    elif report.customization_type is None:
        target = f"{report.with_reference} with referenceResponse, {len(report.categories)} categories"
    else:
        target = f"{report.base_model} {report.customization_type.value} {report.split}"
    lines = [
        f"{report.source}: {report.verdict.upper()} ({report.records} records, {report.bytes} bytes, "
        f"{tokens}; format {report.dataset_format.value if report.dataset_format else 'unknown'}, {target})"
    ]
    for issue in report.errors:
        where = f"line {issue.line}" if issue.line is not None else "file"
        what = f"{issue.field}: " if issue.field else ""
        lines.append(f"{report.source}:{where}: {what}{issue.message}")
    hidden = report.error_count - len(report.errors)
    if hidden > 0:
        lines.append(f"... and {hidden} more errors ({report.error_count} in total)")
    lines.extend(f"{report.source}:line {w.line}: warning: {w.field}: {w.message}" for w in report.warnings)
    return "\n".join(lines)
