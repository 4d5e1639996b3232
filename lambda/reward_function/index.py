"""Reward function (grader) for Bedrock reinforcement fine-tuning: built-in templates or the user's code.

**The contract, in one place** (the Bedrock user guide, reward-functions.html, "Lambda function implementation
details", read 2026-12-01): Bedrock invokes the function with a LIST of samples and expects a list back::

    in:  [{"id": "123", "messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}],
           "metadata": {"reference_answer": ..., "my_key": ...}}]
    out: [{"id": "123", "aggregate_reward_score": 0.85,
           "metrics_list": [{"name": "accuracy", "value": 0.9, "type": "Reward" | "Metric"}]}]

The last ``assistant`` message is the response to grade. Unconfirmed, so the adapter accepts both: the Nova 2 user
guide's variant puts ``reference_answer`` (and the dataset's other fields) at the top level of the sample instead of
under ``metadata``; a single sample object instead of a list; ``content`` as ``[{"text": ...}]``. The score range
is not documented: every template here scores in [0, 1].

Configuration (environment): ``REWARD_TEMPLATE`` = ``exact`` | ``normalized`` | ``json`` | ``numeric`` | ``regex``
| ``judge`` | ``custom`` and ``REWARD_CONFIG`` (JSON: ``reference_key``; ``schema`` for json; ``tolerance`` /
``relative_tolerance`` for numeric; ``pattern`` for regex; ``model_id``, ``rubric``, ``max_tokens`` for judge).
``custom`` imports the staged module ``user_reward``: its ``reward(response, sample) -> float | (float, dict)``
is adapted to the contract, or its ``lambda_handler(event, context)`` answers the event itself.
A sample that cannot be graded (no response) scores 0 with a ``malformed`` metric instead of failing the batch.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import re
import string
from typing import Any

from _runtime.clients import Clients
from _runtime.logs import log

TEMPLATES = ("exact", "normalized", "json", "numeric", "regex", "judge", "custom")
clients = Clients(max_attempts=8)
_NUMBER = re.compile(r"[-+]?(?:\d+(?:,\d{3})*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_SCORE = re.compile(r"SCORE\s*[:=]\s*([0-9]+(?:\.[0-9]+)?)", re.IGNORECASE)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
JUDGE_PROMPT = (
    "You grade a model's answer. Rubric:\n{rubric}\n\nQuestion:\n{question}\n\nReference answer:\n{reference}\n\n"
    "Answer to grade:\n{response}\n\nReply with one line 'SCORE: <0-10>' and nothing else."
)


class MalformedSample(ValueError):
    """A sample the adapter cannot grade (no assistant response)."""


# ------------------------------------------------------------------------------------------ contract


def samples_of(event: Any) -> list[dict[str, Any]]:
    """The samples of an invocation: a list, or one sample object."""
    if isinstance(event, list):
        return [s if isinstance(s, dict) else {} for s in event]
    return [event] if isinstance(event, dict) else []


def text_of(content: Any) -> str | None:
    """A message's text: a string, or the ``text`` blocks of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)]
        return "".join(parts) if parts else None
    return None


def response_of(sample: dict[str, Any]) -> str:
    """The last assistant message's text (raises ``MalformedSample``)."""
    messages = sample.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "assistant":
                text = text_of(message.get("content"))
                if text is not None:
                    return text
    raise MalformedSample("no assistant message with text content to grade")


def question_of(sample: dict[str, Any]) -> str:
    """The last user message's text (for the judge), or ''."""
    for message in reversed(sample.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return text_of(message.get("content")) or ""
    return ""


def fields_of(sample: dict[str, Any]) -> dict[str, Any]:
    """The dataset record's own fields: ``metadata`` (documented) merged over the top-level keys (Nova 2 variant)."""
    top = {k: v for k, v in sample.items() if k not in ("id", "messages", "metadata")}
    metadata = sample.get("metadata")
    return {**top, **(metadata if isinstance(metadata, dict) else {})}


def reference_of(sample: dict[str, Any], config: dict[str, Any]) -> Any:
    """The reference answer (``reference_key`` picks a key of an object; else its ``answer`` key if it has one)."""
    reference = fields_of(sample).get("reference_answer")
    key = config.get("reference_key")
    if isinstance(reference, dict):
        if key:
            return reference.get(key)
        if "answer" in reference:
            return reference["answer"]
    return reference


def output(sample_id: Any, score: float, metrics: dict[str, float], kind: str = "Reward") -> dict[str, Any]:
    """One result in the contract's shape (score clamped to a finite number)."""
    value = float(score) if isinstance(score, int | float) and math.isfinite(score) else 0.0
    return {
        "id": str(sample_id) if sample_id is not None else "",
        "aggregate_reward_score": value,
        "metrics_list": [{"name": n, "value": float(v), "type": kind} for n, v in metrics.items()],
    }


# ----------------------------------------------------------------------------------------- templates


def _normalize(text: str) -> str:
    table = str.maketrans("", "", string.punctuation)
    return " ".join(text.casefold().translate(table).split())


def grade_exact(response: str, sample: dict[str, Any], config: dict[str, Any]) -> float:
    return 1.0 if response.strip() == str(reference_of(sample, config)).strip() else 0.0


def grade_normalized(response: str, sample: dict[str, Any], config: dict[str, Any]) -> float:
    return 1.0 if _normalize(response) == _normalize(str(reference_of(sample, config))) else 0.0


def _parse_json(response: str) -> Any:
    fenced = _FENCE.search(response)
    return json.loads(fenced.group(1) if fenced else response)


def _schema_ok(value: Any, schema: dict[str, Any]) -> bool:
    """A small JSON Schema subset: type, enum, required, properties, items, minimum, maximum."""
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    kind = schema.get("type")
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int if kind == "integer" else int | float):
            return False
        if "minimum" in schema and value < schema["minimum"]:
            return False
        if "maximum" in schema and value > schema["maximum"]:
            return False
    elif kind is not None and not isinstance(value, kinds.get(kind, object)):
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if isinstance(value, dict):
        if any(name not in value for name in schema.get("required", ())):
            return False
        props = schema.get("properties", {})
        if not all(_schema_ok(value[k], s) for k, s in props.items() if k in value):
            return False
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return all(_schema_ok(v, schema["items"]) for v in value)
    return True


