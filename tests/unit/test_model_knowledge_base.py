"""The one model knowledge base (bedrock_ops.models): ids, resolution, facts, sources, models files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bedrock_ops.models import (
    CustomizationType,
    ModelKnowledgeBase,
    ModelsFileError,
    ReferenceKind,
    UnknownModelError,
    is_unresolved_token,
    judges,
    load_models,
    sources_of,
    teachers_of,
)
from bedrock_ops.models._files import OVERRIDE_SOURCE, check_document, read_document, source_problems
from bedrock_ops.models.knowledge import FACT_GROUPS, PACKAGED

NOVA = "amazon.nova-micro-v1:0"
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def models() -> ModelKnowledgeBase:
    return load_models()


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "models.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# -- ids ----------------------------------------------------------------------------------------


def test_plain_and_context_suffixed_ids_resolve_to_the_same_entry(models: ModelKnowledgeBase) -> None:
    plain = models.resolve("amazon.titan-text-express-v1")
    assert models.resolve("amazon.titan-text-express-v1:0:8k") is plain
    assert plain.provider == "Amazon"


@pytest.mark.parametrize(
    "model_id",
    [
        "anthropic.claude-3-haiku-20240307-v1:0:200k",
        "anthropic.claude-3-haiku-20240307-v1:0:48k",
        "amazon.nova-micro-v1:0:128k",
        "amazon.nova-micro-v1:0:24k",
        "meta.llama3-2-1b-instruct-v1:0:128k",
    ],
)
def test_context_variants_from_the_user_guide_are_known(models: ModelKnowledgeBase, model_id: str) -> None:
    assert models.get(model_id) is not None


@pytest.mark.parametrize("geography", ["us", "eu", "apac", "global"])
def test_system_inference_profile_id_resolves_to_its_model(models: ModelKnowledgeBase, geography: str) -> None:
    assert models.resolve(f"{geography}.{NOVA}").model_id == NOVA


def test_system_inference_profile_arn_resolves_to_its_model(models: ModelKnowledgeBase) -> None:
    arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/eu.{NOVA}"
    reference = models.reference(arn)
    assert (reference.kind, reference.geography, reference.model_id) == (ReferenceKind.INFERENCE_PROFILE, "eu", NOVA)
    assert models.resolve(arn).model_id == NOVA


def test_foundation_model_arn_resolves(models: ModelKnowledgeBase) -> None:
    arn = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"
    assert models.resolve(arn).model_id == "amazon.nova-pro-v1:0"


@pytest.mark.parametrize(
    ("resource", "kind"),
    [
        ("custom-model/amazon.nova-micro-v1:0:128k/abcdef123456", ReferenceKind.CUSTOM_MODEL),
        ("custom-model-deployment/abcdef123456", ReferenceKind.CUSTOM_MODEL_DEPLOYMENT),
        ("provisioned-model/abcdef123456", ReferenceKind.PROVISIONED_MODEL),
        ("imported-model/abcdef123456", ReferenceKind.IMPORTED_MODEL),
        ("application-inference-profile/abcdef123456", ReferenceKind.APPLICATION_INFERENCE_PROFILE),
    ],
)
def test_account_resource_arns_are_typed_references_without_an_entry(
    models: ModelKnowledgeBase, resource: str, kind: ReferenceKind
) -> None:
    arn = f"arn:aws:bedrock:us-west-2:{ACCOUNT}:{resource}"
    reference = models.reference(arn)
    assert (reference.kind, reference.account, reference.region) == (kind, ACCOUNT, "us-west-2")
    assert reference.resource_id == resource.split("/", 1)[1]
    assert models.get(arn) is None
    with pytest.raises(UnknownModelError, match=f"is a {kind.value}, not a foundation model"):
        models.resolve(arn)


def test_arn_of_another_bedrock_resource_type_is_rejected(models: ModelKnowledgeBase) -> None:
    with pytest.raises(ValueError, match="the resource type must be one of: foundation-model, inference-profile"):
        models.reference(f"arn:aws:bedrock:us-east-1:{ACCOUNT}:guardrail/abc")


def test_unresolved_cdk_tokens_are_recognised_without_aws_cdk(models: ModelKnowledgeBase) -> None:
    assert is_unresolved_token("${Token[TOKEN.123]}")
    assert not is_unresolved_token(NOVA)
    assert models.reference("${Token[TOKEN.42]}").kind is ReferenceKind.TOKEN


def test_caller_may_supply_its_own_token_predicate(models: ModelKnowledgeBase) -> None:
    reference = models.reference("deploy-time-value", is_token=lambda value: value == "deploy-time-value")
    assert reference.kind is ReferenceKind.TOKEN


def test_unknown_id_suggests_the_closest_and_lists_known_ids(models: ModelKnowledgeBase) -> None:
    with pytest.raises(UnknownModelError) as caught:
        models.resolve("amazon.nova-mikro-v1:0", prop="models[0]")
    message = str(caught.value)
    assert "models[0] 'amazon.nova-mikro-v1:0' is not a known Bedrock foundation model" in message
    assert "did you mean 'amazon.nova-micro-v1:0'" in message
    assert all(model_id in message for model_id in models.model_ids)
    assert "models_file" in message
    assert isinstance(caught.value, ValueError)


def test_unknown_profile_id_suggests_the_model_inside(models: ModelKnowledgeBase) -> None:
    with pytest.raises(UnknownModelError, match=re.escape("did you mean 'amazon.nova-micro-v1:0'")):
        models.resolve("us.amazon.nova-mikro-v1:0")


# -- facts -------------------------------------------------------------------------------------


def test_anthropic_models_need_the_use_case_form(models: ModelKnowledgeBase) -> None:
    assert models.resolve("anthropic.claude-3-haiku-20240307-v1:0").anthropic_use_case_form is True
    assert models.resolve("amazon.nova-lite-v1:0").anthropic_use_case_form is False


def test_third_party_models_subscribe_through_marketplace_and_amazon_models_do_not(
    models: ModelKnowledgeBase,
) -> None:
    assert models.resolve("meta.llama3-1-8b-instruct-v1:0").marketplace_subscription is True
    assert models.resolve("anthropic.claude-3-haiku-20240307-v1:0").marketplace_subscription is True
    assert models.resolve("amazon.nova-lite-v1:0").marketplace_subscription is False


def test_a_models_file_may_set_marketplace_subscription_and_rejects_a_non_boolean(tmp_path: Path) -> None:
    override = {"models": {"amazon.nova-lite-v1:0": {"access": {"marketplace_subscription": None}}}}
    assert load_models(_write(tmp_path, override)).resolve("amazon.nova-lite-v1:0").marketplace_subscription is None
    bad = {"models": {"amazon.nova-lite-v1:0": {"access": {"marketplace_subscription": "yes"}}}}
    with pytest.raises(ModelsFileError, match="marketplace_subscription"):
        load_models(_write(tmp_path, bad))


def test_knowledge_base_says_whether_provisioned_throughput_is_offered(models: ModelKnowledgeBase) -> None:
    assert models.resolve("amazon.titan-text-express-v1").provisioned_throughput is True
    assert models.resolve("mistral.mistral-large-2402-v1:0").provisioned_throughput is False


def test_titan_image_generator_throughput_needs_a_commitment(models: ModelKnowledgeBase) -> None:
    for model_id in ("amazon.titan-image-generator-v1", "amazon.titan-image-generator-v2:0"):
        assert models.resolve(model_id).provisioned_throughput_no_commitment is False
    assert models.resolve(NOVA).provisioned_throughput_no_commitment is True


def test_nova_24k_variants_can_be_bought_as_provisioned_throughput(models: ModelKnowledgeBase) -> None:
    assert "amazon.nova-micro-v1:0:24k" in models.resolve(NOVA).provisioned_throughput_variants


def test_llama_3_2_is_invoked_through_an_inference_profile_only(models: ModelKnowledgeBase) -> None:
    assert models.resolve("meta.llama3-2-1b-instruct-v1:0").inference_profile_only is True
    assert models.resolve(NOVA).inference_profile_only is False


def test_nova_custom_models_can_be_deployed_on_demand(models: ModelKnowledgeBase) -> None:
    assert models.resolve(NOVA).custom_model_deployment is True
    assert models.resolve("anthropic.claude-3-haiku-20240307-v1:0").custom_model_deployment is False


def test_distillation_teachers_are_the_documented_pairs(models: ModelKnowledgeBase) -> None:
    assert "amazon.nova-premier-v1:0" in teachers_of(models, NOVA)
    assert teachers_of(models, "amazon.titan-text-express-v1") == ()


def test_judges_come_from_the_documented_evaluator_list(models: ModelKnowledgeBase) -> None:
    assert {"amazon.nova-pro-v1:0", NOVA, "anthropic.claude-3-5-sonnet-20240620-v1:0"} <= set(judges(models))
    assert "amazon.titan-text-express-v1" not in judges(models)


def test_pricing_key_names_the_pricing_table_entry(models: ModelKnowledgeBase) -> None:
    assert models.resolve("amazon.titan-text-express-v1:0:8k").pricing_key == "amazon.titan-text-express-v1"


# -- sources -----------------------------------------------------------------------------------


def test_every_fact_group_of_the_packaged_data_cites_a_source_with_url_and_date() -> None:
    assert source_problems(read_document(PACKAGED)) == []


def test_every_fact_group_of_the_packaged_data_names_its_own_source() -> None:
    document = read_document(PACKAGED)
    missing = [
        f"{model_id}.{group}"
        for model_id, entry in document["models"].items()
        for group in (*FACT_GROUPS, *(f"customization.{t}" for t in entry.get("customization", {})))
        if group.split(".")[0] in entry
        and "source" not in (entry["customization"][group.split(".")[1]] if "." in group else entry[group])
    ]
    assert missing == []


def test_source_check_fails_on_a_group_without_a_source() -> None:
    document = read_document(PACKAGED)
    del document["models"][NOVA]["invocation"]["source"]
    assert source_problems(document) == [f"models.{NOVA}.invocation: no source"]


def test_source_check_fails_on_a_source_without_a_date() -> None:
    document = read_document(PACKAGED)
    document["sources"]["models-supported"]["as_of"] = ""
    assert "sources.models-supported: needs a url and an as_of date" in source_problems(document)


def test_conflicting_sources_are_both_cited_with_the_winner_and_why() -> None:
    conflict = read_document(PACKAGED)["hyperparameter_sets"]["nova"]["conflicts"][0]
    assert conflict["values"] == {"cm-hp-nova-mm": 100, "nova-fine-tune-hyperparameters": 20}
    assert conflict["winner"] == "cm-hp-nova-mm"
    assert conflict["reason"]


def test_sources_of_a_model_name_the_pages_of_each_group(models: ModelKnowledgeBase) -> None:
    cited = sources_of(models, NOVA)
    assert cited["customization.FINE_TUNING"][0].url.startswith("https://docs.aws.amazon.com/")
    assert {s.key for s in cited["hyperparameters.nova"]} == {"cm-hp-nova-mm", "nova-fine-tune-hyperparameters"}
    assert all(source.as_of for group in cited.values() for source in group)


def test_packaged_document_follows_the_schema() -> None:
    check_document(read_document(PACKAGED), "models.json", partial=False)


# -- models files ------------------------------------------------------------------------------


def test_models_file_adds_a_model(tmp_path: Path) -> None:
    entry = {"provider": "Example", "name": "New", "variants": ["example.new-v1:0:8k"]}
    models = load_models(_write(tmp_path, {"models": {"example.new-v1": entry}}))
    assert models.resolve("example.new-v1:0:8k").name == "New"
    assert models.get("amazon.titan-text-express-v1") is not None


def test_models_file_overrides_one_field_and_keeps_the_others(tmp_path: Path) -> None:
    override = {"models": {"mistral.mistral-large-2402-v1:0": {"provisioned_throughput": {"supported": True}}}}
    entry = load_models(_write(tmp_path, override)).resolve("mistral.mistral-large-2402-v1:0")
    assert entry.provisioned_throughput is True
    assert entry.provider == "Mistral AI"
    assert entry.judge is True


def test_models_file_overrides_one_quota_of_one_customization_type(tmp_path: Path) -> None:
    override = {"models": {NOVA: {"customization": {"FINE_TUNING": {"quotas": {"max_training_records": 50}}}}}}
    entry = load_models(_write(tmp_path, override)).resolve(NOVA)
    assert entry.limits(CustomizationType.FINE_TUNING).max_training_records == 50
    assert entry.limits(CustomizationType.FINE_TUNING).min_training_records == 8
    assert entry.limits(CustomizationType.DISTILLATION).max_training_records == 20000


def test_changed_groups_cite_the_models_file_next_to_the_packaged_sources(tmp_path: Path) -> None:
    override = {"models": {NOVA: {"dataset": {"max_tokens_per_record": 10000}}}}
    models = load_models(_write(tmp_path, override))
    keys = [source.key for source in sources_of(models, NOVA)["dataset"]]
    assert keys[-1] == OVERRIDE_SOURCE
    assert "model-customization-prepare" in keys
    assert source_problems(models.document) == []


def test_bad_flag_names_file_key_and_value(tmp_path: Path) -> None:
    path = _write(tmp_path, {"models": {"amazon.nova-lite-v1:0": {"provisioned_throughput": {"supported": "yes"}}}})
    with pytest.raises(ModelsFileError) as excinfo:
        load_models(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert "models.amazon.nova-lite-v1:0.provisioned_throughput.supported must be true or false, got 'yes'" in message


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"model": {}}, "unknown key 'model'"),
        ({"models": []}, "models must be an object, got []"),
        ({"models": {"x.new-v1": {"name": "X"}}}, "models.x.new-v1.provider must be a non-empty string, got None"),
        (
            {"models": {NOVA: {"customization": {"FINE_TUNING": {"formats": ["yaml"]}}}}},
            f"models.{NOVA}.customization.FINE_TUNING.formats: unknown value 'yaml'; allowed: instruction,",
        ),
        (
            {"models": {NOVA: {"customization": {"FINE_TUNING": {"formats": ["evaluation-prompts"]}}}}},
            "evaluation-prompts datasets train no model",
        ),
        (
            {"models": {NOVA: {"customization": {"TRAINING": {}}}}},
            "unknown type 'TRAINING'; allowed: FINE_TUNING, CONTINUED_PRE_TRAINING, DISTILLATION",
        ),
        (
            {"models": {NOVA: {"customization": {"FINE_TUNING": {"hyperparameters": "novva"}}}}},
            "hyperparameters: unknown set 'novva'",
        ),
    ],
)
def test_bad_models_file_is_reported_with_its_path(tmp_path: Path, document: dict[str, Any], message: str) -> None:
    path = _write(tmp_path, document)
    with pytest.raises(ModelsFileError, match=re.escape(message)) as caught:
        load_models(path)
    assert str(path) in str(caught.value)


def test_models_file_that_is_not_json_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelsFileError, match="not valid JSON"):
        load_models(path)


def test_missing_models_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelsFileError, match="cannot read the models file"):
        load_models(tmp_path / "absent.json")
