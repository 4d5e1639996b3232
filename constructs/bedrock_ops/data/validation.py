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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from bedrock_ops.models.registry import (
    CustomizationType,
    DatasetFormat,
    ModelRegistry,
    ModelSpec,
    detect_format,
)

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

DEFAULT_MAX_ERRORS = 100
"""Errors kept in a report by default (all errors are counted)."""
MAX_EVALUATION_PROMPTS = 1000
"""Prompts a model evaluation job reads from one custom prompt dataset (the Bedrock user guide's limit)."""

_CHUNK = 1 << 20
# The scanner json.loads uses, called directly: the per-line cost of json.loads minus its wrapper.
_SCAN: Callable[[str, int], tuple[Any, int]] = getattr(json.JSONDecoder(), "scan_once")  # noqa: B009
_BOM = b"\xef\xbb\xbf"
_ROLES = ("user", "assistant")
_CONVERSE_SCHEMA = "bedrock-conversation-2024"
_IMAGE_FORMATS = frozenset({"png", "jpeg", "gif", "webp"})
_VIDEO_FORMATS = frozenset({"mkv", "mov", "mp4", "webm", "three_gp", "flv", "mpeg", "mpg", "wmv"})
# Bytes one character can take in a JSON line (a six-byte \u escape): lines longer than the token limit
# allows even at this size are rejected without being buffered.
_MAX_BYTES_PER_CHAR = 6
_LINE_SLACK = 64 * 1024
_DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024
_EVALUATION_KEYS = ("category", "modelResponses", "prompt", "referenceResponse")
_MAX_MODEL_RESPONSES = 2
# Evaluation prompts train no model: no reserved strings, token limits or quotas of one apply.
_NO_MODEL = ModelSpec(model_id="evaluation", display_name="model evaluation")


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

    ``base_model``, ``customization_type`` and ``split`` are None for evaluation prompts (which train no
    model; ``base_model`` may name the evaluated model). ``warnings`` (the first ``max_errors`` kept) do not
    fail the file; ``with_reference`` and ``categories`` count the evaluation prompts' ``referenceResponse``
    fields and ``category`` values.
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
        if self.customization_type is None:
            data.update(with_reference=self.with_reference, categories=self.categories)
        return data

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def format_text(self) -> str:
        """Human-readable report: a verdict line and one line per kept error."""
        tokens = (
            f"tokens/record min {self.token_min} mean {self.token_mean} max {self.token_max}"
            if self.token_min is not None
            else "no tokens measured"
        )
        target = (
            f"{self.with_reference} with referenceResponse, {len(self.categories)} categories"
            if self.customization_type is None
            else f"{self.base_model} {self.customization_type.value} {self.split}"
        )
        lines = [
            f"{self.source}: {self.verdict.upper()} ({self.records} records, {self.bytes} bytes, "
            f"{tokens}; format {self.dataset_format.value if self.dataset_format else 'unknown'}, {target})"
        ]
        for issue in self.errors:
            where = f"line {issue.line}" if issue.line is not None else "file"
            what = f"{issue.field}: " if issue.field else ""
            lines.append(f"{self.source}:{where}: {what}{issue.message}")
        hidden = self.error_count - len(self.errors)
        if hidden > 0:
            lines.append(f"... and {hidden} more errors ({self.error_count} in total)")
        lines.extend(f"{self.source}:line {w.line}: warning: {w.field}: {w.message}" for w in self.warnings)
        return "\n".join(lines)


_Checker = Callable[[dict[str, Any], int], int | None]


