"""The packaged, overridable foundation model catalog (bedrock_ops.models.catalog)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bedrock_ops.models.catalog import ModelCatalog, UnknownModelError, load_model_catalog


@pytest.fixture(scope="module")
def catalog() -> ModelCatalog:
    return load_model_catalog()


def test_plain_and_context_suffixed_ids_resolve_to_the_same_entry(catalog: ModelCatalog) -> None:
    plain = catalog.resolve("amazon.titan-text-express-v1")
    assert catalog.resolve("amazon.titan-text-express-v1:0:8k") is plain
    assert plain.provider == "Amazon"


@pytest.mark.parametrize(
    "model_id",
    [
        "anthropic.claude-3-haiku-20240307-v1:0:200k",
        "amazon.nova-micro-v1:0:128k",
        "meta.llama3-2-1b-instruct-v1:0:128k",
    ],
)
def test_context_suffixed_ids_from_the_user_guide_are_known(catalog: ModelCatalog, model_id: str) -> None:
    assert catalog.get(model_id) is not None


def test_anthropic_models_need_the_use_case_form(catalog: ModelCatalog) -> None:
    assert catalog.resolve("anthropic.claude-3-haiku-20240307-v1:0").anthropic_use_case_form is True
    assert catalog.resolve("amazon.nova-lite-v1:0").anthropic_use_case_form is False


def test_catalog_says_whether_provisioned_throughput_is_offered(catalog: ModelCatalog) -> None:
    assert catalog.resolve("amazon.titan-text-express-v1").provisioned_throughput is True
    assert catalog.resolve("mistral.mistral-large-2402-v1:0").provisioned_throughput is False


def test_foundation_model_arn_resolves(catalog: ModelCatalog) -> None:
    arn = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"
    assert catalog.resolve(arn).model_id == "amazon.nova-pro-v1:0"


def test_unknown_id_suggests_the_closest_known_ids(catalog: ModelCatalog) -> None:
    with pytest.raises(UnknownModelError) as excinfo:
        catalog.resolve("amazon.titan-text-expres-v1", prop="models[0]")
    message = str(excinfo.value)
    assert "models[0] 'amazon.titan-text-expres-v1' is not a known Bedrock foundation model" in message
    assert "did you mean 'amazon.titan-text-express-v1'" in message


def test_unknown_id_error_is_a_value_error(catalog: ModelCatalog) -> None:
    with pytest.raises(ValueError, match="is not a known Bedrock foundation model"):
        catalog.resolve("nothing.like-anything")


def test_user_file_adds_a_model(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    entry = {
        "provider": "Example",
        "name": "New",
        "ids": ["example.new-v1:0:8k"],
        "provisioned_throughput": True,
    }
    path.write_text(json.dumps({"models": {"example.new-v1": entry}}), encoding="utf-8")
    catalog = load_model_catalog(path)
    assert catalog.resolve("example.new-v1:0:8k").name == "New"
    assert catalog.get("amazon.titan-text-express-v1") is not None


def test_user_file_overrides_one_field(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(
        json.dumps({"models": {"mistral.mistral-large-2402-v1:0": {"provisioned_throughput": True}}}),
        encoding="utf-8",
    )
    model = load_model_catalog(path).resolve("mistral.mistral-large-2402-v1:0")
    assert model.provisioned_throughput is True
    assert model.provider == "Mistral AI"


def test_bad_flag_names_file_key_and_value(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"models": {"amazon.nova-lite-v1:0": {"provisioned_throughput": "yes"}}}))
    with pytest.raises(ValueError) as excinfo:
        load_model_catalog(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert "models.amazon.nova-lite-v1:0.provisioned_throughput must be true or false, got 'yes'" in message


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"model": {}}))
    with pytest.raises(ValueError, match=r"unknown key 'model'"):
        load_model_catalog(path)
