"""``bedrock-ops promote`` / ``rollback``: dry runs without credentials, live runs against botocore Stubbers
(requests validated against the bedrock and ssm service models), exit statuses and messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bedrock_ops._cli import promote as command
from bedrock_ops.cli import main
from bedrock_ops.serving import promotion

REGION, ACCOUNT = "us-east-1", "123456789012"
NOVA = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k"
MODEL_A, MODEL_B = f"{NOVA}/aaaaaaaaaaaa", f"{NOVA}/bbbbbbbbbbbb"
DEPLOYMENT = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model-deployment/abcdefghijkl"
PARAMETER = "/bedrock-ops/stable-endpoints/app-Chat"


def saved(**fields: Any) -> promotion.Record:
    return promotion.Record(endpoint_kind="deployment", endpoint=promotion.EndpointConfig(name="chat"), **fields)


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "make_clients", lambda region: None)


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stubber, Stubber]]:
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name=REGION)
    bedrock, ssm = session.client("bedrock"), session.client("ssm")
    monkeypatch.setattr(command, "make_clients", lambda region: (bedrock, ssm))
    with Stubber(bedrock) as b, Stubber(ssm) as s:
        yield b, s
        b.assert_no_pending_responses()
        s.assert_no_pending_responses()


def test_a_dry_run_with_a_saved_record_prints_the_exact_plan(
    tmp_path: Path, no_credentials: None, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "record.json"
    record.write_text(saved(endpoint_arn=DEPLOYMENT, current_model_arn=MODEL_A).dumps())
    status = main(["promote", "--parameter", PARAMETER, "--model-arn", MODEL_B, "--dry-run", "--record", str(record)])
    out = capsys.readouterr().out
    assert status == 0
    assert "UpdateCustomModelDeployment" in out and MODEL_B in out and "dry run: nothing changed" in out


def test_a_dry_run_without_credentials_or_record_says_what_it_would_do(
    no_credentials: None, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["rollback", "--parameter", PARAMETER, "--dry-run"])
    out = capsys.readouterr().out
    assert status == 0
    assert f"would read the record {PARAMETER}" in out and "previousModelArn" in out


def test_without_credentials_a_promotion_fails_with_one_line_and_exit_2(
    no_credentials: None, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["promote", "--parameter", PARAMETER, "--model-arn", MODEL_A])
    err = capsys.readouterr().err
    assert status == 2
    assert err.strip().splitlines() == [
        "bedrock-ops promote: error: no AWS credentials for Bedrock and SSM; configure them, or use --dry-run"
    ]


def test_an_unreadable_record_file_is_a_usage_error(
    tmp_path: Path, no_credentials: None, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "record.json"
    bad.write_text("{")
    status = main(["promote", "--parameter", PARAMETER, "--model-arn", MODEL_A, "--dry-run", "--record", str(bad)])
    assert status == 2
    assert f"--record {bad}: the record is not JSON" in capsys.readouterr().err


def test_a_live_promotion_swaps_the_model_and_writes_the_record(
    stubbed: tuple[Stubber, Stubber], capsys: pytest.CaptureFixture[str]
) -> None:
    bedrock, ssm = stubbed
    before = saved(endpoint_arn=DEPLOYMENT, current_model_arn=MODEL_A)
    ssm.add_response("get_parameter", {"Parameter": {"Name": PARAMETER, "Value": before.dumps()}}, {"Name": PARAMETER})
    deployment = {
        "customModelDeploymentArn": DEPLOYMENT,
        "modelDeploymentName": "chat",
        "modelArn": MODEL_A,
        "createdAt": "2026-12-01T00:00:00Z",
        "status": "Active",
    }
    bedrock.add_response("get_custom_model_deployment", deployment, {"customModelDeploymentIdentifier": DEPLOYMENT})
    bedrock.add_response(
        "update_custom_model_deployment",
        {"customModelDeploymentArn": DEPLOYMENT},
        {"customModelDeploymentIdentifier": DEPLOYMENT, "modelArn": MODEL_B},
    )
    ssm.add_response("put_parameter", {"Version": 2})
    status = main(["promote", "--parameter", PARAMETER, "--model-arn", MODEL_B, "--json"])
    document = json.loads(capsys.readouterr().out)
    assert status == 0
    assert document["mode"] == "update" and document["dryRun"] is False
    assert document["recordAfter"]["currentModelArn"] == MODEL_B
    assert document["recordAfter"]["previousModelArn"] == MODEL_A


def test_a_live_rollback_without_a_previous_model_fails_with_exit_1(
    stubbed: tuple[Stubber, Stubber], capsys: pytest.CaptureFixture[str]
) -> None:
    _, ssm = stubbed
    before = saved(endpoint_arn=DEPLOYMENT, current_model_arn=MODEL_A)
    ssm.add_response("get_parameter", {"Parameter": {"Name": PARAMETER, "Value": before.dumps()}}, {"Name": PARAMETER})
    status = main(["rollback", "--parameter", PARAMETER])
    assert status == 1
    assert "nothing to roll back to" in capsys.readouterr().err


def test_a_missing_parameter_is_reported_with_ssms_error(
    stubbed: tuple[Stubber, Stubber], capsys: pytest.CaptureFixture[str]
) -> None:
    _, ssm = stubbed
    ssm.add_client_error("get_parameter", service_error_code="ParameterNotFound", service_message="not found")
    status = main(["promote", "--parameter", PARAMETER, "--model-arn", MODEL_A, "--dry-run"])
    assert status == 1
    assert "ParameterNotFound: not found" in capsys.readouterr().err


def test_bad_scores_are_a_usage_error(no_credentials: None, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["promote", "--parameter", PARAMETER, "--model-arn", MODEL_A, "--scores", "[1]", "--dry-run"])
    assert status == 2
    assert "--scores must be a JSON object of metric -> number" in capsys.readouterr().err