class _Validator:
    """State of one streaming validation; ``feed`` lines, then ``finish``."""

    def __init__(
        self,
        *,
        spec: ModelSpec | None,
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
        self.max_tokens = spec.max_tokens_per_record
        if spec.max_tokens_per_record:
            chars = math.ceil(spec.max_tokens_per_record * spec.chars_per_token)
            self.max_line_bytes = chars * _MAX_BYTES_PER_CHAR + _LINE_SLACK
        else:
            self.max_line_bytes = _DEFAULT_MAX_LINE_BYTES

    # -- errors ------------------------------------------------------------------------------
    def err(self, line: int | None, fld: str | None, message: str) -> None:
        report = self.report
        report.error_count += 1
        if len(report.errors) < report.max_errors:
            report.errors.append(ValidationIssue(line, fld, message))

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
            self.err(line_no, None, f"each line must be a JSON object, got a JSON {_json_type(obj)}")
            return
        if self.reserved and self.line_test:
            self.scan = self.line_pattern.search(text) is not None
        checker = self.checker
        if checker is None:
            checker = self._choose(obj)
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
    def _text(self, obj: Mapping[str, Any], key: str, ln: int, path: str) -> int | None:
        """Check a required non-empty string field; return its length (None when bad)."""
        value = obj.get(key)
        if type(value) is str:
            if not value or value.isspace():
                self.err(ln, path, "must not be empty")
                return None
            if self.scan and self._may_hold_reserved(value):
                self._reserved(value, ln, path)
            return len(value)
        if value is None and key not in obj:
            self.err(ln, path, "required field is missing")
        else:
            self.err(ln, path, f"must be a string, got {_json_type(value)}")
        return None

    def _may_hold_reserved(self, value: str) -> bool:
        return any(lead in value for lead in self.reserved_leads)

    def _reserved(self, value: str, ln: int, path: str) -> None:
        for reserved in self.reserved:
            if reserved in value:
                self.err(
                    ln,
                    path,
                    f"contains the reserved string {reserved!r}, which {self.spec.model_id} rejects",
                )

    # -- formats -----------------------------------------------------------------------------
    def _instruction(self, obj: dict[str, Any], ln: int) -> int | None:
        prompt = self._text(obj, "prompt", ln, "prompt")
        completion = self._text(obj, "completion", ln, "completion")
        spec = self.spec
        if prompt is not None and spec.max_input_tokens is not None:
            tokens = math.ceil(prompt / self.cpt)
            if tokens > spec.max_input_tokens:
                self.err(
                    ln,
                    "prompt",
                    f"prompt is about {tokens} tokens; {spec.model_id} allows at most "
                    f"{spec.max_input_tokens} input tokens",
                )
        if completion is not None and spec.max_output_tokens is not None:
            tokens = math.ceil(completion / self.cpt)
            if tokens > spec.max_output_tokens:
                self.err(
                    ln,
                    "completion",
                    f"completion is about {tokens} tokens; {spec.model_id} allows at most "
                    f"{spec.max_output_tokens} output tokens",
                )
        if prompt is None or completion is None:
            return None
        return prompt + completion

    def _cpt(self, obj: dict[str, Any], ln: int) -> int | None:
        return self._text(obj, "input", ln, "input")

    def _claude(self, obj: dict[str, Any], ln: int) -> int | None:
        chars = 0
        ok = True
        if "system" in obj:
            system = obj["system"]
            if type(system) is str:
                chars += len(system)
                if self.scan and self._may_hold_reserved(system):
                    self._reserved(system, ln, "system")
            else:
                self.err(ln, "system", f"must be a string, got {_json_type(system)}")
                ok = False
        messages = self._messages(obj, ln)
        if messages is None:
            return None
        prev: str | None = None
        scan = self.scan
        lead = self.lead
        reserved = self.reserved
        for i, message in enumerate(messages):
            # Fast path: a well-formed turn in the expected order, free of reserved strings.
            if type(message) is dict:
                role = message.get("role")
                content = message.get("content")
                if (
                    role == ("assistant" if prev == "user" else "user")
                    and type(content) is str
                    and content
                    and not content.isspace()
                    and (not scan or (lead is not None and (lead not in content or _free_of(content, reserved))))
                ):
                    chars += len(content)
                    prev = role
                    continue
            path = f"messages[{i}]"
            if type(message) is not dict:
                self.err(ln, path, f"must be an object with role and content, got {_json_type(message)}")
                ok = False
                continue
            prev = self._role(message, ln, path, i, prev)
            if prev is None:
                ok = False
            size = self._text(message, "content", ln, path + ".content")
            if size is None:
                ok = False
            else:
                chars += size
        if not self._ends_with_assistant(messages, ln):
            ok = False
        return chars if ok else None

    def _converse(self, obj: dict[str, Any], ln: int) -> int | None:
        return self._converse_like(obj, ln, distillation=False)

    def _distillation(self, obj: dict[str, Any], ln: int) -> int | None:
        return self._converse_like(obj, ln, distillation=True)

    def _converse_like(self, obj: dict[str, Any], ln: int, *, distillation: bool) -> int | None:
        ok = True
        chars = 0
        version = obj.get("schemaVersion")
        required = _CONVERSE_SCHEMA if distillation else self.spec.converse_schema_version
        if type(version) is not str:
            if version is None and "schemaVersion" not in obj:
                self.err(ln, "schemaVersion", "required field is missing")
            else:
                self.err(ln, "schemaVersion", f"must be a string, got {_json_type(version)}")
            ok = False
        elif required is not None and version != required:
            self.err(ln, "schemaVersion", f"must be {required!r}, got {version!r}")
            ok = False
        if "system" in obj:
            size = self._converse_system(obj["system"], ln)
            if size is None:
                ok = False
            else:
                chars += size
        messages = self._messages(obj, ln)
        if messages is None:
            return None
        prev: str | None = None
        users = 0
        for i, message in enumerate(messages):
            path = f"messages[{i}]"
            if type(message) is not dict:
                self.err(ln, path, f"must be an object with role and content, got {_json_type(message)}")
                ok = False
                continue
            prev = self._role(message, ln, path, i, prev)
            if prev is None:
                ok = False
            elif prev == "user":
                users += 1
            size = self._blocks(message, ln, path)
            if size is None:
                ok = False
            else:
                chars += size
        if distillation:
            if users > 1 and not self.spec.multi_turn_distillation:
                self.err(
                    ln,
                    "messages",
                    f"{self.spec.model_id} distillation prompts are single-turn: one user turn, "
                    f"optionally followed by one assistant answer; got {users} user turns",
                )
                ok = False
        elif not self._ends_with_assistant(messages, ln):
            ok = False
        return chars if ok else None

    def _converse_system(self, system: Any, ln: int) -> int | None:
        if type(system) is not list:
            self.err(ln, "system", f'must be a list of {{"text": ...}} blocks, got {_json_type(system)}')
            return None
        chars = 0
        ok = True
        for i, block in enumerate(system):
            path = f"system[{i}]"
            if type(block) is not dict:
                self.err(ln, path, f'must be an object {{"text": ...}}, got {_json_type(block)}')
                ok = False
                continue
            size = self._text(block, "text", ln, path + ".text")
            if size is None:
                ok = False
            else:
                chars += size
        return chars if ok else None

    def _blocks(self, message: Mapping[str, Any], ln: int, path: str) -> int | None:
        content = message.get("content")
        cpath = path + ".content"
        if type(content) is not list:
            if content is None and "content" not in message:
                self.err(ln, cpath, "required field is missing")
            else:
                self.err(ln, cpath, f"must be a list of content blocks, got {_json_type(content)}")
            return None
        if not content:
            self.err(ln, cpath, "must hold at least one content block")
            return None
        chars = 0
        ok = True
        scan = self.scan
        lead = self.lead
        reserved = self.reserved
        for j, block in enumerate(content):
            if type(block) is dict and len(block) == 1:
                text = block.get("text")
                if (
                    type(text) is str
                    and text
                    and not text.isspace()
                    and (not scan or (lead is not None and (lead not in text or _free_of(text, reserved))))
                ):
                    chars += len(text)
                    continue
            bpath = f"{cpath}[{j}]"
            if type(block) is not dict or len(block) != 1:
                self.err(
                    ln,
                    bpath,
                    f"must be an object with exactly one of text, image or video, got {_describe_block(block)}",
                )
                ok = False
                continue
            if "text" in block:
                size = self._text(block, "text", ln, bpath + ".text")
                if size is None:
                    ok = False
                else:
                    chars += size
            elif "image" in block:
                ok = self._media(block["image"], _IMAGE_FORMATS, ln, bpath + ".image") and ok
            elif "video" in block:
                ok = self._media(block["video"], _VIDEO_FORMATS, ln, bpath + ".video") and ok
            else:
                name = next(iter(block))
                self.err(ln, bpath, f"unknown content block {name!r}; allowed: text, image, video")
                ok = False
        return chars if ok else None

    def _media(self, media: Any, formats: frozenset[str], ln: int, path: str) -> bool:
        if type(media) is not dict:
            self.err(ln, path, f"must be an object with format and source, got {_json_type(media)}")
            return False
        ok = True
        fmt = media.get("format")
        if fmt not in formats:
            self.err(ln, path + ".format", f"must be one of {', '.join(sorted(formats))}, got {fmt!r}")
            ok = False
        source = media.get("source")
        uri = None
        if type(source) is dict and type(source.get("s3Location")) is dict:
            uri = source["s3Location"].get("uri")
        if type(uri) is not str or not uri.startswith("s3://") or len(uri) <= len("s3://"):
            self.err(
                ln,
                path + ".source.s3Location.uri",
                f"must be an s3:// URI of an object in the dataset's bucket, got {uri!r}",
            )
            ok = False
        return ok

    def _messages(self, obj: Mapping[str, Any], ln: int) -> list[Any] | None:
        messages = obj.get("messages")
        if type(messages) is not list:
            if messages is None and "messages" not in obj:
                self.err(ln, "messages", "required field is missing")
            else:
                self.err(ln, "messages", f"must be a list of turns, got {_json_type(messages)}")
            return None
        if not messages:
            self.err(ln, "messages", "must hold at least one user turn followed by an assistant turn")
            return None
        return messages

    def _role(self, message: Mapping[str, Any], ln: int, path: str, index: int, prev: str | None) -> str | None:
        role = message.get("role")
        if role not in _ROLES:
            if role is None and "role" not in message:
                self.err(ln, path + ".role", "required field is missing")
            else:
                self.err(ln, path + ".role", f"unknown role {role!r}; allowed: user, assistant")
            return None
        if index == 0 and role != "user":
            self.err(ln, path + ".role", f"the first turn must be from the user, got {role!r}")
            return None
        if role == prev:
            self.err(
                ln,
                path + ".role",
                f"roles must alternate user/assistant; two {role!r} turns in a row",
            )
            return None
        return str(role)

    def _ends_with_assistant(self, messages: list[Any], ln: int) -> bool:
        last = messages[-1]
        if type(last) is dict and last.get("role") != "assistant":
            self.err(
                ln,
                f"messages[{len(messages) - 1}].role",
                "the last turn must be from the assistant (the response to train on)",
            )
            return False
        return True

    def _evaluation(self, obj: dict[str, Any], ln: int) -> int | None:
        report = self.report
        chars = self._text(obj, "prompt", ln, "prompt")
        reference = obj.get("referenceResponse")
        if reference is None:
            if self.require_reference:
                self.err(ln, "referenceResponse", "required for the chosen metrics (the expected answer)")
        elif type(reference) is str:
            report.with_reference += 1
        else:
            self.err(ln, "referenceResponse", f"must be a string, got {_json_type(reference)}")
        category = obj.get("category")
        if category is not None:
            if type(category) is str and category:
                report.categories[category] = report.categories.get(category, 0) + 1
            else:
                self.err(ln, "category", f"must be a non-empty string, got {category!r}"[:120])
        responses = obj.get("modelResponses")
        if responses is not None:
            if type(responses) is not list or not 1 <= len(responses) <= _MAX_MODEL_RESPONSES:
                self.err(
                    ln,
                    "modelResponses",
                    f"must be a list of 1-{_MAX_MODEL_RESPONSES} {{response, modelIdentifier}} objects",
                )
            else:
                for i, item in enumerate(responses):
                    path = f"modelResponses[{i}]"
                    if type(item) is not dict or type(item.get("response")) is not str:
                        self.err(ln, path + ".response", "required: a string")
                    elif type(item.get("modelIdentifier")) is not str or not item["modelIdentifier"]:
                        self.err(ln, path + ".modelIdentifier", "required: the name of the response's source")
        unknown = sorted(set(obj).difference(_EVALUATION_KEYS))
        if unknown and len(report.warnings) < report.max_errors:
            expected = ", ".join(_EVALUATION_KEYS)
            report.warnings.append(ValidationIssue(ln, unknown[0], f"unknown key; expected {expected}"))
        return chars

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
    spec: ModelSpec | None = None,
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
    base_model: str | ModelSpec | None = None,
    customization_type: CustomizationType | str = CustomizationType.FINE_TUNING,
    split: DatasetSplit | str = DatasetSplit.TRAINING,
    registry: ModelRegistry | None = None,
    dataset_format: DatasetFormat | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = _CHUNK,
    max_line_bytes: int | None = None,
    require_reference: bool = False,
    max_prompts: int = MAX_EVALUATION_PROMPTS,
) -> ValidationReport:
    """Validate the JSONL file at ``path`` for ``base_model`` (an id or a :class:`ModelSpec`).

    For ``dataset_format=DatasetFormat.EVALUATION_PROMPTS`` (see :func:`validate_stream`) ``base_model``
    is optional and not looked up: it only names the evaluated model in the report.
    Raises ``UnknownModelError`` for an unknown model id, ``OSError`` when the file cannot be read.
    """
    evaluation = dataset_format is DatasetFormat.EVALUATION_PROMPTS
    spec = base_model
    if isinstance(spec, str) and not evaluation:
        spec = (registry or ModelRegistry.load()).resolve(spec)
    ctype = (
        customization_type
        if isinstance(customization_type, CustomizationType)
        else CustomizationType.parse(customization_type)
    )
    report = validate_stream(
        iter_file_chunks(path, chunk_size),
        spec=spec if isinstance(spec, ModelSpec) else None,
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


def check_totals(
    spec: ModelSpec,
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


def _free_of(text: str, reserved: tuple[str, ...]) -> bool:
    return all(string not in text for string in reserved)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _describe_block(block: Any) -> str:
    if type(block) is dict:
        return f"keys {sorted(block)}" if block else "an empty object"
    return f"a JSON {_json_type(block)}"
