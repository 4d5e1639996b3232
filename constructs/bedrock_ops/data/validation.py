"""Streaming validation of Bedrock datasets (JSONL), the single validator core.

Customization datasets are checked against a base model's rules; the custom prompt datasets of model
evaluation jobs (``DatasetFormat.EVALUATION_PROMPTS``) against the evaluation format, without a model.

Standard library only, used by the ``bedrock-ops validate-dataset`` command, the synth-time
check of datasets declared in the configuration and the ``dataset_validator`` Lambda (which
ships this module in its asset). Input is read as bytes in chunks and split into lines here, so
memory stays constant whatever the file size and bad UTF-8 is reported with its line and byte
offset. CRLF line endings are accepted.

    report = validate_file("train.jsonl", base_model="amazon.nova-micro-v1:0")
    if not report.valid:
        print(report.format_text())
    report = validate_file("prompts.jsonl", dataset_format=DatasetFormat.EVALUATION_PROMPTS)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from bedrock_ops.data._records import RecordRules, json_type
from bedrock_ops.data._report import (
    DEFAULT_MAX_ERRORS,
    MAX_EVALUATION_PROMPTS,
    DatasetSplit,
    ValidationIssue,
    ValidationReport,
    check_totals,
)
from bedrock_ops.models.facts import CustomizationType, DatasetFormat, ModelEntry, detect_format
from bedrock_ops.models.knowledge import ModelKnowledgeBase, load_models

__all__ = [
    "DEFAULT_MAX_ERRORS",
    "MAX_EVALUATION_PROMPTS",
    "DatasetSplit",
    "ValidationIssue",
    "ValidationReport",
    "check_totals",
    "iter_file_chunks",
    "validate_file",
    "validate_stream",
]

_CHUNK = 1 << 20
# The scanner json.loads uses, called directly: the per-line cost of json.loads minus its wrapper.
_SCAN: Callable[[str, int], tuple[Any, int]] = getattr(json.JSONDecoder(), "scan_once")  # noqa: B009
_BOM = b"\xef\xbb\xbf"
# Bytes one character can take in a JSON line (a six-byte \u escape): lines longer than the token limit
# allows even at this size are rejected without being buffered.
_MAX_BYTES_PER_CHAR = 6
_LINE_SLACK = 64 * 1024
_DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024
# Evaluation prompts train no model: no reserved strings, token limits or quotas of one apply.
_NO_MODEL = ModelEntry(model_id="evaluation", provider="", name="model evaluation")


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
        require_reference: bool = False,
        max_prompts: int = MAX_EVALUATION_PROMPTS,
    ) -> None:
        self.evaluation = dataset_format is DatasetFormat.EVALUATION_PROMPTS
        self.require_reference = require_reference
        self.max_prompts = max_prompts
        if self.evaluation:
            spec = _NO_MODEL
            formats: tuple[DatasetFormat, ...] = (DatasetFormat.EVALUATION_PROMPTS,)
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
            base_model=None if self.evaluation else spec.model_id,
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
        return {
            DatasetFormat.INSTRUCTION: self._instruction,
            DatasetFormat.CLAUDE_CONVERSATION: self._claude,
            DatasetFormat.CONVERSE: self._converse,
            DatasetFormat.CONTINUED_PRE_TRAINING: self._cpt,
            DatasetFormat.DISTILLATION_PROMPTS: self._distillation,
            DatasetFormat.EVALUATION_PROMPTS: self._evaluation,
        }[fmt]

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
    require_reference: bool = False,
    max_prompts: int = MAX_EVALUATION_PROMPTS,
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
    is an error.
    """
    validator = _Validator(
        spec=spec,
        customization_type=customization_type,
        split=split,
        dataset_format=dataset_format,
        max_errors=max_errors,
        source=source,
        require_reference=require_reference,
        max_prompts=max_prompts,
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


def iter_file_chunks(path: str | Path, chunk_size: int = _CHUNK) -> Iterator[bytes]:
    """Yield the bytes of ``path`` in chunks of ``chunk_size``."""
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            yield chunk


def validate_file(
    path: str | Path,
    *,
    base_model: str | ModelEntry | None = None,
    customization_type: CustomizationType | str = CustomizationType.FINE_TUNING,
    split: DatasetSplit | str = DatasetSplit.TRAINING,
    models: ModelKnowledgeBase | None = None,
    dataset_format: DatasetFormat | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = _CHUNK,
    max_line_bytes: int | None = None,
    require_reference: bool = False,
    max_prompts: int = MAX_EVALUATION_PROMPTS,
) -> ValidationReport:
    """Validate the JSONL file at ``path`` for ``base_model`` (an id or a :class:`ModelEntry`).

    For ``dataset_format=DatasetFormat.EVALUATION_PROMPTS`` (see :func:`validate_stream`) ``base_model``
    is optional and not looked up: it only names the evaluated model in the report.
    Raises ``UnknownModelError`` for an unknown model id, ``OSError`` when the file cannot be read.
    """
    evaluation = dataset_format is DatasetFormat.EVALUATION_PROMPTS
    spec = base_model
    if isinstance(spec, str) and not evaluation:
        spec = (models or load_models()).resolve(spec, prop="base_model")
    ctype = (
        customization_type
        if isinstance(customization_type, CustomizationType)
        else CustomizationType.parse(customization_type)
    )
    report = validate_stream(
        iter_file_chunks(path, chunk_size),
        spec=spec if isinstance(spec, ModelEntry) else None,
        customization_type=ctype,
        split=DatasetSplit(split),
        dataset_format=dataset_format,
        max_errors=max_errors,
        source=str(path),
        progress=progress,
        max_line_bytes=max_line_bytes,
        require_reference=require_reference,
        max_prompts=max_prompts,
    )
    if evaluation and base_model is not None:
        report.base_model = str(getattr(base_model, "model_id", base_model))
    return report


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
