"""The streaming validator core: JSONL bytes in, a :class:`ValidationReport` out (see ``bedrock_ops.data.validation``,
which adds the local-file entry point ``validate_file`` and is the module to import).

Standard library only; staged into the dataset validator Lambda asset, which streams S3 objects through
:func:`validate_stream`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, Unpack

from bedrock_ops.data._records import RecordRules, json_type
from bedrock_ops.data._report import (
    DEFAULT_MAX_ERRORS,
    MAX_EVALUATION_PROMPTS,
    DatasetSplit,
    ValidationIssue,
    ValidationReport,
)
from bedrock_ops.data.batch_records import check_batch_record
from bedrock_ops.data.rft_records import check_rft_record, prompt_chars
from bedrock_ops.models.facts import BatchLimits, CustomizationType, DatasetFormat, ModelEntry, detect_format

if TYPE_CHECKING:
    from bedrock_ops.data._options import RecordOptions

__all__ = [
    "DEFAULT_MAX_ERRORS",
    "MAX_EVALUATION_PROMPTS",
    "DatasetSplit",
    "ValidationIssue",
    "ValidationReport",
    "validate_stream",
]

CHUNK_SIZE = 1 << 20
# The scanner json.loads uses, called directly: the per-line cost of json.loads minus its wrapper.
_SCAN: Callable[[str, int], tuple[Any, int]] = getattr(json.JSONDecoder(), "scan_once")  # noqa: B009
_BOM = b"\xef\xbb\xbf"
# Bytes one character can take in a JSON line (a six-byte \u escape): lines longer than the token limit
# allows even at this size are rejected without being buffered.
_MAX_BYTES_PER_CHAR = 6
_LINE_SLACK = 64 * 1024
_DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024
# Evaluation prompts and batch input train no model: no reserved strings, token limits or quotas of one apply.
_NO_MODEL = ModelEntry(model_id="evaluation", provider="", name="model evaluation")
_UNTRAINED = (DatasetFormat.EVALUATION_PROMPTS, DatasetFormat.BATCH_RECORDS)


_Checker = Callable[[dict[str, Any], int], int | None]


class _Validator(RecordRules):
    """State of one streaming validation; ``feed`` lines, then ``finish``."""

    def __init__(
        self,
        *,
        spec: ModelEntry | None,
        customization_type: CustomizationType,
        split: DatasetSplit,
        dataset_format: DatasetFormat | None,
        max_errors: int,
        source: str,
        **options: Unpack[RecordOptions],
    ) -> None:
        self.evaluation = dataset_format in _UNTRAINED
        self.batch = dataset_format is DatasetFormat.BATCH_RECORDS
        self.require_reference = options.get("require_reference", False)
        self.max_prompts = options.get("max_prompts", MAX_EVALUATION_PROMPTS)
        self.required_fields = tuple(options.get("required_fields", ()))
        self.max_prompt_tokens = options.get("max_prompt_tokens")
        self.body_format = options.get("body_format")  # a key of batch_records.REQUIRED_KEYS (the callers check)
        self.batch_limits = options.get("batch_limits") or BatchLimits()
        self.seen: dict[str, int] = {}
        named = spec
        if self.evaluation:
            spec = _NO_MODEL
            formats: tuple[DatasetFormat, ...] = (dataset_format,)  # type: ignore[assignment]
        elif spec is None:
            raise ValueError("a base model is needed to validate a customization dataset")
        else:
            formats = spec.require(customization_type)
            if dataset_format is not None and not spec.accepts(customization_type, dataset_format):
                allowed = ", ".join(f.value for f in formats)
                raise ValueError(
                    f"{spec.model_id} {customization_type.value} datasets must be {allowed}; "
                    f"got format {dataset_format.value!r}"
                )
        if max_errors < 0:
            raise ValueError(f"max_errors must be >= 0, got {max_errors}")
        self.spec = spec
        self.ctype = customization_type
        self.formats = formats
        self.report = ValidationReport(
            source=source,
            base_model=named.model_id if self.batch and named else None if self.evaluation else spec.model_id,
            customization_type=None if self.evaluation else customization_type,
            split=None if self.evaluation else split,
            dataset_format=dataset_format or (formats[0] if len(formats) == 1 else None),
            max_errors=max_errors,
        )
        self.checker: _Checker | None = None
        if self.report.dataset_format is not None:
            self.checker = self._checker_for(self.report.dataset_format)
        self.reserved = spec.reserved_strings
        # Reserved strings are looked for in two steps. Per line: without \u escapes, a reserved
        # string can only be inside a field if its JSON-escaped form is in the line's text (one regex
        # search, see _line_pattern). Only then, per field: fields holding the first character of a
        # reserved string (a memchr) are searched for each of them.
        self.line_pattern = _line_pattern(spec.reserved_strings)
        # "/" may also be written "\/" in JSON: such reserved strings are searched in every field.
        self.line_test = not any("/" in r for r in spec.reserved_strings)
        self.scan = bool(spec.reserved_strings)
        leads = sorted({r[0] for r in spec.reserved_strings if r})
        self.reserved_leads = "".join(leads)
        self.lead: str | None = leads[0] if len(leads) == 1 else None
        self.cpt = spec.chars_per_token
        self.videos = 0
        self.media_kind = None
        self.media_bucket = source[5:].partition("/")[0] if source.startswith("s3://") else None
        self.max_tokens = spec.max_tokens_per_record
        if spec.max_tokens_per_record:
            chars = math.ceil(spec.max_tokens_per_record * spec.chars_per_token)
            self.max_line_bytes = chars * _MAX_BYTES_PER_CHAR + _LINE_SLACK
        else:
            self.max_line_bytes = _DEFAULT_MAX_LINE_BYTES

    # -- lines -------------------------------------------------------------------------------
    def line(self, raw: bytes, line_no: int, offset: int) -> None:
        if raw[-1:] == b"\r":
            raw = raw[:-1]
        if line_no == 1 and raw[:3] == _BOM:
            self.err(1, None, "file starts with a UTF-8 byte order mark (BOM); save it as UTF-8 without BOM")
            raw = raw[3:]
            offset += 3
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.report.records += 1
            bad = raw[exc.start : exc.start + 4]
            self.err(
                line_no,
                None,
                f"invalid UTF-8 at byte offset {offset + exc.start} of the file (column {exc.start + 1} "
                f"of the line, bytes {bad.hex(' ')}): {exc.reason}",
            )
            return
        if not text or text.isspace():
            self.err(line_no, None, "blank line: every line must hold one JSON object")
            return
        self.report.records += 1
        try:
            obj, end = _SCAN(text, 0)
            if end != len(text) and not text[end:].isspace():
                raise ValueError("extra data")
        except (StopIteration, ValueError, RecursionError):
            try:  # the slow path, for leading whitespace and for json's own error message
                obj = json.loads(text)
            except RecursionError:
                self.err(line_no, None, "not valid JSON for Bedrock: nested too deeply to parse")
                return
            except ValueError as exc:
                msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                col = f" at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
                self.err(line_no, None, f"not valid JSON: {msg}{col}")
                return
        if type(obj) is not dict:
            self.err(line_no, None, f"each line must be a JSON object, got a JSON {json_type(obj)}")
            return
        if self.reserved and self.line_test:
            self.scan = self.line_pattern.search(text) is not None
        checker = self.checker
        if checker is None:
            checker = self._choose(obj)
        self.videos = 0
        chars = checker(obj, line_no)
        if chars is None:
            return
        tokens = math.ceil(chars / self.cpt)
        report = self.report
        report.token_records += 1
        report.token_total += tokens
        if report.token_min is None or tokens < report.token_min:
            report.token_min = tokens
        if report.token_max is None or tokens > report.token_max:
            report.token_max = tokens
        if self.max_tokens is not None and tokens > self.max_tokens:
            self.err(
                line_no,
                None,
                f"record is about {tokens} tokens ({chars} characters at {self.cpt:g} per token); "
                f"{self.spec.model_id} allows at most {self.max_tokens} tokens per record",
            )

    def oversized(self, line_no: int) -> None:
        self.report.records += 1
        self.err(
            line_no,
            None,
            f"line is longer than {self.max_line_bytes} bytes, more than any record within the "
            f"{self.max_tokens or 'size'}-token limit of {self.spec.model_id} can be; not parsed",
        )

    def _choose(self, obj: dict[str, Any]) -> _Checker:
        detected = detect_format(obj)
        chosen = self.formats[0]
        if detected is not None and self.spec.accepts(self.ctype, detected):
            chosen = detected if detected in self.formats else self.formats[0]
        self.report.dataset_format = chosen
        self.checker = self._checker_for(chosen)
        return self.checker

    def _checker_for(self, fmt: DatasetFormat) -> _Checker:
        if fmt is DatasetFormat.EVALUATION_PROMPTS:  # imported here: the Lambda asset does not stage it
            from bedrock_ops.data._evaluation_records import check_evaluation

            return partial(check_evaluation, self, self.require_reference)
        return {
            DatasetFormat.INSTRUCTION: self._instruction,
            DatasetFormat.CLAUDE_CONVERSATION: self._claude,
            DatasetFormat.CONVERSE: self._converse,
            DatasetFormat.CONTINUED_PRE_TRAINING: self._cpt,
            DatasetFormat.DISTILLATION_PROMPTS: self._distillation,
            DatasetFormat.RFT_PROMPTS: self._rft,
            DatasetFormat.BATCH_RECORDS: self._batch,
        }[fmt]

    def _issues(self, errors: list[ValidationIssue], warnings: list[ValidationIssue]) -> bool:
        """Record a rule module's errors and warnings; True when there is no error."""
        for issue in errors:
            self.err(issue.line, issue.field, issue.message)
        kept = self.report.warnings
        kept.extend(warnings[: max(0, self.report.max_errors - len(kept))])
        return not errors

    def _rft(self, obj: dict[str, Any], ln: int) -> int | None:
        if not self._issues(*check_rft_record(obj, ln, required_fields=self.required_fields)):
            return None
        chars = prompt_chars(obj)
        tokens = math.ceil(chars / self.cpt)
        if self.max_prompt_tokens is not None and tokens > self.max_prompt_tokens:
            self.err(
                ln, "messages", f"prompt of about {tokens} tokens exceeds maxPromptLength {self.max_prompt_tokens}"
            )
            return None
        return chars

    def _batch(self, obj: dict[str, Any], ln: int) -> int | None:
        self._issues(*check_batch_record(obj, ln, body_format=self.body_format, seen=self.seen))
        return None

    # -- field helpers -----------------------------------------------------------------------
    # -- file-level --------------------------------------------------------------------------
    def finish(self, nbytes: int) -> ValidationReport:
        report = self.report
        report.bytes = nbytes
        limits = self.spec.limits(self.ctype)
        model = self.spec.model_id
        if nbytes == 0:
            self.err(None, None, "file is empty")
        elif report.records == 0:
            self.err(None, None, "file holds no records")
        count = report.records
        if self.batch:
            return self._batch_quotas(count, nbytes)
        if self.evaluation:
            if count > self.max_prompts:
                self.err(None, None, f"{count} prompts; a job reads at most {self.max_prompts} per dataset")
            return report
        if report.split is DatasetSplit.TRAINING:
            max_records, max_bytes = limits.max_training_records, limits.max_training_file_bytes
            if limits.min_training_records is not None and 0 < count < limits.min_training_records:
                self.err(
                    None,
                    None,
                    f"{count} training records; {model} needs at least {limits.min_training_records}",
                )
        else:
            max_records, max_bytes = limits.max_validation_records, limits.max_validation_file_bytes
        if max_records is not None and count > max_records:
            split = report.split
            self.err(None, None, f"{count} {split} records; {model} allows at most {max_records}")
        if limits.max_total_records is not None and count > limits.max_total_records:
            self.err(
                None,
                None,
                f"{count} records; {model} allows at most {limits.max_total_records} "
                "training and validation records in total",
            )
        if max_bytes is not None and nbytes > max_bytes:
            self.err(
                None,
                None,
                f"file is {nbytes} bytes; {model} allows {report.split} files of at most {max_bytes} bytes",
            )
        return report

    def _batch_quotas(self, count: int, nbytes: int) -> ValidationReport:
        """One file's quotas are errors; the job's (across its files) are warnings: other files may follow."""
        report, limits = self.report, self.batch_limits
        name = report.source.rsplit("/", 1)[-1]
        if not name.endswith(".jsonl") and name[:1] != "<":
            self.err(None, None, f"the file name must end in .jsonl, got {name!r}")
        quotas = (
            (limits.max_file_records, count, "records in the file", True),
            (limits.max_file_bytes, nbytes, "bytes in the file", True),
            (limits.max_job_records, count, "records", False),
            (limits.max_job_bytes, nbytes, "bytes", False),
        )
        for limit, value, what, per_file in quotas:
            if limit is not None and value > limit:
                if per_file:
                    self.err(None, None, f"{value} {what}; the quota per input file is {limit}")
                else:
                    report.warnings.append(ValidationIssue(None, None, f"{value} {what}; the quota per job is {limit}"))
        if limits.min_records is not None and 0 < count < limits.min_records:
            message = f"{count} records; a job needs at least {limits.min_records} across its files"
            report.warnings.append(ValidationIssue(None, None, message))
        return report


