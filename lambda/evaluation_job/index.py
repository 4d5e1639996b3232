"""Custom resource and poller for Amazon Bedrock model evaluation jobs.

``on_event`` (CloudFormation, through the CDK Provider framework) starts a job with
``CreateEvaluationJob`` and returns at once: evaluation jobs run for minutes to days, longer than any
stack should wait. The physical id is the job ARN. Any property change starts a new job (a new physical
id, so CloudFormation then deletes the old resource); Delete stops a job that is still running and keeps
its results in S3. Jobs cannot be changed in place.

``poll`` runs on a schedule (an EventBridge rule per job): Bedrock publishes no EventBridge event for
evaluation jobs (only for customization and batch inference jobs), so it asks ``GetEvaluationJob`` and,
once the job has ended, publishes the outcome to SNS and disables its own rule.

Standard library and boto3 only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from typing import Any

import boto3
from botocore.exceptions import ClientError

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Stopped"})
RUNNING_STATUSES = frozenset({"InProgress"})
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceUnavailableException",
        "InternalServerException",
    }
)
MAX_ATTEMPTS = 5
JOB_NAME_MAX = 63

# Clients are created on first use; tests replace them (``_clients["bedrock"] = stubbed_client``).
_clients: dict[str, Any] = {}
# Patched in tests so that retries do not sleep.
_sleep = time.sleep


def _client(service: str) -> Any:
    if service not in _clients:
        _clients[service] = boto3.client(service)
    return _clients[service]


def _log(level: int, message: str, **fields: Any) -> None:
    LOGGER.log(level, json.dumps({"message": message, **fields}, default=str))


def _call(service: str, operation: str, **params: Any) -> Any:
    """Call an API, retrying throttling and transient errors with exponential backoff."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return getattr(_client(service), operation)(**params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in RETRYABLE_CODES or attempt == MAX_ATTEMPTS:
                raise
            delay = min(2**attempt, 20)
            _log(logging.WARNING, "retrying", operation=operation, code=code, attempt=attempt, delay=delay)
            _sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


# ------------------------------------------------------------------------------------------ custom resource


