"""Configuration of model access and provisioned throughput (infra.config)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.config import ConfigError, load_config, parse_config


def _error(raw: dict[str, object]) -> str:
    with pytest.raises(ConfigError) as excinfo:
        parse_config(raw, source="mine.yaml")
    return str(excinfo.value)


def test_provisioned_throughput_is_off_by_default() -> None:
    assert load_config().provisioned_throughput.enabled is False


def test_default_model_access_lists_only_first_party_models() -> None:
    models = load_config().model_access.models
    assert models
    assert all(m.startswith("amazon.") for m in models)


def test_unknown_model_names_the_key_and_suggests_a_known_id() -> None:
    message = _error({"model_access": {"models": ["amazon.nova-lite-v1:0", "amazon.nova-prro-v1:0"]}})
    assert "mine.yaml: model_access:" in message
    assert "models[1] 'amazon.nova-prro-v1:0' is not a known Bedrock foundation model" in message
    assert "did you mean 'amazon.nova-pro-v1:0'" in message


def test_commitment_lists_the_allowed_terms() -> None:
    message = _error({"provisioned_throughput": {"commitment": "OneYear"}})
    assert "provisioned_throughput.commitment: must be one of 'NoCommitment', 'OneMonth' or 'SixMonths'" in message


def test_model_units_must_be_positive() -> None:
    assert "provisioned_throughput.model_units" in _error({"provisioned_throughput": {"model_units": 0}})


def test_unknown_use_case_form_key_lists_the_form_keys() -> None:
    message = _error({"model_access": {"use_case_form": {"company": "x"}}})
    assert "model_access.use_case_form.company: unknown key" in message
    assert "company_name, company_website, industry_option" in message


def test_use_case_form_becomes_the_api_form_fields(tmp_path: Path) -> None:
    path = tmp_path / "form.yaml"
    path.write_text(
        "model_access:\n"
        "  models: [anthropic.claude-3-haiku-20240307-v1:0]\n"
        "  use_case_form:\n"
        "    company_name: Example Corp\n"
        "    company_website: https://example.com\n"
        "    intended_users: 2\n"
        "    use_cases: Support assistant\n",
        encoding="utf-8",
    )
    form = load_config(path).model_access.use_case_form
    assert form is not None
    assert form.form_data() == {
        "companyName": "Example Corp",
        "companyWebsite": "https://example.com",
        "intendedUsers": "2",
        "industryOption": "",
        "otherIndustryOption": "",
        "useCases": "Support assistant",
    }


def test_accept_agreements_is_off_by_default() -> None:
    assert load_config().model_access.accept_agreements is False


def test_the_removed_revoke_key_fails_saying_why() -> None:
    message = _error({"model_access": {"revoke_agreement_on_delete": True}})
    assert "revoke_agreement_on_delete was removed" in message
    assert "the next invocation subscribes again" in message
