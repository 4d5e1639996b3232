"""Per-format record rules of the dataset validator: instruction, Claude conversation, Converse,
continued pre-training and distillation prompts (evaluation prompts: ``_evaluation_records``, RFT prompts:
``rft_records``, batch inference input: ``batch_records``).

Standard library only (staged into the dataset validator Lambda asset). ``RecordRules`` is the part of
the streaming validator (``bedrock_ops.data.validation``) that checks one parsed record; each rule
returns the record's character count (for the token estimate) or None when it is invalid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bedrock_ops.data._report import ValidationIssue, ValidationReport
from bedrock_ops.models.facts import CustomizationType, ModelEntry

CONVERSE_SCHEMA = "bedrock-conversation-2024"
_ROLES = ("user", "assistant")
_IMAGE_FORMATS = frozenset({"png", "jpeg", "gif", "webp"})
_VIDEO_FORMATS = frozenset({"mkv", "mov", "mp4", "webm", "three_gp", "flv", "mpeg", "mpg", "wmv"})


class RecordRules:
    """The record checks; the validator sets the state they read and implements ``err``."""

    spec: ModelEntry
    ctype: CustomizationType
    report: ValidationReport
    reserved: tuple[str, ...]
    scan: bool
    reserved_leads: str
    lead: str | None
    cpt: float
    videos: int
    """Videos of the current record."""
    media_kind: str | None
    media_bucket: str | None

    def err(self, line: int | None, fld: str | None, message: str) -> None:
        """Record an error (the first ``max_errors`` are kept, all are counted)."""
        report = self.report
        report.error_count += 1
        if len(report.errors) < report.max_errors:
            report.errors.append(ValidationIssue(line, fld, message))

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
            self.err(ln, path, f"must be a string, got {json_type(value)}")
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
                self.err(ln, "system", f"must be a string, got {json_type(system)}")
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
                self.err(ln, path, f"must be an object with role and content, got {json_type(message)}")
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
        required = CONVERSE_SCHEMA if distillation else self.spec.converse_schema_version
        if type(version) is not str:
            if version is None and "schemaVersion" not in obj:
                self.err(ln, "schemaVersion", "required field is missing")
            else:
                self.err(ln, "schemaVersion", f"must be a string, got {json_type(version)}")
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
                self.err(ln, path, f"must be an object with role and content, got {json_type(message)}")
                ok = False
                continue
            prev = self._role(message, ln, path, i, prev)
            if prev is None:
                ok = False
            elif prev == "user":
                users += 1
            scan = self.scan
            if prev == "assistant" and self.spec.reserved_in_prompts_only:
                self.scan = False  # reserved in user and system prompts only
            size = self._blocks(message, ln, path)
            self.scan = scan
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
            self.err(ln, "system", f'must be a list of {{"text": ...}} blocks, got {json_type(system)}')
            return None
        chars = 0
        ok = True
        for i, block in enumerate(system):
            path = f"system[{i}]"
            if type(block) is not dict:
                self.err(ln, path, f'must be an object {{"text": ...}}, got {json_type(block)}')
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
                self.err(ln, cpath, f"must be a list of content blocks, got {json_type(content)}")
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
                ok = self._media(block["image"], "image", ln, bpath + ".image") and ok
            elif "video" in block:
                ok = self._media(block["video"], "video", ln, bpath + ".video") and ok
            else:
                name = next(iter(block))
                self.err(ln, bpath, f"unknown content block {name!r}; allowed: text, image, video")
                ok = False
        return chars if ok else None

    def _media(self, media: Any, kind: str, ln: int, path: str) -> bool:
        formats = _VIDEO_FORMATS if kind == "video" else _IMAGE_FORMATS
        if type(media) is not dict:
            self.err(ln, path, f"must be an object with format and source, got {json_type(media)}")
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
            return False
        return self._media_rules(kind, uri[5:].partition("/")[0], ln, path) and ok

    def _media_rules(self, kind: str, bucket: str, ln: int, path: str) -> bool:
        """The model's media rules: videos per record, one modality per dataset, media in the dataset's bucket
        (the bucket of the dataset's S3 URI, else of its first medium)."""
        spec = self.spec
        problems = []
        if kind == "video":
            self.videos += 1
            if spec.max_videos_per_record is not None and self.videos > spec.max_videos_per_record:
                problems.append(f"at most {spec.max_videos_per_record} video per record")
        if spec.single_modality:
            self.media_kind = self.media_kind or kind
            if kind != self.media_kind:
                problems.append(f"images or videos in a dataset, not both (first medium: {self.media_kind})")
        if spec.media_in_dataset_bucket:
            self.media_bucket = self.media_bucket or bucket
            if bucket != self.media_bucket:
                problems.append(f"media from the dataset's bucket {self.media_bucket!r} only, got {bucket!r}")
        for problem in problems:
            self.err(ln, path, f"{spec.model_id} takes {problem}")
        return not problems

    def _messages(self, obj: Mapping[str, Any], ln: int) -> list[Any] | None:
        messages = obj.get("messages")
        if type(messages) is not list:
            if messages is None and "messages" not in obj:
                self.err(ln, "messages", "required field is missing")
            else:
                self.err(ln, "messages", f"must be a list of turns, got {json_type(messages)}")
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


def _free_of(text: str, reserved: tuple[str, ...]) -> bool:
    return all(string not in text for string in reserved)


def json_type(value: Any) -> str:
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
    return f"a JSON {json_type(block)}"