def on_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Dispatch a CloudFormation custom resource event."""
    request_type = event["RequestType"]
    _log(
        logging.INFO,
        "event",
        request_type=request_type,
        logical_id=event.get("LogicalResourceId"),
        physical_id=event.get("PhysicalResourceId"),
    )
    if request_type == "Create":
        return on_create(event)
    if request_type == "Update":
        return on_update(event)
    if request_type == "Delete":
        return on_delete(event)
    raise ValueError(f"unknown RequestType {request_type!r}")


def job_name(prefix: str, request_id: str) -> str:
    """A job name unique per request: ``<prefix>-<8 hex of the request id>``, at most 63 characters."""
    suffix = hashlib.sha256(request_id.encode()).hexdigest()[:8]
    return f"{prefix[: JOB_NAME_MAX - len(suffix) - 1].rstrip('-')}-{suffix}"


def _client_token(request_id: str) -> str:
    # CloudFormation request ids are UUIDs, which fit the token pattern; hash anything else.
    token = "".join(ch for ch in request_id if ch.isalnum() or ch == "-").strip("-")
    return token[:256] or hashlib.sha256(request_id.encode()).hexdigest()


def _typed(value: Any, key: str = "") -> Any:
    """CloudFormation hands custom resources every scalar as a string: restore the request's numbers
    (``floatValue`` of judge rating scales is the only numeric field of CreateEvaluationJob used here)."""
    if isinstance(value, dict):
        return {k: _typed(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if key == "floatValue" and isinstance(value, str):
        return float(value)
    return value


def on_create(event: dict[str, Any]) -> dict[str, Any]:
    """Start the evaluation job; return its ARN as the physical id without waiting for it."""
    props = event["ResourceProperties"]
    request = _typed(dict(props["Request"]))
    name = job_name(props["JobNamePrefix"], event["RequestId"])
    request["jobName"] = name
    request["clientRequestToken"] = _client_token(event["RequestId"])
    try:
        response = _call("bedrock", "create_evaluation_job", **request)
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", str(exc))
        _log(logging.ERROR, "create failed", job_name=name, code=_error_code(exc), error=message)
        raise RuntimeError(f"CreateEvaluationJob {name} failed: {_error_code(exc)}: {message}") from exc
    arn = response["jobArn"]
    _log(logging.INFO, "evaluation job started", job_name=name, job_arn=arn)
    return {"PhysicalResourceId": arn, "Data": {"JobArn": arn, "JobName": name}}


def on_update(event: dict[str, Any]) -> dict[str, Any]:
    """Evaluation jobs are immutable: a changed request starts a new job (CloudFormation then deletes
    the old resource, which stops the old job if it still runs)."""
    return on_create(event)


def _is_job_arn(value: str) -> bool:
    return value.startswith("arn:") and ":evaluation-job/" in value


def on_delete(event: dict[str, Any]) -> dict[str, Any]:
    """Stop the job if it is still running; a finished or missing job needs nothing. Results stay in S3."""
    physical_id = event.get("PhysicalResourceId", "")
    if not _is_job_arn(physical_id):
        _log(logging.INFO, "nothing to delete", physical_id=physical_id)
        return {"PhysicalResourceId": physical_id}
    try:
        job = _call("bedrock", "get_evaluation_job", jobIdentifier=physical_id)
    except ClientError as exc:
        if _error_code(exc) == "ResourceNotFoundException":
            _log(logging.INFO, "job already gone", job_arn=physical_id)
            return {"PhysicalResourceId": physical_id}
        raise
    status = job.get("status")
    if status in RUNNING_STATUSES:
        try:
            _call("bedrock", "stop_evaluation_job", jobIdentifier=physical_id)
            _log(logging.INFO, "job stopped", job_arn=physical_id)
        except ClientError as exc:
            # Ended or began stopping between the two calls.
            if _error_code(exc) not in {
                "ResourceNotFoundException",
                "ConflictException",
                "ValidationException",
            }:
                raise
            _log(logging.INFO, "job no longer stoppable", job_arn=physical_id, code=_error_code(exc))
    else:
        _log(logging.INFO, "job not running, results kept", job_arn=physical_id, status=status)
    return {"PhysicalResourceId": physical_id}


# ------------------------------------------------------------------------------------------ poller


def poll(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Scheduled check of one job: ``{"jobArn", "topicArn", "ruleName"}``.

    When the job has ended, publish its outcome to the topic and disable the rule; otherwise do nothing.
    """
    arn = event["jobArn"]
    try:
        job = _call("bedrock", "get_evaluation_job", jobIdentifier=arn)
    except ClientError as exc:
        if _error_code(exc) != "ResourceNotFoundException":
            raise
        _log(logging.WARNING, "job not found; disabling the poller", job_arn=arn)
        _call("events", "disable_rule", Name=event["ruleName"])
        return {"status": "NotFound", "notified": False}
    status = str(job.get("status"))
    if status not in TERMINAL_STATUSES:
        _log(logging.INFO, "job still running", job_arn=arn, status=status)
        return {"status": status, "notified": False}
    message = {
        "jobArn": arn,
        "jobName": job.get("jobName"),
        "status": status,
        "jobType": job.get("jobType"),
        "outputS3Uri": job.get("outputDataConfig", {}).get("s3Uri"),
        "failureMessages": job.get("failureMessages", []),
    }
    subject = f"Bedrock evaluation job {job.get('jobName', '')} {status}"[:100]
    _call(
        "sns",
        "publish",
        TopicArn=event["topicArn"],
        Subject=subject,
        Message=json.dumps(message, default=str),
    )
    _call("events", "disable_rule", Name=event["ruleName"])
    _log(logging.INFO, "job ended; notified", **message)
    return {"status": status, "notified": True}
