"""The dataset rules and hyperparameters the knowledge base gives each customizable model."""

from __future__ import annotations

import pytest

from bedrock_ops.models import (
    CustomizationType,
    DatasetFormat,
    ModelKnowledgeBase,
    UnsupportedCustomizationError,
    detect_format,
)

from .conftest import HAIKU, NOVA, TITAN, claude, converse, cpt, instruction

FT = CustomizationType.FINE_TUNING


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
    models: ModelKnowledgeBase, alias: str, canonical: str
) -> None:
    assert models.resolve(alias) is models.resolve(canonical)
    assert models.resolve(alias).model_id == canonical


def test_every_customization_type_lists_dataset_formats(models: ModelKnowledgeBase) -> None:
    customizable = [models.resolve(m) for m in models.model_ids if models.resolve(m).customization]
    assert len(customizable) >= 16
    for entry in customizable:
        for ctype in entry.customization_types:
            assert entry.require(ctype), (entry.model_id, ctype)


def test_every_hyperparameter_default_lies_in_its_range(models: ModelKnowledgeBase) -> None:
    sets = models.document["hyperparameter_sets"]
    for model_id in models.model_ids:
        entry = models.resolve(model_id)
        for ctype in entry.customization_types:
            named = models.document["models"][model_id]["customization"][ctype.value].get("hyperparameters")
            # A set whose defaults the documentation does not give (RFT) says so in its unconfirmed list.
            undocumented = isinstance(named, str) and "defaults" in sets[named].get("unconfirmed", ())
            for hp in entry.hyperparameters(ctype).values():
                if hp.default is None and undocumented:
                    continue
                assert hp.default is not None
                assert hp.validate(hp.default)


def test_hyperparameter_is_returned_as_the_api_string(models: ModelKnowledgeBase) -> None:
    taken = models.resolve(HAIKU).hyperparameters(FT)
    assert taken["epochCount"].validate(3) == "3"
    assert taken["epochCount"].validate("4") == "4"
    assert taken["learningRateMultiplier"].validate(0.5) == "0.5"


def test_hyperparameter_out_of_range_names_parameter_model_value_and_range(models: ModelKnowledgeBase) -> None:
    with pytest.raises(ValueError) as caught:
        models.resolve(NOVA).hyperparameters(FT)["epochCount"].validate(6)
    assert str(caught.value) == f"hyperparameter epochCount for {NOVA} must be 1-5, got 6"


@pytest.mark.parametrize("value", [2.5, True, "many", None, float("nan")])
def test_integer_hyperparameter_rejects_non_integers(models: ModelKnowledgeBase, value: object) -> None:
    with pytest.raises(ValueError, match="must be an integer in 1-10"):
        models.resolve(TITAN).hyperparameters(FT)["epochCount"].validate(value)


def test_documented_ranges_are_recorded(models: ModelKnowledgeBase) -> None:
    batch = models.resolve(HAIKU).hyperparameters(FT)["batchSize"]
    assert (batch.minimum, batch.maximum, batch.default) == (4, 256, 32)
    rate = models.resolve(NOVA).hyperparameters(FT)["learningRate"]
    assert (rate.minimum, rate.maximum) == (1e-6, 1e-4)
    assert models.resolve("amazon.titan-text-premier-v1:0").hyperparameters(FT)["epochCount"].maximum == 5


def test_nova_warmup_maximum_follows_the_bedrock_page_not_the_nova_guide(models: ModelKnowledgeBase) -> None:
    assert models.resolve(NOVA).hyperparameters(FT)["learningRateWarmupSteps"].maximum == 100


def test_a_type_the_model_does_not_support_takes_no_hyperparameters(models: ModelKnowledgeBase) -> None:
    assert models.resolve(HAIKU).hyperparameters(CustomizationType.CONTINUED_PRE_TRAINING) == {}


def test_continued_pre_training_files_may_be_larger_for_titan(models: ModelKnowledgeBase) -> None:
    entry = models.resolve(TITAN)
    assert entry.limits(CustomizationType.FINE_TUNING).max_training_file_bytes == 1024**3
    assert entry.limits(CustomizationType.CONTINUED_PRE_TRAINING).max_training_file_bytes == 10 * 1024**3


def test_titan_express_token_limit_depends_on_the_batch_size(models: ModelKnowledgeBase) -> None:
    entry = models.resolve(TITAN)
    assert entry.max_tokens_per_record == 4096
    assert entry.tokens_by_batch_size == ((1, 4096), (4, 2048))


def test_haiku_declares_its_reserved_strings(models: ModelKnowledgeBase) -> None:
    assert models.resolve(HAIKU).reserved_strings == ("\nHuman:", "\nAssistant:")


def test_model_without_customization_says_so(models: ModelKnowledgeBase) -> None:
    with pytest.raises(UnsupportedCustomizationError, match="it supports: no customization"):
        models.resolve("amazon.titan-embed-text-v2:0").require(FT)


def test_customization_job_takes_the_context_variant_of_the_fine_tuning_table(models: ModelKnowledgeBase) -> None:
    assert models.resolve(NOVA).customization[FT].base_model_id == "amazon.nova-micro-v1:0:128k"
    assert models.resolve(HAIKU).customization[FT].base_model_id == "anthropic.claude-3-haiku-20240307-v1:0:200k"


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


def test_labelled_converse_records_are_accepted_for_distillation(models: ModelKnowledgeBase) -> None:
    entry = models.resolve(NOVA)
    assert entry.accepts(CustomizationType.DISTILLATION, DatasetFormat.CONVERSE)
    assert not entry.accepts(CustomizationType.DISTILLATION, DatasetFormat.INSTRUCTION)


@pytest.mark.parametrize("spelling", ["fine-tuning", "FINE_TUNING", "Fine_Tuning"])
def test_customization_type_accepts_cli_and_api_spellings(spelling: str) -> None:
    assert CustomizationType.parse(spelling) is CustomizationType.FINE_TUNING


def test_enums_are_strings_with_the_api_values() -> None:
    assert CustomizationType.DISTILLATION.value == "DISTILLATION"
    assert str(DatasetFormat.CONVERSE) == "converse"
    assert isinstance(DatasetFormat.CONVERSE, str)
