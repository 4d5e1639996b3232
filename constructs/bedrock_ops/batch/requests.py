"""Batch inference input: one JSONL record ``{"recordId", "modelInput"}`` per prompt, per model.

``modelInput`` is the request body the model takes (UG batch-inference-data, "Format and upload your batch
inference data", https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-data.html, as of
2026-11): with the job's ``modelInvocationType=InvokeModel`` (the default) the model's native
``InvokeModel`` body, with ``Converse`` the Converse request body. ``recordId`` is optional (Bedrock adds
one) and the output order is not guaranteed to match the input's, so every record here carries one.

The native bodies, from the model parameter pages of the user guide (as of 2026-11):

- Anthropic Claude (Messages API, UG model-parameters-anthropic-claude-messages):
  ``{"anthropic_version": "bedrock-2023-05-31", "max_tokens", "messages": [{"role", "content": [{"type":
  "text", "text"}]}], "system"?: str, "temperature"?}``;
- Amazon Nova (Nova user guide, complete-request-schema): ``{"schemaVersion": "messages-v1", "messages":
  [{"role", "content": [{"text"}]}], "system"?: [{"text"}], "inferenceConfig": {"maxTokens", "temperature"?}}``;
- Amazon Titan Text (UG model-parameters-titan-text): ``{"inputText", "textGenerationConfig": {"maxTokenCount",
  "temperature"?}}`` (no system prompt: it is prepended to the text);
- Meta Llama 3.x (UG model-parameters-meta): ``{"prompt", "max_gen_len", "temperature"?}`` with the Llama 3
  instruct template (``<|begin_of_text|><|start_header_id|>user<|end_header_id|>...``);
- Mistral (UG model-parameters-mistral-text-completion): ``{"prompt": "<s>[INST] ... [/INST]", "max_tokens",
  "temperature"?}``.

Other providers: use ``BatchFormat.CONVERSE`` (the Converse body works for every model Converse serves).
Standard library only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = [
    "ANTHROPIC_VERSION",
    "BatchFormat",
    "BatchRequestError",
    "InferenceSettings",
    "batch_records",
    "model_input",
    "native_format_of",
    "record_id",
    "write_batch_file",
]

ANTHROPIC_VERSION = "bedrock-2023-05-31"
"""The ``anthropic_version`` of Claude's Messages API on Bedrock (UG model-parameters-anthropic-claude-messages)."""

RECORD_ID_WIDTH = 11
"""Record ids are 11 alphanumeric characters, as in the user guide's example (``CALL0000001``)."""


class BatchRequestError(ValueError):
    """A model whose native request format is not known, or a bad setting; the message says what to do."""


class BatchFormat(StrEnum):
    """``modelInvocationType`` of ``CreateModelInvocationJob`` (botocore 1.44: ``InvokeModel`` | ``Converse``)."""

    NATIVE = "InvokeModel"
    CONVERSE = "Converse"


@dataclass(frozen=True)
class InferenceSettings:
    """What every record asks for: a system prompt, the most output tokens, the temperature."""

    system: str | None = None
    max_tokens: int = 512
    temperature: float | None = None

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise BatchRequestError(f"max_tokens must be at least 1, got {self.max_tokens}")
        if self.temperature is not None and not 0 <= self.temperature <= 1:
            raise BatchRequestError(f"temperature must be 0-1, got {self.temperature}")


def _temperature(body: dict[str, Any], key: str, settings: InferenceSettings) -> dict[str, Any]:
    if settings.temperature is not None:
        body[key] = settings.temperature
    return body


def _anthropic(prompt: str, s: InferenceSettings) -> dict[str, Any]:
    body: dict[str, Any] = {
        "anthropic_version": ANTHROPIC_VERSION,
        "max_tokens": s.max_tokens,
        "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
    }
    if s.system:
        body["system"] = s.system
    return _temperature(body, "temperature", s)


def _nova(prompt: str, s: InferenceSettings) -> dict[str, Any]:
    config: dict[str, Any] = _temperature({"maxTokens": s.max_tokens}, "temperature", s)
    body: dict[str, Any] = {
        "schemaVersion": "messages-v1",
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": config,
    }
    if s.system:
        body["system"] = [{"text": s.system}]
    return body


def _titan(prompt: str, s: InferenceSettings) -> dict[str, Any]:
    text = f"{s.system}\n\n{prompt}" if s.system else prompt
    config: dict[str, Any] = _temperature({"maxTokenCount": s.max_tokens}, "temperature", s)
    return {"inputText": text, "textGenerationConfig": config}


