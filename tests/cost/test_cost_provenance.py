"""Every price carries its own source and date; the cost output prints them and flags old ones."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Template

from bedrock_ops.cli import main
from bedrock_ops.cost import pricing as pricing_module
from bedrock_ops.cost.pricing import PRICE_GROUPS, ModelPrice, load_pricing_table
from bedrock_ops.cost.service_prices import load_service_prices
from bedrock_ops.serving.provisioned_throughput import ProvisionedThroughput
from tests.support import new_stack

TODAY = dt.date(2026, 12, 1)


def _filled_groups(price: ModelPrice) -> list[str]:
    groups = []
    for group, fields in PRICE_GROUPS.items():
        if group == "provisioned":
            if price.provisioned_per_model_unit_hour:
                groups.append(group)
        elif any(getattr(price, f) is not None for f in fields):
            groups.append(group)
    return groups


def test_every_packaged_price_names_the_page_and_the_day_it_was_read() -> None:
    table = load_pricing_table()
    for model_id in table.model_ids:
        price = table.price(model_id)
        assert price is not None
        for group in _filled_groups(price):
            source = price.source_of(group)
            assert source.source.startswith("https://"), (model_id, group, source)
            assert source.as_of is not None and source.as_of <= TODAY, (model_id, group, source)


def test_a_packaged_entry_without_source_is_refused_naming_the_entry() -> None:
    with pytest.raises(ValueError, match=r"pkg: models.acme.text-v1: the on_demand prices need a source"):
        pricing_module._require_provenance(
            "acme.text-v1", {"kind": "text", "input_per_1k_tokens": 0.1, "as_of": "2026-01-01"}, "pkg"
        )


def test_a_provisioned_group_may_be_dated_by_its_own_provenance() -> None:
    entry = {
        "kind": "text",
        "provisioned_per_model_unit_hour": {"OneMonth": 1.0},
        "provenance": {"provisioned": {"source": "https://example.com", "as_of": "2024-01-01"}},
    }
    pricing_module._require_provenance("acme.text-v1", entry, "pkg")


def test_rates_from_a_third_party_copy_are_marked_unconfirmed() -> None:
    table = load_pricing_table()
    nova = table.price("amazon.nova-lite-v1:0")
    titan = table.price("amazon.titan-text-express-v1")
    assert nova is not None and titan is not None
    assert nova.source_of("on_demand").unconfirmed
    assert "api-evangelist" in nova.source_of("on_demand").source
    assert not titan.source_of("provisioned").unconfirmed


def test_rates_the_docs_do_not_state_are_null_and_unconfirmed() -> None:
    table = load_pricing_table()
    nova = table.price("amazon.nova-micro-v1:0")
    assert nova is not None
    assert (nova.deployment_input_per_1k_tokens, nova.custom_model_storage_month) == (None, None)
    assert nova.source_of("deployment").unconfirmed
    cmu = table.rates["custom_model_import_per_cmu_minute"]
    assert cmu.value is None and cmu.provenance.unconfirmed
    window = table.rates["custom_model_import_billing_window_minutes"]
    assert window.value == 5 and "import-model-calculate-cost" in window.provenance.source


def test_the_table_no_longer_dates_nova_prices_before_nova_existed() -> None:
    nova = load_pricing_table().price("amazon.nova-pro-v1:0")
    assert nova is not None
    as_of = nova.source_of("on_demand").as_of
    assert as_of is not None and as_of >= dt.date(2024, 12, 3)


def test_user_file_prices_are_attributed_to_the_file_and_dated_by_its_as_of(tmp_path: Path) -> None:
    user = tmp_path / "mine.json"
    user.write_text(
        json.dumps({"as_of": "2026-11-20", "models": {"amazon.titan-text-express-v1": {"input_per_1k_tokens": 0.1}}})
    )
    price = load_pricing_table(user).price("amazon.titan-text-express-v1")
    assert price is not None
    on_demand = price.source_of("on_demand")
    assert (on_demand.source, on_demand.as_of, on_demand.from_user_file) == (
        f"your file {user}",
        dt.date(2026, 11, 20),
        True,
    )
    assert price.source_of("provisioned").source == "https://aws.amazon.com/bedrock/pricing/"


def test_user_file_without_as_of_is_undated_and_reported_as_old(tmp_path: Path) -> None:
    user = tmp_path / "mine.json"
    user.write_text(json.dumps({"models": {"acme.text-v1": {"kind": "text", "input_per_1k_tokens": 0.1}}}))
    table = load_pricing_table(user, today=TODAY)
    price = table.price("acme.text-v1")
    assert price is not None
    assert price.source_of("on_demand").as_of is None
    assert "undated: check the pricing page" in table.describe(price.source_of("on_demand"))


def test_user_file_may_state_its_own_provenance(tmp_path: Path) -> None:
    user = tmp_path / "mine.json"
    entry = {"kind": "text", "input_per_1k_tokens": 0.1, "source": "https://example.com/q", "as_of": "2026-10-01"}
    user.write_text(json.dumps({"models": {"acme.text-v1": entry}}))
    price = load_pricing_table(user).price("acme.text-v1")
    assert price is not None
    assert (price.source_of("on_demand").source, price.source_of("on_demand").as_of) == (
        "https://example.com/q",
        dt.date(2026, 10, 1),
    )


def test_bad_unconfirmed_value_names_the_key_and_what_is_allowed(tmp_path: Path) -> None:
    user = tmp_path / "mine.json"
    user.write_text(json.dumps({"models": {"amazon.nova-lite-v1:0": {"unconfirmed": ["cheap"]}}}))
    with pytest.raises(ValueError, match=r"mine.json: models.amazon.nova-lite-v1:0.unconfirmed must be true/false"):
        load_pricing_table(user)


def test_a_price_older_than_max_age_is_flagged_and_the_age_is_configurable() -> None:
    titan = load_pricing_table().price("amazon.titan-text-express-v1")
    assert titan is not None
    pt = titan.source_of("provisioned")
    default = load_pricing_table(today=TODAY)
    assert default.max_age_days == 365
    assert default.is_old(pt)
    assert "older than 365 days (993 days)" in default.describe(pt)
    lenient = load_pricing_table(max_age_days=1000, today=TODAY)
    assert not lenient.is_old(pt)
    assert "older than" not in lenient.describe(pt)


def test_max_age_must_be_a_positive_whole_number() -> None:
    with pytest.raises(ValueError, match="max_age_days must be an integer >= 1, got 0"):
        load_pricing_table(max_age_days=0)


def test_cost_output_prints_the_date_and_source_of_each_price_it_uses(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["cost", "--model", "amazon.titan-text-express-v1", "--tokens-per-minute", "1000"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Prices used (date and source of each; older than 365 days is flagged)" in out
    assert (
        "amazon.titan-text-express-v1 on-demand prices as of 2025-03-01 (https://aws.amazon.com/bedrock/pricing/)"
        in out
    )
    assert "amazon.titan-text-express-v1 provisioned prices as of 2024-03-13" in out
    assert "older than 365 days" in out


def test_cost_max_price_age_option_sets_the_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["cost", "--model", "amazon.titan-text-express-v1", "--tokens-per-minute", "1000", "--json"]
    assert main([*argv, "--max-price-age-days", "100000"]) == 0
    prices = json.loads(capsys.readouterr().out)["prices"]
    assert {(p["group"], p["as_of"], p["older_than_max_age"]) for p in prices} == {
        ("on_demand", "2025-03-01", False),
        ("provisioned", "2024-03-13", False),
    }


def test_cost_max_price_age_option_rejects_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["cost", "--model", "amazon.titan-text-express-v1", "--max-price-age-days", "0"])
    assert "expected a whole number of days >= 1, got '0'" in capsys.readouterr().err


def test_synth_summary_prints_the_date_of_its_rate_and_flags_it_when_old() -> None:
    stack = new_stack("Dated")
    ProvisionedThroughput(stack, "Pt", model="amazon.titan-text-express-v1:0:8k")
    outputs = Template.from_stack(stack).find_outputs("*")
    (value,) = (str(o["Value"]) for key, o in outputs.items() if "EstimatedCost" in key)
    assert "rate as of 2024-03-13 (https://aws.amazon.com/bedrock/pricing/); older than 365 days" in value


def test_every_service_rate_names_its_page_and_date_and_user_rates_their_file(tmp_path: Path) -> None:
    packaged = load_service_prices()
    for key in packaged.prices:
        cited = packaged.source_of(key)
        assert str(cited["source"]).startswith("https://") and cited["as_of"], key
    assert packaged.source_of("cloudwatch_metrics_insights_alarm_metric_month")["unconfirmed"] is True
    user = tmp_path / "services.json"
    user.write_text(json.dumps({"as_of": "2026-11-30", "prices": {"kms_key_month": 2.0}}))
    assert load_service_prices(user).source_of("kms_key_month") == {
        "source": f"your file {user}",
        "as_of": "2026-11-30",
    }


def test_cost_json_dates_the_service_rates_it_uses(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    template = {"Resources": {"Key": {"Type": "AWS::KMS::Key"}}}
    (tmp_path / "a.template.json").write_text(json.dumps(template))
    manifest = {
        "artifacts": {"a": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "a.template.json"}}}
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert main(["cost", "--assembly", str(tmp_path), "--json"]) == 0
    services = json.loads(capsys.readouterr().out)["service_prices"]
    assert services == {"kms_key_month": {"source": "https://aws.amazon.com/kms/pricing/", "as_of": "2026-11-28"}}


def test_reward_function_calls_are_priced_by_the_cited_lambda_rates() -> None:
    services = load_service_prices()
    assert (services.rate("lambda_request"), services.rate("lambda_gb_second")) == (0.0000002, 0.00001667)
    cited = services.source_of("lambda_gb_second")
    assert cited["source"] == "https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html"
    # The README's example: 8,000 grader calls of 0.5 s at 512 MB.
    per_call = services.rate("lambda_request") + 0.5 * 0.5 * services.rate("lambda_gb_second")
    assert 8000 * per_call == pytest.approx(0.03494)


def test_rft_training_rate_is_null_and_unconfirmed_with_the_rft_page_as_source() -> None:
    nova2 = load_pricing_table().price("amazon.nova-2-lite-v1:0")
    assert nova2 is not None and nova2.training_per_1k_tokens is None
    training = nova2.source_of("training")
    assert training.unconfirmed and training.source.endswith("/rft-nova-models.html")


def test_a_user_source_dates_only_the_prices_the_user_gave(tmp_path: Path) -> None:
    user = tmp_path / "mine.json"
    entry = {
        "input_per_1k_tokens": 0.1,
        "output_per_1k_tokens": 0.2,
        "source": "https://example.com/q",
        "as_of": "2026-10-01",
    }
    user.write_text(json.dumps({"models": {"amazon.nova-lite-v1:0": entry}}))
    price = load_pricing_table(user).price("amazon.nova-lite-v1:0")
    assert price is not None
    assert (price.source_of("on_demand").source, price.source_of("on_demand").unconfirmed) == (
        "https://example.com/q",
        False,  # the user's own figures; the packaged entry's flag stays with the packaged prices
    )
    assert price.source_of("provisioned").unconfirmed
    assert price.source_of("provisioned").as_of == dt.date(2026, 9, 1)
    assert "api-evangelist" in price.source_of("provisioned").source


def test_a_user_entry_flagged_unconfirmed_without_a_source_is_still_the_users(tmp_path: Path) -> None:
    user = tmp_path / "mine.json"
    user.write_text(
        json.dumps({"models": {"amazon.nova-lite-v1:0": {"input_per_1k_tokens": 0.1, "unconfirmed": True}}})
    )
    on_demand = load_pricing_table(user).price("amazon.nova-lite-v1:0")
    assert on_demand is not None
    source = on_demand.source_of("on_demand")
    assert (source.source, source.as_of, source.unconfirmed) == (f"your file {user}", None, True)
