"""Batch inference prices: the dated discount table, overrides, and the batch line of ``bedrock-ops cost``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bedrock_ops.cli import main
from bedrock_ops.cost.batch_pricing import load_batch_pricing
from bedrock_ops.cost.pricing import load_pricing_table

TITAN = "amazon.titan-text-express-v1"


def test_packaged_table_is_dated_cited_and_halves_on_demand() -> None:
    batch = load_batch_pricing()
    assert batch.as_of.isoformat() == "2026-11-30"
    assert batch.source.startswith("https://docs.aws.amazon.com/bedrock/")
    assert batch.default_discount == 0.5
    on_demand = load_pricing_table().price(TITAN)
    assert on_demand is not None and on_demand.input_per_1k_tokens and on_demand.output_per_1k_tokens
    price = batch.price(on_demand)
    assert price is not None
    assert price.input_per_1k_tokens == pytest.approx(on_demand.input_per_1k_tokens / 2)
    assert price.output_per_1k_tokens == pytest.approx(on_demand.output_per_1k_tokens / 2)


def test_user_file_sets_explicit_rates_a_discount_or_no_support(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    models = {
        TITAN: {"input_per_1k_tokens": 0.0001, "output_per_1k_tokens": 0.0003},
        "amazon.nova-micro-v1:0": {"discount": 0.25},
        "amazon.nova-lite-v1:0": {"supported": False},
    }
    path.write_text(json.dumps({"models": models}), encoding="utf-8")
    batch, pricing = load_batch_pricing(path), load_pricing_table()
    titan, micro, lite = (pricing.price(m) for m in (TITAN, "amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0"))
    assert titan is not None and micro is not None and lite is not None
    titan_batch = batch.price(titan)
    assert titan_batch is not None and titan_batch.basis == "explicit batch rates"
    micro_batch = batch.price(micro)
    assert micro_batch is not None and micro.input_per_1k_tokens is not None
    assert micro_batch.input_per_1k_tokens == pytest.approx(micro.input_per_1k_tokens * 0.75)
    assert batch.price(lite) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"default_discount": 1.5}, "default_discount must be a number 0 <= x < 1, got 1.5"),
        ({"models": {TITAN: {"discont": 0.5}}}, f"unknown key models.{TITAN}.discont"),
        ({"extra": 1}, "unknown key 'extra'"),
    ],
)
def test_bad_batch_file_names_file_and_key(tmp_path: Path, content: dict[str, object], message: str) -> None:
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ValueError, match=message) as error:
        load_batch_pricing(path)
    assert str(error.value).startswith(str(path))


def test_cost_command_compares_batch_on_demand_and_provisioned(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--model", TITAN, "--tokens-per-minute", "20000", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (row,) = data["batch"]["models"]
    assert row["model_id"] == TITAN
    assert row["batch_monthly"] == pytest.approx(row["on_demand_monthly"] / 2)
    assert row["provisioned_term"] == "SixMonths" and row["cheapest"] == "batch"
    assert main(["cost", "--model", TITAN, "--tokens-per-minute", "20000"]) == 0
    text = capsys.readouterr().out
    assert "Batch vs on-demand vs provisioned" in text and "on-demand less 50% (configurable)" in text


def test_batch_comparison_dates_each_of_the_three_prices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--model", TITAN, "--tokens-per-minute", "20000", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["batch"]["models"]
    assert (row["on_demand_as_of"], row["provisioned_as_of"], row["batch_as_of"]) == (
        "2025-03-01",
        "2024-03-13",
        "2026-11-30",
    )
    assert row["batch_source"].startswith("https://docs.aws.amazon.com/bedrock/")
    assert main(["cost", "--model", TITAN, "--tokens-per-minute", "20000"]) == 0
    text = capsys.readouterr().out
    assert "on-demand less 50% (configurable); as of 2026-11-30)" in text
    assert "(SixMonths, 1 MU; prices as of 2024-03-13)" in text


def test_a_user_batch_entry_is_attributed_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({"as_of": "2026-11-15", "models": {TITAN: {"discount": 0.4}}}), encoding="utf-8")
    as_of, source, unconfirmed = load_batch_pricing(path).provenance(TITAN)
    assert (as_of, source, unconfirmed) == (dt.date(2026, 11, 15), f"your file {path}", False)
