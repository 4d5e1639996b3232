"""The sample datasets under examples/datasets are valid for the models they are meant for."""

from __future__ import annotations

from pathlib import Path

import pytest

from bedrock_ops.data.validation import DatasetSplit, validate_file
from bedrock_ops.models import CustomizationType, ModelKnowledgeBase

SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "datasets"
FT = CustomizationType.FINE_TUNING

_CASES = [
    ("instruction", "amazon.titan-text-express-v1", FT),
    ("instruction", "cohere.command-light-text-v14", FT),
    ("claude-single-turn", "anthropic.claude-3-haiku-20240307-v1:0", FT),
    ("claude-multi-turn", "anthropic.claude-3-haiku-20240307-v1:0", FT),
    ("converse-single-turn", "amazon.nova-micro-v1:0", FT),
    ("converse-multi-turn", "amazon.nova-lite-v1:0", FT),
    ("continued-pre-training", "amazon.titan-text-lite-v1", CustomizationType.CONTINUED_PRE_TRAINING),
]


@pytest.mark.parametrize(("folder", "model", "ctype"), _CASES, ids=lambda v: str(getattr(v, "value", v)))
@pytest.mark.parametrize("split", list(DatasetSplit), ids=str)
def test_sample_dataset_is_valid(
    models: ModelKnowledgeBase, folder: str, model: str, ctype: CustomizationType, split: DatasetSplit
) -> None:
    path = SAMPLES / folder / ("train.jsonl" if split is DatasetSplit.TRAINING else "validation.jsonl")
    report = validate_file(path, base_model=model, customization_type=ctype, split=split, models=models)
    assert report.valid, report.format_text()


def test_distillation_prompts_sample_is_valid(models: ModelKnowledgeBase) -> None:
    report = validate_file(
        SAMPLES / "distillation" / "prompts.jsonl",
        base_model="amazon.nova-micro-v1:0",
        customization_type=CustomizationType.DISTILLATION,
        models=models,
    )
    assert report.valid, report.format_text()
