"""`bedrock-ops cost` reads an assembly or a config and explains what to do outside a checkout."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bedrock_ops.cli import main


@pytest.fixture
def assembly(tmp_path: Path) -> Path:
    template = {
        "Resources": {
            "Pt": {
                "Type": "Custom::BedrockProvisionedThroughput",
                "Properties": {
                    "ModelId": "amazon.titan-text-express-v1",
                    "ModelUnits": 1,
                    "CommitmentDuration": "SixMonths",
                },
            },
            "Key": {"Type": "AWS::KMS::Key"},
        }
    }
    (tmp_path / "app.template.json").write_text(json.dumps(template), encoding="utf-8")
    manifest = {
        "artifacts": {"app": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "app.template.json"}}}
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return tmp_path


def test_json_report_of_an_assembly_prices_the_provisioned_throughput(
    assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["cost", "--assembly", str(assembly), "--tokens-per-minute", "5000", "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    pt = next(line for line in data["lines"] if line["category"] == "provisioned throughput")
    assert pt["monthly"] == pytest.approx(pt["unit_price"] * 730)
    assert data["break_even"][0]["model_id"] == "amazon.titan-text-express-v1"
    assert data["break_even"][0]["tokens_per_minute"] == 5000


def test_pricing_override_file_changes_the_rate(
    assembly: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    override = tmp_path / "pricing.json"
    override.write_text(
        json.dumps(
            {"models": {"amazon.titan-text-express-v1": {"provisioned_per_model_unit_hour": {"SixMonths": 1.0}}}}
        ),
        encoding="utf-8",
    )
    assert main(["cost", "--assembly", str(assembly), "--pricing", str(override), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["lines"][0]["monthly"] == pytest.approx(730.0)


def test_per_model_traffic_is_parsed(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["cost", "--model", "amazon.titan-text-express-v1", "--tokens-per-minute"]
    argv += ["amazon.titan-text-express-v1=1200", "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["break_even"][0]["tokens_per_minute"] == 1200


def test_bad_traffic_value_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--model", "amazon.titan-text-express-v1", "--tokens-per-minute", "lots"]) == 2
    assert "expected N or MODEL=N" in capsys.readouterr().err


def test_missing_source_says_what_to_give(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost"]) == 2
    assert "give --config FILE (or --assembly DIR)" in capsys.readouterr().err


def test_config_outside_a_checkout_says_where_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "infra.config", None)  # as if infra/ were not importable
    assert main(["cost", "--config", "config/default.yaml"]) == 2
    err = capsys.readouterr().err
    assert "run `bedrock-ops cost` from the folder that holds infra/" in err
    assert "--assembly cdk.out" in err
