"""``bedrock-ops batch`` starts a BatchInference workflow (moto's Step Functions) or prints the request."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from bedrock_ops.cli import main

REGION = "us-east-1"
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:Batch"


@pytest.fixture
def state_machine_arn(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name=REGION)
        response = sfn.create_state_machine(
            name="Batch",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )
        yield str(response["stateMachineArn"])


def test_starts_an_execution_named_after_the_job(state_machine_arn: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "batch",
        "--state-machine-arn",
        state_machine_arn,
        "--model",
        MODEL,
        "--input",
        "s3://data/batch/input/a.jsonl",
    ]
    assert main([*argv, "--job-name", "nightly-1"]) == 0
    assert "started arn:aws:states:" in capsys.readouterr().out
    sfn = boto3.client("stepfunctions", region_name=REGION)
    (execution,) = sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]
    assert execution["name"] == "nightly-1"
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == {
        "jobName": "nightly-1",
        "modelId": MODEL,
        "inputUri": "s3://data/batch/input/a.jsonl",
    }


def test_dry_run_needs_no_credentials(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(boto3, "client", lambda *a, **k: pytest.fail("a client was created in a dry run"))
    argv = ["batch", "--state-machine-arn", ARN, "--model", MODEL, "--input", "s3://data/batch/input/", "--dry-run"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("aws stepfunctions start-execution --region us-east-1 --state-machine-arn " + ARN)
    assert '"modelId": "anthropic.claude-3-haiku-20240307-v1:0"' in out and "dry run: no execution started" in out
    name = out.split("--name ", 1)[1].split(" ", 1)[0]
    assert name.startswith("batch-anthropic-claude-3-haiku-20240307-v1-0-") and len(name) <= 63


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--state-machine-arn", "arn:aws:states:us-east-1:1:nope"], "is not a state machine ARN"),
        (["--input", "data/batch/a.jsonl"], "is not an s3:// URI"),
        (["--model", "anthropic.claude-3-haiku"], "did you mean"),
        (["--job-name", "bad_name.v1"], "--job-name 'bad_name.v1'"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = {"--state-machine-arn": ARN, "--model": MODEL, "--input": "s3://data/batch/input/a.jsonl"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    argv = ["batch", *[x for kv in base.items() for x in kv], "--dry-run"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("bedrock-ops batch: error:") and message in err and err.count("\n") == 1
