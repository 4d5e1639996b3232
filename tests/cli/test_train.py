"""``bedrock-ops train`` starts the customization workflow by hand and prints the AWS CLI call."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from bedrock_ops._cli.train import build_request
from bedrock_ops.cli import main

REGION = "us-east-1"


@pytest.fixture
def state_machine_arn(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name=REGION)
        response = sfn.create_state_machine(
            name="ChatCustomization",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn="arn:aws:iam::123456789012:role/sfn",
            tags=[
                {"key": "bedrock-ops:job-name-prefix", "value": "stack-chat"},
                {"key": "bedrock-ops:model-name-prefix", "value": "chat-model"},
            ],
        )
        yield str(response["stateMachineArn"])


def _executions(arn: str) -> list[dict[str, str]]:
    client = boto3.client("stepfunctions", region_name=REGION)
    return list(client.list_executions(stateMachineArn=arn)["executions"])


def test_train_starts_one_execution_named_with_the_workflow_prefix(
    state_machine_arn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["train", "--state-machine-arn", state_machine_arn])

    assert status == 0
    executions = _executions(state_machine_arn)
    assert len(executions) == 1
    assert executions[0]["name"].startswith("stack-chat-manual-")
    assert f"started {executions[0]['executionArn']}" in capsys.readouterr().out


def test_train_prints_the_equivalent_aws_cli_command(
    state_machine_arn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["train", "--state-machine-arn", state_machine_arn, "--job-name", "chat-rerun"])

    command = shlex.split(capsys.readouterr().out.splitlines()[0])
    assert command[:3] == ["aws", "stepfunctions", "start-execution"]
    assert command[command.index("--name") + 1] == "chat-rerun"
    execution_input = json.loads(command[command.index("--input") + 1])
    assert execution_input["jobName"] == "chat-rerun"
    assert execution_input["customModelName"].startswith("chat-model-manual-")


def test_dry_run_starts_nothing(state_machine_arn: str) -> None:
    status = main(["train", "--state-machine-arn", state_machine_arn, "--dry-run"])

    assert status == 0
    assert _executions(state_machine_arn) == []


def test_unknown_state_machine_is_reported_as_failure(
    state_machine_arn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = state_machine_arn.replace("ChatCustomization", "Missing")

    status = main(["train", "--state-machine-arn", missing])

    assert status == 1
    assert "error:" in capsys.readouterr().err


def test_malformed_arn_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["train", "--state-machine-arn", "not-an-arn"])

    assert status == 2
    assert "'not-an-arn'" in capsys.readouterr().err


def test_default_names_fit_the_bedrock_limit_without_tags() -> None:
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:" + "W" * 80
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    request = build_request(arn, {}, now=now)

    names = json.loads(request["input"])
    assert len(names["jobName"]) <= 63 and names["jobName"].endswith("-manual-20260102030405")
    assert len(names["customModelName"]) <= 63
