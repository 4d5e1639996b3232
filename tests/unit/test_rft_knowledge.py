"""What the knowledge base says about reinforcement fine-tuning: the supported model, its hyperparameter set."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bedrock_ops.models import CustomizationType, ModelsFileError, load_models, sources_of

RFT = CustomizationType.REINFORCEMENT_FINE_TUNING
NOVA2 = "amazon.nova-2-lite-v1:0"


def test_nova_2_lite_supports_rft_in_us_east_1_by_its_256k_variant() -> None:
    facts = load_models().resolve("amazon.nova-2-lite-v1:0:256k").customization[RFT]
    assert (facts.base_model_id, facts.regions, facts.limits.min_training_records) == (
        "amazon.nova-2-lite-v1:0:256k",
        ("us-east-1",),
        100,
    )


def test_open_weight_models_are_not_listed_for_rft() -> None:
    models = load_models()
    assert [m for m in models.model_ids if RFT in models.resolve(m).customization_types] == [NOVA2]


def test_rft_hyperparameters_are_the_api_ranges_with_reasoning_effort_an_enum() -> None:
    params = load_models().resolve(NOVA2).hyperparameters(RFT)
    assert (params["epochCount"].minimum, params["epochCount"].maximum) == (1, 50)
    assert (params["batchSize"].minimum, params["batchSize"].maximum) == (16, 512)
    assert (params["trainingSamplePerPrompt"].minimum, params["evalInterval"].maximum) == (2, 100)
    assert params["reasoningEffort"].values == ("low", "medium", "high")
    assert math.isinf(params["maxPromptLength"].maximum)


def test_an_enum_hyperparameter_rejects_other_strings() -> None:
    spec = load_models().resolve(NOVA2).hyperparameters(RFT)["reasoningEffort"]
    with pytest.raises(ValueError, match="must be one of low, medium, high, got 'max'"):
        spec.validate("max")


def test_an_unbounded_hyperparameter_still_takes_integers_only() -> None:
    spec = load_models().resolve(NOVA2).hyperparameters(RFT)["inferenceMaxTokens"]
    assert spec.validate(8192) == "8192"
    with pytest.raises(ValueError, match=r"must be an integer, got 1\.5"):
        spec.validate(1.5)


def test_rft_facts_cite_the_rft_pages() -> None:
    cited = {s.key for s in sources_of(load_models(), NOVA2)["customization.REINFORCEMENT_FINE_TUNING"]}
    assert {"rft-prepare-data", "rft-nova-models", "reward-functions"} <= cited
    assert {s.key for s in sources_of(load_models(), NOVA2)["hyperparameters.rft"]} == {"api-rft-hyperparameters"}


def test_a_models_file_enum_hyperparameter_needs_its_values(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_text(
        json.dumps(
            {"hyperparameter_sets": {"x": {"source": "rft-nova-models", "parameters": {"mode": {"type": "enum"}}}}}
        )
    )
    with pytest.raises(ModelsFileError, match=r"hyperparameter_sets\.x\.parameters\.mode\.values must list"):
        load_models(path)
