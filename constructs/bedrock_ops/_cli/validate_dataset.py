"""``bedrock-ops validate-dataset``: check a JSONL dataset before a customization or evaluation job sees it.

``--task evaluation`` checks a model evaluation job's custom prompt dataset; it needs no base model.
``--task rft`` checks reinforcement fine-tuning prompts, ``--task batch`` a batch inference job's input
(``{recordId, modelInput}``; ``--base-model`` optional: it picks the request body format and the batch quotas).
All of them go through the one streaming validator core (``bedrock_ops.data.validation``).
Exit status: 0 when the dataset is valid, 1 when it is not, 2 on usage errors (unknown model,
unsupported task, missing file, bad models file, no --base-model for a customization task).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, TextIO

from bedrock_ops._cli.diagnose import explain, format_mismatch
from bedrock_ops.data._totals import check_totals
from bedrock_ops.data.batch_records import REQUIRED_KEYS
from bedrock_ops.data.validation import (
    DEFAULT_MAX_ERRORS,
    DatasetSplit,
    ValidationIssue,
    ValidationReport,
    validate_file,
)
from bedrock_ops.models.facts import CustomizationType, DatasetFormat, ModelEntry
from bedrock_ops.models.knowledge import load_models

NAME = "validate-dataset"
EVALUATION = "evaluation"
BATCH = "batch"
RFT = "rft"
_TASKS = {
    "fine-tuning": CustomizationType.FINE_TUNING,
    "continued-pre-training": CustomizationType.CONTINUED_PRE_TRAINING,
    "distillation": CustomizationType.DISTILLATION,
    RFT: CustomizationType.REINFORCEMENT_FINE_TUNING,
}
# Files smaller than this validate in well under a second: no progress bar for them.
PROGRESS_MIN_BYTES = 4 * 1024 * 1024
#: --max-errors bounds (the same as the config key datasets.validator.max_errors).
MAX_ERRORS_RANGE = (1, 10_000)
#: Errors listed under "this looks like the X format": the rest say the same.
MISMATCH_ERRORS_SHOWN = 3


def register(subparsers: Any) -> None:
    """Add the ``validate-dataset`` subcommand."""
    parser = subparsers.add_parser(
        NAME,
        help="validate a JSONL training, validation or evaluation prompt dataset",
        description=(
            "Stream a JSONL dataset and check it against the rules of the base model: format, roles, "
            "reserved strings, estimated tokens per record, record counts and file size. With --task "
            "evaluation, check a model evaluation job's custom prompt dataset ({prompt, referenceResponse?, "
            "category?, modelResponses?}, at most 1000 prompts; no base model needed). With --task rft, "
            "reinforcement fine-tuning prompts ({messages, reference_answer, ...}); with --task batch, a batch "
            "inference input ({recordId, modelInput}; --base-model optional). "
            "Exit status 0 when valid, 1 when invalid, 2 on usage errors."
        ),
    )
    parser.add_argument("path", metavar="PATH", help="the .jsonl file to check")
    parser.add_argument(
        "--base-model",
        metavar="MODEL_ID",
        help="base model id, plain or context-suffixed (e.g. amazon.nova-micro-v1:0:128k); required except "
        "with --task evaluation, where it only names the evaluated model in the report, and --task batch, where "
        "it picks the model's native request format and its batch quotas",
    )
    parser.add_argument(
        "--task",
        choices=sorted([*_TASKS, EVALUATION, BATCH]),
        default="fine-tuning",
        help="customization type, evaluation for an evaluation prompt dataset, batch for a batch inference input "
        "(default: fine-tuning)",
    )
    parser.add_argument(
        "--body-format",
        choices=sorted(REQUIRED_KEYS),
        help="with --task batch: the modelInput request format (converse for a Converse job); default: the "
        "native format of --base-model when known, else any non-empty object",
    )
    parser.add_argument(
        "--split",
        choices=[s.value for s in DatasetSplit],
        default=DatasetSplit.TRAINING.value,
        help="which dataset of the job the file is; quotas differ (default: training; not used by evaluation)",
    )
    parser.add_argument(
        "--require-reference",
        action="store_true",
        help="with --task evaluation: every prompt needs a referenceResponse (metrics that compare with one)",
    )
    parser.add_argument(
        "--validation-file",
        metavar="PATH",
        help="the job's validation dataset: checked too (split validation), and the model's quotas on training "
        "plus validation records are applied to both together (default: the training file alone must meet them)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.add_argument(
        "--max-errors",
        type=_bounded,
        default=DEFAULT_MAX_ERRORS,
        metavar="N",
        help=f"errors to list, {MAX_ERRORS_RANGE[0]}-{MAX_ERRORS_RANGE[1]}; all are counted "
        f"(default: {DEFAULT_MAX_ERRORS})",
    )
    parser.add_argument(
        "--models-file",
        metavar="FILE",
        help="a models file (the packaged knowledge base's schema) merged over the packaged one",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate ``args.path``; returns the exit status."""
    evaluation = args.task == EVALUATION
    batch = args.task == BATCH
    if args.require_reference and not evaluation:
        return _usage_error("--require-reference applies to --task evaluation only")
    if args.body_format is not None and not batch:
        return _usage_error("--body-format applies to --task batch only")
    if batch:
        return _batch(args)
    if args.base_model is None and not evaluation:
        return _usage_error(f"--base-model is required for --task {args.task}")
    if args.validation_file is not None and (evaluation or args.split != DatasetSplit.TRAINING.value):
        return _usage_error("--validation-file goes with a training file (--split training, a customization task)")
    spec: ModelEntry | None = None
    try:
        base_model: str | ModelEntry | None = args.base_model
        ctype = _TASKS.get(args.task, CustomizationType.FINE_TUNING)
        if not evaluation:
            spec = load_models(args.models_file).resolve(args.base_model, prop="--base-model")
            spec.require(ctype)
            base_model = spec
        progress = _Progress.for_file(args.path, sys.stderr)
        try:
            report = validate_file(
                args.path,
                base_model=base_model,
                customization_type=ctype,
                split=args.split,
                dataset_format=DatasetFormat.EVALUATION_PROMPTS if evaluation else None,
                require_reference=args.require_reference,
                max_errors=args.max_errors,
                progress=progress.advance if progress else None,
            )
        finally:
            if progress:
                progress.close()
        reports = [(args.path, report)]
        if args.validation_file is not None:
            validation = validate_file(
                args.validation_file,
                base_model=base_model,
                customization_type=ctype,
                split=DatasetSplit.VALIDATION,
                max_errors=args.max_errors,
            )
            reports.append((args.validation_file, validation))
    except OSError as exc:
        return _usage_error(f"cannot read {exc.filename or args.path}: {exc.strerror or exc}")
    except ValueError as exc:  # unknown model, unsupported task, bad models file
        return _usage_error(str(exc))
    if spec is not None and args.split == DatasetSplit.TRAINING.value:
        validation_records = reports[1][1].records if len(reports) > 1 else 0
        hint = "" if len(reports) > 1 else " (pass --validation-file to count the validation dataset's records too)"
        for problem in check_totals(spec, ctype, report.records, validation_records):
            _add_error(report, problem + hint)
    for path, each in reports:
        _write(path, each, as_json=args.json)
    return 0 if all(each.valid for _, each in reports) else 1


