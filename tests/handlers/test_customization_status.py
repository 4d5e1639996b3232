"""The workflow's describe-job step reports the model ARN, the metrics or Bedrock's failure reason."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from moto.bedrock.models import bedrock_backends

from tests.support import load_handler

REGION = "us-east-1"
ACCOUNT = "123456789012"

status = load_handler("customization_status")


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    status.clients.clear()
    with mock_aws():
        yield
    status.clients.clear()


def _create_job(job_name: str, job_status: str, failure_message: str = "") -> None:
    boto3.client("bedrock", region_name=REGION).create_model_customization_job(
        jobName=job_name,
        customModelName=f"{job_name}-model",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/bedrock",
        baseModelIdentifier="amazon.titan-text-express-v1",
        trainingDataConfig={"s3Uri": "s3://bucket/training/train.jsonl"},
        outputDataConfig={"s3Uri": "s3://bucket/output/"},
        hyperParameters={"epochCount": "1"},
    )
    # moto creates every job InProgress; set the outcome the test needs.
    job = bedrock_backends[ACCOUNT][REGION].model_customization_jobs[job_name]
    job.status = job_status
    job.failure_message = failure_message


def test_completed_job_reports_the_custom_model_arn_and_metrics() -> None:
    _create_job("chat-abc", "Completed")

    report = status.handler({"jobName": "chat-abc", "customModelName": "chat-abc-model"}, None)

    assert report["succeeded"] is True
    assert report["customModelArn"].startswith(f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/")
    message = json.loads(report["message"])
    assert message["customModelArn"] == report["customModelArn"]
    assert message["trainingMetrics"] == {"trainingLoss": 0.0}
    assert "succeeded" in report["subject"]


def test_failed_job_message_reaches_the_notification() -> None:
    _create_job("chat-bad", "Failed", "Max sum of input and output token length exceeds total limit")
    error = {"Error": "Bedrock.JobFailed", "Cause": "{}"}

    report = status.handler({"jobName": "chat-bad", "customModelName": "m", "error": error}, None)

    assert report["succeeded"] is False
    assert json.loads(report["message"])["failureMessage"] == (
        "Max sum of input and output token length exceeds total limit"
    )
    assert "failed (Failed)" in report["subject"]


def test_stopped_job_is_not_a_success() -> None:
    _create_job("chat-stop", "Stopped")

    report = status.handler({"jobName": "chat-stop"}, None)

    assert report["succeeded"] is False
    assert report["status"] == "Stopped"


def test_rejected_create_reports_the_task_cause() -> None:
    cause = json.dumps({"errorMessage": "ValidationException: base model not customizable"})
    error = {"Error": "Bedrock.ValidationException", "Cause": cause}

    report = status.handler({"jobName": "never-created", "error": error}, None)

    assert report["status"] == "NotCreated"
    assert report["failureMessage"] == "ValidationException: base model not customizable"


def test_plain_text_cause_is_reported_with_the_error_name() -> None:
    error = {"Error": "States.Timeout", "Cause": "task timed out"}

    report = status.handler({"jobName": "never-created", "error": error}, None)

    assert report["failureMessage"] == "States.Timeout: task timed out"


def test_subject_fits_the_sns_limit() -> None:
    report = status.handler({"jobName": "j" * 200, "error": {"Error": "X", "Cause": ""}}, None)

    assert len(report["subject"]) <= 100


def test_invalid_dataset_report_is_the_failure_reason() -> None:
    cause = json.dumps({"valid": False, "error_count": 3, "source": "training/train.jsonl"})
    error = {"Error": "DatasetInvalid", "Cause": cause}

    report = status.handler({"jobName": "never-created", "error": error}, None)

    assert report["failureMessage"].startswith("DatasetInvalid: ")
    assert json.loads(report["failureMessage"].removeprefix("DatasetInvalid: "))["error_count"] == 3