def _llama(prompt: str, s: InferenceSettings) -> dict[str, Any]:
    turns = "<|begin_of_text|>"
    if s.system:
        turns += f"<|start_header_id|>system<|end_header_id|>\n\n{s.system}<|eot_id|>"
    turns += f"<|start_header_id|>user<|end_header_id|>\n\n{prompt}<|eot_id|>"
    turns += "<|start_header_id|>assistant<|end_header_id|>\n\n"
    return _temperature({"prompt": turns, "max_gen_len": s.max_tokens}, "temperature", s)


def _mistral(prompt: str, s: InferenceSettings) -> dict[str, Any]:
    text = f"{s.system}\n\n{prompt}" if s.system else prompt
    return _temperature({"prompt": f"<s>[INST] {text} [/INST]", "max_tokens": s.max_tokens}, "temperature", s)


_NATIVE: tuple[tuple[re.Pattern[str], str, Callable[[str, InferenceSettings], dict[str, Any]]], ...] = (
    (re.compile(r"^anthropic\.claude"), "anthropic-messages", _anthropic),
    (re.compile(r"^amazon\.nova-(?!canvas|reel|sonic)"), "nova-messages-v1", _nova),
    (re.compile(r"^amazon\.titan-text"), "titan-text", _titan),
    (re.compile(r"^meta\.llama3"), "llama3-prompt", _llama),
    (re.compile(r"^mistral\.(mistral|mixtral)"), "mistral-prompt", _mistral),
)


def native_format_of(base_model_id: str | None) -> str | None:
    """The name of ``base_model_id``'s native request format here, or None when none is known."""
    for pattern, name, _ in _NATIVE:
        if base_model_id and pattern.search(base_model_id):
            return name
    return None


def model_input(
    base_model_id: str | None, prompt: str, settings: InferenceSettings, batch_format: BatchFormat
) -> dict[str, Any]:
    """The ``modelInput`` of one record."""
    if batch_format is BatchFormat.CONVERSE:
        body: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": prompt}]}]}
        if settings.system:
            body["system"] = [{"text": settings.system}]
        body["inferenceConfig"] = _temperature({"maxTokens": settings.max_tokens}, "temperature", settings)
        return body
    for pattern, _, build in _NATIVE:
        if base_model_id and pattern.search(base_model_id):
            return build(prompt, settings)
    known = ", ".join(name for _, name, _ in _NATIVE)
    raise BatchRequestError(
        f"no native request format is known here for {base_model_id or 'this model'!r} (known: {known}); "
        "use --batch-format converse (modelInvocationType=Converse), which works for every Converse model"
    )


def record_id(index: int) -> str:
    """The record id of the ``index``-th prompt (0-based): ``P`` and ten digits."""
    if not 0 <= index < 10 ** (RECORD_ID_WIDTH - 1):
        raise BatchRequestError(f"record index must be 0-{10 ** (RECORD_ID_WIDTH - 1) - 1}, got {index}")
    return f"P{index:0{RECORD_ID_WIDTH - 1}d}"


def batch_records(
    base_model_id: str | None, prompts: Iterable[str], settings: InferenceSettings, batch_format: BatchFormat
) -> Iterator[dict[str, Any]]:
    """``{"recordId", "modelInput"}`` for each prompt, in order."""
    for index, prompt in enumerate(prompts):
        yield {"recordId": record_id(index), "modelInput": model_input(base_model_id, prompt, settings, batch_format)}


def write_batch_file(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write ``records`` as JSONL (one compact object per line, UTF-8); returns the number written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with target.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


def slug(model: str) -> str:
    """A file- and key-safe name for a model identifier (``us.anthropic.claude-3-haiku-...`` kept readable)."""
    tail = model.rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9.-]+", "-", tail).strip("-.") or "model"


def job_name(prefix: str, model: str, stamp: str, *, max_length: int = 63) -> str:
    """A ``CreateModelInvocationJob`` job name: ``<prefix>-<model>-<stamp>``, cut to 63 characters and to the
    API's pattern ``[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\\-.]){0,63}`` (botocore 1.44)."""
    raw = f"{prefix}-{slug(model)}"
    room = max_length - len(stamp) - 1
    base = re.sub(r"[^a-zA-Z0-9+.-]", "-", raw)[:room].rstrip("-.+")
    base = re.sub(r"^[^a-zA-Z0-9]+", "", base) or "batch"
    return f"{base}-{stamp}"