def _batch(args: argparse.Namespace) -> int:
    """``--task batch``: the input of a batch inference job, for ``--base-model`` (optional)."""
    if args.validation_file is not None:
        return _usage_error("--validation-file goes with a training file (--split training, a customization task)")
    from bedrock_ops.batch.requests import native_format_of
    from bedrock_ops.models.queries import batch_limits

    try:
        models = load_models(args.models_file)
        spec = models.resolve(args.base_model, prop="--base-model") if args.base_model else None
        report = validate_file(
            args.path,
            base_model=spec,
            dataset_format=DatasetFormat.BATCH_RECORDS,
            body_format=args.body_format or (native_format_of(spec.model_id) if spec else None),
            batch_limits=batch_limits(models, spec.model_id) if spec else None,
            max_errors=args.max_errors,
        )
    except OSError as exc:
        return _usage_error(f"cannot read {exc.filename or args.path}: {exc.strerror or exc}")
    except ValueError as exc:  # unknown model, bad models file
        return _usage_error(str(exc))
    _write(args.path, report, as_json=args.json)
    return 0 if report.valid else 1


def _add_error(report: ValidationReport, message: str) -> None:
    report.error_count += 1
    if len(report.errors) < report.max_errors:
        report.errors.append(ValidationIssue(None, None, message))


def _write(path: str, report: ValidationReport, *, as_json: bool) -> None:
    """The report, explained first: "this looks like the instruction format", "did you mean 'messages'?"."""
    hints = explain(report, path)
    if as_json:
        data = json.loads(report.to_json())
        data["hints"] = hints
        sys.stdout.write(json.dumps(data) + "\n")
        return
    head, *errors = report.format_text().splitlines()
    lines = [head, *(f"{report.source}: {hint}" for hint in hints)]
    if format_mismatch(report, path) and len(errors) > MISMATCH_ERRORS_SHOWN:
        shown = errors[:MISMATCH_ERRORS_SHOWN]
        lines += [*shown, f"... and {report.error_count - len(shown)} more errors of the same mismatch"]
    else:
        lines += errors
    sys.stdout.write("\n".join(lines) + "\n")


def _usage_error(message: str) -> int:
    sys.stderr.write(f"bedrock-ops {NAME}: error: {message}\n")
    return 2


def _bounded(value: str) -> int:
    low, high = MAX_ERRORS_RANGE
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer {low}-{high}, got {value!r}") from None
    if not low <= number <= high:
        raise argparse.ArgumentTypeError(f"must be an integer {low}-{high}, got {value!r}")
    return number


class _Progress:
    """A one-line progress bar on a terminal stream, redrawn at most 10 times a second."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.done = 0
        self.started = time.monotonic()
        self.drawn_at = 0.0

    @classmethod
    def for_file(cls, path: str, stream: TextIO) -> _Progress | None:
        """A bar for ``path`` when ``stream`` is a terminal and the file is large enough."""
        import os

        if not (hasattr(stream, "isatty") and stream.isatty()):
            return None
        size = os.stat(path).st_size
        return cls(size, stream) if size >= PROGRESS_MIN_BYTES else None

    def advance(self, nbytes: int) -> None:
        self.done += nbytes
        now = time.monotonic()
        if now - self.drawn_at >= 0.1 or self.done >= self.total:
            self.drawn_at = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        fraction = min(self.done / self.total, 1.0) if self.total else 1.0
        filled = int(fraction * self.WIDTH)
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed / 1e6
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {fraction:6.1%} {self.done / 1e6:,.1f} MB {rate:,.1f} MB/s")
        self.stream.flush()

    def close(self) -> None:
        self._draw(time.monotonic())
        self.stream.write("\n")
        self.stream.flush()