def validate_stream(
    chunks: Iterable[bytes],
    *,
    spec: ModelEntry | None = None,
    customization_type: CustomizationType = CustomizationType.FINE_TUNING,
    split: DatasetSplit = DatasetSplit.TRAINING,
    dataset_format: DatasetFormat | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
    source: str = "<stream>",
    progress: Callable[[int], None] | None = None,
    max_line_bytes: int | None = None,
    **options: Unpack[RecordOptions],
) -> ValidationReport:
    """Validate a JSONL dataset given as an iterable of byte chunks of any size.

    Memory use is bounded by the chunk size plus the longest line accepted (a line longer than
    ``max_line_bytes``, default derived from the model's token limit, is reported and skipped
    without being buffered). ``progress`` is called with the size of each chunk consumed.
    Raises ``UnsupportedCustomizationError`` when the model does not support the customization
    type and ``ValueError`` for an incompatible ``dataset_format`` or a missing ``spec``.

    With ``dataset_format=DatasetFormat.EVALUATION_PROMPTS`` the file is an evaluation job's custom
    prompt dataset: no ``spec`` is needed (``customization_type`` and ``split`` are ignored),
    ``require_reference`` makes ``referenceResponse`` required and more than ``max_prompts`` records
    is an error (the ``options``: :class:`~bedrock_ops.data._options.RecordOptions`).

    For ``customization_type=REINFORCEMENT_FINE_TUNING``: ``required_fields`` are record keys the reward function
    reads, ``max_prompt_tokens`` the job's ``maxPromptLength`` (prompts estimated longer are errors).

    With ``dataset_format=DatasetFormat.BATCH_RECORDS`` the file is a batch inference job's input: ``spec``
    (optional) names the model, ``body_format`` a key of ``batch_records.REQUIRED_KEYS`` (default: any non-empty
    ``modelInput``), ``batch_limits`` its quotas (default: none checked).
    """
    validator = _Validator(
        spec=spec,
        customization_type=customization_type,
        split=split,
        dataset_format=dataset_format,
        max_errors=max_errors,
        source=source,
        **options,
    )
    if max_line_bytes is not None:
        validator.max_line_bytes = max_line_bytes
    limit = validator.max_line_bytes
    handle = validator.line
    pending = b""
    skipping = False  # inside a line longer than the limit, discarding until its end
    line_no = 0
    offset = 0  # file offset of the first byte of `pending`
    nbytes = 0
    for chunk in chunks:
        if not chunk:
            continue
        nbytes += len(chunk)
        if progress is not None:
            progress(len(chunk))
        if skipping:
            cut = chunk.find(b"\n")
            if cut < 0:
                offset += len(chunk)
                continue
            skipping = False
            offset += cut + 1
            data = chunk[cut + 1 :]
        else:
            data = pending + chunk if pending else chunk
        parts = data.split(b"\n")
        pending = parts.pop()
        for raw in parts:
            line_no += 1
            if len(raw) > limit:
                validator.oversized(line_no)
            else:
                handle(raw, line_no, offset)
            offset += len(raw) + 1
        if len(pending) > limit:
            line_no += 1
            validator.oversized(line_no)
            offset += len(pending)
            pending = b""
            skipping = True
    if pending and not skipping:
        line_no += 1
        handle(pending, line_no, offset)
    return validator.finish(nbytes)


def _line_pattern(reserved: tuple[str, ...]) -> re.Pattern[str]:
    """A regex matching a line whose fields may hold a reserved string: its JSON-escaped form, or \\u.

    The alternatives share their common prefix explicitly (a backslash for Claude's strings), which
    lets the regex engine skip quickly to candidate positions.
    """
    needles = ["\\u", *(json.dumps(r, ensure_ascii=False)[1:-1] for r in reserved)]
    prefix = needles[0]
    for needle in needles[1:]:
        while not needle.startswith(prefix):
            prefix = prefix[:-1]
    rest = "|".join(re.escape(n[len(prefix) :]) for n in needles)
    return re.compile(f"{re.escape(prefix)}(?:{rest})")
