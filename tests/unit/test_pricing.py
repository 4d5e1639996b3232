"""The dated, overridable pricing table (bedrock_ops.cost.pricing)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bedrock_ops.cost.pricing import HOURS_PER_MONTH, Commitment, ModelPrice, PricingTable, load_pricing_table


@pytest.fixture(scope="module")
def table() -> PricingTable:
    return load_pricing_table()


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_commitment_values_are_the_api_commitment_durations() -> None:
    assert [c.value for c in Commitment] == ["NoCommitment", "OneMonth", "SixMonths"]


def test_commitment_term_hours_count_730_hours_a_month() -> None:
    assert HOURS_PER_MONTH == 730
    assert Commitment.NO_COMMITMENT.term_hours == 0
    assert Commitment.ONE_MONTH.term_hours == 730
    assert Commitment.SIX_MONTHS.term_hours == 6 * 730


def test_packaged_table_is_dated_and_names_its_source(table: PricingTable) -> None:
    assert isinstance(table.as_of, dt.date)
    assert table.currency == "USD"
    assert table.region == "us-east-1"
    assert table.source.startswith("https://aws.amazon.com/bedrock/pricing")


def test_price_of_a_plain_id_has_provisioned_rates_per_commitment(table: PricingTable) -> None:
    price = table.price("amazon.titan-text-express-v1")
    assert isinstance(price, ModelPrice)
    assert price.kind == "text"
    rates = price.provisioned_per_model_unit_hour
    assert set(rates) == {Commitment.NO_COMMITMENT, Commitment.ONE_MONTH, Commitment.SIX_MONTHS}
    assert rates[Commitment.SIX_MONTHS] < rates[Commitment.ONE_MONTH] < rates[Commitment.NO_COMMITMENT]


def test_context_suffixed_id_resolves_to_the_plain_entry(table: PricingTable) -> None:
    assert table.price("amazon.titan-text-express-v1:0:8k") == table.price("amazon.titan-text-express-v1")


def test_context_suffixed_versioned_id_resolves_to_the_versioned_entry(table: PricingTable) -> None:
    price = table.price("anthropic.claude-3-haiku-20240307-v1:0:200k")
    assert price is not None
    assert price.model_id == "anthropic.claude-3-haiku-20240307-v1:0"


def test_foundation_model_arn_resolves_like_its_id(table: PricingTable) -> None:
    arn = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-lite-v1:0:4k"
    assert table.price(arn) == table.price("amazon.titan-text-lite-v1")


def test_unknown_model_has_no_price(table: PricingTable) -> None:
    assert table.price("example.no-such-model-v9") is None


def test_model_ids_lists_every_priced_model_sorted(table: PricingTable) -> None:
    assert "amazon.titan-text-express-v1" in table.model_ids
    assert list(table.model_ids) == sorted(table.model_ids)


def test_embedding_model_has_no_output_price(table: PricingTable) -> None:
    price = table.price("amazon.titan-embed-text-v2:0")
    assert price is not None
    assert price.kind == "embedding"
    assert price.output_per_1k_tokens is None


def test_provisioned_hourly_cost_multiplies_rate_by_model_units(table: PricingTable) -> None:
    price = table.price("amazon.titan-text-express-v1")
    assert price is not None
    rate = price.provisioned_per_model_unit_hour[Commitment.ONE_MONTH]
    assert price.provisioned_hourly_cost(Commitment.ONE_MONTH, 3) == pytest.approx(3 * rate)


def test_provisioned_hourly_cost_is_none_without_a_rate(table: PricingTable) -> None:
    price = table.price("anthropic.claude-v2")
    assert price is not None
    assert price.provisioned_hourly_cost(Commitment.NO_COMMITMENT) is None


def test_user_file_overrides_one_rate_and_keeps_the_rest(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "as_of": "2026-11-01",
            "models": {"amazon.titan-text-express-v1": {"provisioned_per_model_unit_hour": {"OneMonth": 1.5}}},
        },
    )
    table = load_pricing_table(path)
    price = table.price("amazon.titan-text-express-v1")
    assert table.as_of == dt.date(2026, 11, 1)
    assert price is not None
    assert price.provisioned_per_model_unit_hour == {Commitment.ONE_MONTH: 1.5}
    packaged = load_pricing_table().price("amazon.titan-text-express-v1")
    assert packaged is not None
    assert price.input_per_1k_tokens == packaged.input_per_1k_tokens
    assert table.price("cohere.command-text-v14") is not None


def test_user_file_can_add_a_model(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {"models": {"example.new-model-v1": {"kind": "text", "input_per_1k_tokens": 0.1}}},
    )
    price = load_pricing_table(path).price("example.new-model-v1:0:4k")
    assert price is not None
    assert price.input_per_1k_tokens == 0.1


def test_bad_rate_names_file_key_and_value(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {"models": {"amazon.titan-text-lite-v1": {"provisioned_per_model_unit_hour": {"OneMonth": "cheap"}}}},
    )
    with pytest.raises(ValueError) as excinfo:
        load_pricing_table(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert "models.amazon.titan-text-lite-v1.provisioned_per_model_unit_hour.OneMonth" in message
    assert "'cheap'" in message


def test_unknown_commitment_lists_the_allowed_ones(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {"models": {"amazon.titan-text-lite-v1": {"provisioned_per_model_unit_hour": {"OneYear": 1}}}},
    )
    with pytest.raises(ValueError, match=r"unknown commitment 'OneYear'; allowed: NoCommitment, OneMonth, SixMonths"):
        load_pricing_table(path)


def test_bad_date_names_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, {"as_of": "last week"})
    with pytest.raises(ValueError, match=r"as_of must be a date YYYY-MM-DD, got 'last week'"):
        load_pricing_table(path)


def test_unknown_top_level_key_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, {"currencies": "EUR"})
    with pytest.raises(ValueError, match=r"unknown key 'currencies'"):
        load_pricing_table(path)


def test_new_model_without_kind_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, {"models": {"example.new-model-v1": {"per_image": 0.1}}})
    with pytest.raises(ValueError, match=r"example.new-model-v1.kind must be one of text, embedding, image"):
        load_pricing_table(path)


def test_invalid_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"prices.json: not valid JSON"):
        load_pricing_table(path)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"missing.json: cannot read the pricing file"):
        load_pricing_table(tmp_path / "missing.json")
