"""Shared builders for the dataset validator tests: one valid record per format."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from bedrock_ops.data.validation import DatasetSplit, ValidationIssue, ValidationReport, validate_file
from bedrock_ops.models import CustomizationType, ModelKnowledgeBase, load_models

TITAN = "amazon.titan-text-express-v1"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA = "amazon.nova-micro-v1:0"
LLAMA32 = "meta.llama3-2-1b-instruct-v1:0"
LLAMA31 = "meta.llama3-1-8b-instruct-v1:0"
COHERE = "cohere.command-text-v14"


def instruction(prompt: str = "Summarise: the cat sat.", completion: str = "A cat sat.") -> dict[str, Any]:
    return {"prompt": prompt, "completion": completion}


def claude(turns: int = 1, system: str | None = "You are concise.") -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    for i in range(turns):
        messages.append({"role": "user", "content": f"Question {i}?"})
        messages.append({"role": "assistant", "content": f"Answer {i}."})
    record: dict[str, Any] = {"messages": messages}
    if system is not None:
        record["system"] = system
    return record


def converse(turns: int = 1, *, final_user: bool = False) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    for i in range(turns):
        messages.append({"role": "user", "content": [{"text": f"Question {i}?"}]})
        if not (final_user and i == turns - 1):
            messages.append({"role": "assistant", "content": [{"text": f"Answer {i}."}]})
    return {
        "schemaVersion": "bedrock-conversation-2024",
        "system": [{"text": "You are concise."}],
        "messages": messages,
    }


def cpt(text: str = "Photosynthesis converts light into chemical energy.") -> dict[str, Any]:
    return {"input": text}


class Case:
    """A format under test: the model and customization type it trains, and a valid record."""

    def __init__(self, name: str, model: str, ctype: CustomizationType, make: Callable[[], dict[str, Any]]) -> None:
        self.name = name
        self.model = model
        self.ctype = ctype
        self.make = make

    def __repr__(self) -> str:
        return self.name


CASES = [
    Case("instruction", TITAN, CustomizationType.FINE_TUNING, instruction),
    Case("claude-single-turn", HAIKU, CustomizationType.FINE_TUNING, lambda: claude(1)),
    Case("claude-multi-turn", HAIKU, CustomizationType.FINE_TUNING, lambda: claude(3)),
    Case("converse-single-turn", NOVA, CustomizationType.FINE_TUNING, lambda: converse(1)),
    Case("converse-multi-turn", LLAMA32, CustomizationType.FINE_TUNING, lambda: converse(3)),
    Case("continued-pre-training", TITAN, CustomizationType.CONTINUED_PRE_TRAINING, cpt),
    Case("distillation-prompts", NOVA, CustomizationType.DISTILLATION, lambda: converse(1, final_user=True)),
]
# Role rules also hold for distillation prompts that carry the desired answer (a labelled prompt).
LABELLED_DISTILLATION = Case("distillation-labelled", NOVA, CustomizationType.DISTILLATION, lambda: converse(1))
CONVERSATION_CASES = [c for c in CASES if "claude" in c.name or "converse" in c.name] + [LABELLED_DISTILLATION]
# Fine-tuning conversations must end with the assistant; distillation prompts may end with the user.
FINE_TUNING_CONVERSATIONS = CONVERSATION_CASES[:-1]


def jsonl(records: Sequence[Any]) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


@pytest.fixture(scope="session")
def models() -> ModelKnowledgeBase:
    return load_models()


@pytest.fixture
def check(tmp_path: Path, models: ModelKnowledgeBase) -> Callable[..., ValidationReport]:
    """Write records (dicts or raw lines) or raw bytes to a file and validate it."""

    def run(
        content: Sequence[Any] | bytes,
        case: Case | None = None,
        *,
        model: str | None = None,
        ctype: CustomizationType | None = None,
        split: DatasetSplit = DatasetSplit.VALIDATION,
        **kwargs: Any,
    ) -> ValidationReport:
        path = tmp_path / "data.jsonl"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(jsonl(content), encoding="utf-8")
        return validate_file(
            path,
            base_model=model or (case.model if case else TITAN),
            customization_type=ctype or (case.ctype if case else CustomizationType.FINE_TUNING),
            split=split,
            **{"models": models, **kwargs},
        )

    return run


def only_error(report: ValidationReport) -> ValidationIssue:
    assert report.error_count == 1, report.format_text()
    return report.errors[0]
