"""The cost summary asks for base_model_id only when it is missing (issue 17 item 6 / task item 4)."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk.assertions import Template

from bedrock_ops.cost import advisor as cost
from bedrock_ops.cost.pricing import load_pricing_table
from bedrock_ops.serving.provisioned_throughput import ProvisionedThroughput
from tests.support import new_stack

CUSTOM = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1:0:8k/abcdef123456"


def _summary(pt_kwargs: dict[str, object], pricing_file: Path | None = None) -> str:
    stack = new_stack("Msg")
    table = load_pricing_table(pricing_file)
    ProvisionedThroughput(stack, "Pt", model=CUSTOM, pricing_table=table, **pt_kwargs)  # type: ignore[arg-type]
    outputs = Template.from_stack(stack).find_outputs("*")
    (value,) = (o["Value"] for key, o in outputs.items() if "EstimatedCost" in key)
    return str(value)


def test_summary_with_base_model_id_but_no_rate_does_not_ask_for_base_model_id(tmp_path: Path) -> None:
    no_rates = tmp_path / "pricing.json"
    no_rates.write_text(
        json.dumps({"models": {"amazon.titan-text-express-v1": {"provisioned_per_model_unit_hour": {}}}})
    )
    summary = _summary({"base_model_id": "amazon.titan-text-express-v1"}, no_rates)
    assert "pass base_model_id" not in summary
    assert "no NoCommitment rate for amazon.titan-text-express-v1" in summary
    assert "pricing file" in summary


def test_summary_without_base_model_id_of_a_custom_model_asks_for_it() -> None:
    summary = _summary({})
    assert "pass base_model_id" in summary


def test_cost_warning_of_an_unresolved_model_is_silent_when_the_base_was_given_as_custom_model() -> None:
    template = {
        "Resources": {
            "Pt": {
                "Type": "Custom::BedrockProvisionedThroughput",
                "Properties": {"ModelId": {"Ref": "Custom"}, "ModelUnits": 1, "CommitmentDuration": "NoCommitment"},
            }
        }
    }
    inventory = cost.inventory_from_templates({"s": template})
    report = cost.estimate(
        inventory, load_pricing_table(), cost.load_service_prices(), custom_models=["amazon.titan-text-express-v1"]
    )
    assert not any("--model <base id>" in w or "--custom-model" in w for w in report.warnings)
    line = report.lines[0]
    assert line.monthly is not None and "custom model of amazon.titan-text-express-v1" in line.note