def grade_json(response: str, sample: dict[str, Any], config: dict[str, Any]) -> float:
    try:
        value = _parse_json(response)
    except ValueError:
        return 0.0
    return 1.0 if _schema_ok(value, config.get("schema") or {}) else 0.0


def _last_number(text: str) -> float | None:
    found = _NUMBER.findall(text)
    if not found:
        return None
    try:
        return float(found[-1].replace(",", ""))
    except ValueError:
        return None


def grade_numeric(response: str, sample: dict[str, Any], config: dict[str, Any]) -> float:
    reference = reference_of(sample, config)
    expected = float(reference) if isinstance(reference, int | float) else _last_number(str(reference))
    got = _last_number(response)
    if expected is None or got is None:
        return 0.0
    tolerance = max(float(config.get("tolerance", 1e-6)), float(config.get("relative_tolerance", 0)) * abs(expected))
    return 1.0 if abs(got - expected) <= tolerance else 0.0


def grade_regex(response: str, sample: dict[str, Any], config: dict[str, Any]) -> float:
    pattern = config.get("pattern") or str(reference_of(sample, config))
    return 1.0 if re.search(pattern, response, re.DOTALL) else 0.0


def grade_judge(response: str, sample: dict[str, Any], config: dict[str, Any]) -> float:
    prompt = JUDGE_PROMPT.format(
        rubric=config.get("rubric", "Correct, complete and concise answers score high."),
        question=question_of(sample),
        reference=json.dumps(reference_of(sample, config), ensure_ascii=False),
        response=response,
    )
    answer = clients.get("bedrock-runtime").converse(
        modelId=config["model_id"],
        messages=[{"role": "user", "content": [{"text": prompt}]}],
        inferenceConfig={"maxTokens": int(config.get("max_tokens", 20)), "temperature": 0.0},
    )
    blocks = answer.get("output", {}).get("message", {}).get("content", [])
    match = _SCORE.search(text_of(blocks) or "")
    if match is None:
        raise MalformedSample("the judge's reply has no 'SCORE: <0-10>' line")
    return min(max(float(match.group(1)) / 10.0, 0.0), 1.0)


def grade_custom(
    response: str, sample: dict[str, Any], config: dict[str, Any]
) -> float | tuple[float, dict[str, float]]:
    result: float | tuple[float, dict[str, float]] = importlib.import_module("user_reward").reward(response, sample)
    return result


GRADERS = {
    "exact": grade_exact,
    "normalized": grade_normalized,
    "json": grade_json,
    "numeric": grade_numeric,
    "regex": grade_regex,
    "judge": grade_judge,
    "custom": grade_custom,
}


def grade(sample: dict[str, Any], template: str, config: dict[str, Any]) -> dict[str, Any]:
    """One sample's result in the contract's shape."""
    try:
        result = GRADERS[template](response_of(sample), sample, config)
    except MalformedSample as exc:
        log.warning("sample not graded", id=sample.get("id"), reason=str(exc))
        return output(sample.get("id"), 0.0, {"malformed": 1.0}, "Metric")
    score, metrics = result if isinstance(result, tuple) else (result, {template: result})
    return output(sample.get("id"), score, metrics)


def settings() -> tuple[str, dict[str, Any]]:
    """The template and its configuration from the environment (raises ``ValueError`` naming the bad value)."""
    template = os.environ.get("REWARD_TEMPLATE", "custom")
    if template not in TEMPLATES:
        raise ValueError(f"REWARD_TEMPLATE must be one of {', '.join(TEMPLATES)}, got {template!r}")
    config = json.loads(os.environ.get("REWARD_CONFIG") or "{}")
    if not isinstance(config, dict):
        raise ValueError(f"REWARD_CONFIG must be a JSON object, got {config!r}")
    return template, config


def lambda_handler(event: Any, context: Any) -> list[dict[str, Any]]:
    """Grade every sample of the invocation."""
    template, config = settings()
    if template == "custom":
        module = importlib.import_module("user_reward")
        if not hasattr(module, "reward") and hasattr(module, "lambda_handler"):
            answered: list[dict[str, Any]] = module.lambda_handler(event, context)
            return answered
    results = [grade(sample, template, config) for sample in samples_of(event)]
    log.info("graded", template=template, samples=len(results))
    return results
