"""The model registry: ids, aliases, formats, hyperparameters, user extensions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bedrock_ops.models.registry import (
    CustomizationType,
    DatasetFormat,
    ModelRegistry,
    RegistryFileError,
    UnknownModelError,
    detect_format,
)

from .conftest import HAIKU, NOVA, TITAN, claude, converse, cpt, instruction


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("amazon.titan-text-express-v1:0:8k", TITAN),
        ("anthropic.claude-3-haiku-20240307-v1:0:200k", HAIKU),
        ("amazon.nova-micro-v1:0:128k", NOVA),
        ("meta.llama3-2-1b-instruct-v1:0:128k", "meta.llama3-2-1b-instruct-v1:0"),
        ("AMAZON.NOVA-MICRO-V1:0", NOVA),
        ("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0:128k", NOVA),
    ],
)
def test_plain_and_context_suffixed_ids_resolve_to_the_same_entry(
    registry: ModelRegistry, alias: str, canonical: str
) -> None:
    assert registry.resolve(alias) is registry.resolve(canonical)
    assert registry.resolve(alias).model_id == canonical


def test_unknown_model_suggests_the_closest_and_lists_known_ids(registry: ModelRegistry) -> None:
    with pytest.raises(UnknownModelError) as caught:
        registry.resolve("amazon.nova-mikro-v1:0")
    message = str(caught.value)
    assert "did you mean 'amazon.nova-micro-v1:0'" in message
    assert all(model_id in message for model_id in registry.model_ids)
    assert isinstance(caught.value, ValueError)


def test_every_model_lists_formats_for_each_customization_type(registry: ModelRegistry) -> None:
    for model_id in registry.model_ids:
        spec = registry.resolve(model_id)
        assert spec.customization_types
        for ctype in spec.customization_types:
            assert spec.formats[ctype], (model_id, ctype)


def test_every_hyperparameter_default_lies_in_its_range(registry: ModelRegistry) -> None:
    for model_id in registry.model_ids:
        for hp in registry.resolve(model_id).hyperparameters.values():
            assert hp.default is not None
            assert hp.validate(hp.default)


def test_hyperparameter_is_returned_as_the_api_string() -> None:
    spec = ModelRegistry.load().resolve(HAIKU)
    assert spec.hyperparameters["epochCount"].validate(3) == "3"
    assert spec.hyperparameters["epochCount"].validate("4") == "4"
    assert spec.hyperparameters["learningRateMultiplier"].validate(0.5) == "0.5"


def test_hyperparameter_out_of_range_names_parameter_model_value_and_range(registry: ModelRegistry) -> None:
    with pytest.raises(ValueError) as caught:
        registry.resolve(NOVA).hyperparameters["epochCount"].validate(6)
    assert str(caught.value) == f"hyperparameter epochCount for {NOVA} must be 1-5, got 6"


@pytest.mark.parametrize("value", [2.5, True, "many", None, float("nan")])
def test_integer_hyperparameter_rejects_non_integers(registry: ModelRegistry, value: object) -> None:
    with pytest.raises(ValueError, match="must be an integer in 1-10"):
        registry.resolve(TITAN).hyperparameters["epochCount"].validate(value)


def test_documented_ranges_are_recorded() -> None:
    registry = ModelRegistry.load()
    haiku = registry.resolve(HAIKU).hyperparameters
    assert (haiku["batchSize"].minimum, haiku["batchSize"].maximum, haiku["batchSize"].default) == (
        4,
        256,
        32,
    )
    nova = registry.resolve(NOVA).hyperparameters
    assert (nova["learningRate"].minimum, nova["learningRate"].maximum) == (1e-6, 1e-4)
    premier = registry.resolve("amazon.titan-text-premier-v1:0").hyperparameters
    assert premier["epochCount"].maximum == 5


def test_continued_pre_training_files_may_be_larger_for_titan(registry: ModelRegistry) -> None:
    spec = registry.resolve(TITAN)
    assert spec.limits(CustomizationType.FINE_TUNING).max_training_file_bytes == 1024**3
    assert spec.limits(CustomizationType.CONTINUED_PRE_TRAINING).max_training_file_bytes == 10 * 1024**3


def test_haiku_declares_its_reserved_strings(registry: ModelRegistry) -> None:
    assert registry.resolve(HAIKU).reserved_strings == ("\nHuman:", "\nAssistant:")


def test_user_file_adds_a_model_and_overrides_another(tmp_path: Path) -> None:
    extra = tmp_path / "models.json"
    entries = [
        {
            "model_id": "example.new-v1",
            "aliases": ["example.new-v1:0:8k"],
            "customization": {"FINE_TUNING": ["instruction"]},
        },
        {"model_id": TITAN, "customization": {"FINE_TUNING": ["instruction"]}, "max_tokens_per_record": 100},
    ]
    extra.write_text(json.dumps({"models": entries}))
    registry = ModelRegistry.load(extra)
    assert registry.resolve("example.new-v1:0:8k").model_id == "example.new-v1"
    assert registry.resolve(TITAN).max_tokens_per_record == 100
    assert HAIKU in registry.model_ids


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"models": {}}', "expected an object with a 'models' list"),
        ('{"models": [{"customization": {}}]}', "models[0]: missing key 'model_id'"),
        (
            '{"models": [{"model_id": "x", "customization": {"FINE_TUNING": ["yaml"]}}]}',
            "models[0]: customization.FINE_TUNING: unknown value 'yaml'; allowed: instruction,",
        ),
        (
            '{"models": [{"model_id": "x", "customization": {"FINE_TUNING": ["evaluation-prompts"]}}]}',
            "models[0]: customization.FINE_TUNING: evaluation-prompts datasets train no model",
        ),
    ],
)
def test_bad_user_file_is_reported_with_its_path(tmp_path: Path, content: str, message: str) -> None:
    extra = tmp_path / "models.json"
    extra.write_text(content)
    with pytest.raises(RegistryFileError, match=re.escape(message)) as caught:
        ModelRegistry.load(extra)
    assert str(extra) in str(caught.value)


def test_missing_user_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(RegistryFileError, match="cannot read model registry"):
        ModelRegistry.load(tmp_path / "absent.json")


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (instruction(), DatasetFormat.INSTRUCTION),
        (claude(2), DatasetFormat.CLAUDE_CONVERSATION),
        (converse(2), DatasetFormat.CONVERSE),
        (converse(1, final_user=True), DatasetFormat.DISTILLATION_PROMPTS),
        (cpt(), DatasetFormat.CONTINUED_PRE_TRAINING),
        ({"text": "x"}, None),
    ],
)
def test_detect_format(record: dict[str, object], expected: DatasetFormat | None) -> None:
    assert detect_format(record) is expected


def test_labelled_converse_records_are_accepted_for_distillation(registry: ModelRegistry) -> None:
    spec = registry.resolve(NOVA)
    assert spec.accepts(CustomizationType.DISTILLATION, DatasetFormat.CONVERSE)
    assert not spec.accepts(CustomizationType.DISTILLATION, DatasetFormat.INSTRUCTION)


@pytest.mark.parametrize("spelling", ["fine-tuning", "FINE_TUNING", "Fine_Tuning"])
def test_customization_type_accepts_cli_and_api_spellings(spelling: str) -> None:
    assert CustomizationType.parse(spelling) is CustomizationType.FINE_TUNING


def test_enums_are_strings_with_the_api_values() -> None:
    assert CustomizationType.DISTILLATION.value == "DISTILLATION"
    assert str(DatasetFormat.CONVERSE) == "converse"
    assert isinstance(DatasetFormat.CONVERSE, str)
