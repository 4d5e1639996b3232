"""Custom resource and poller for Amazon Bedrock model evaluation jobs.

``on_event`` (CloudFormation, through the CDK Provider framework) starts a job with
``CreateEvaluationJob`` and returns at once: evaluation jobs run for minutes to days, longer than any
stack should wait. The physical id is the job ARN. The job's name is the prefix plus a hash of the request,
so one request names one job: a replayed request, an Update that changes only the service token, or a
rollback to the previous request finds the job instead of starting (and paying for) another. A changed
request starts a new job (a new physical id, so CloudFormation then deletes the old resource); Delete stops a
job that is still running and keeps its results in S3. Jobs cannot be changed in place.

``poll`` runs on a schedule (an EventBridge rule per job): Bedrock publishes no EventBridge event for
evaluation jobs (only for customization and batch inference jobs), so it asks ``GetEvaluationJob`` and,
once the job has ended, publishes the outcome to SNS and disables its own rule.

Standard library and boto3 only.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from botocore.exceptions import ClientError

from _runtime.cfn import dispatch, to_float
from _runtime.errors import error_code, error_message
from _runtime.logs import log
from _runtime.retry import Retry, RetryingClients

TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Stopped"})
RUNNING_STATUSES = frozenset({"InProgress"})
JOB_NAME_MAX = 63

# Clients are created on first use; tests replace them (``clients.override("bedrock", stubbed_client)``)
# and the sleep between retries (``clients.retry.sleep``). Backoff 2, 4, 8, 16 s, no jitter.
clients = RetryingClients(retry=Retry(max_attempts=5, base_delay=2.0, jitter=False))


# ------------------------------------------------------------------------------------------ custom resource


def on_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Dispatch a CloudFormation custom resource event."""
    log.info(
        "event",
        request_type=event.get("RequestType"),
        logical_id=event.get("LogicalResourceId"),
        physical_id=event.get("PhysicalResourceId"),
    )
    return dispatch(event, on_create=on_create, on_update=on_update, on_delete=on_delete)


def job_name(prefix: str, request: dict[str, Any], run_id: str = "") -> str:
    """``<prefix>-<8 hex of the job request and run id>``, at most 63 characters: the same request (and
    ``RunId``) always names the same job, so a rollback or a replayed request finds the job it started instead
    of starting another; a new ``RunId`` runs the same request again."""
    basis: Any = [request, run_id] if run_id else request
    canonical = json.dumps(basis, sort_keys=True, separators=(",", ":"), default=str)
    suffix = hashlib.sha256(canonical.encode()).hexdigest()[:8]
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
        return to_float(value, key)
    return value


def _existing_job(name: str) -> dict[str, Any] | None:
    """The job named ``name`` (ListEvaluationJobs), None when there is none."""
    summaries = clients.items("bedrock", "list_evaluation_jobs", "jobSummaries", nameContains=name, maxResults=100)
    return next((dict(s) for s in summaries if s.get("jobName") == name), None)


def on_create(event: dict[str, Any]) -> dict[str, Any]:
    """Start the evaluation job, or find the one this exact request already started; return its ARN as the
    physical id without waiting for it."""
    props = event["ResourceProperties"]
    request = _typed(dict(props["Request"]))
    name = job_name(props["JobNamePrefix"], request, str(props.get("RunId") or ""))
    existing = _existing_job(name)
    if existing is not None:
        status = existing.get("status")
        if status in {"Stopped", "Stopping", "Failed", "Deleting"}:
            raise RuntimeError(
                f"Evaluation job {name} for this exact request already exists and is {status}; job names are "
                "unique, so change job_name (JobNamePrefix) or the request to run the evaluation again"
            )
        arn = str(existing["jobArn"])
        log.info("found the job this request started", job_name=name, job_arn=arn, status=status)
        return {"PhysicalResourceId": arn, "Data": {"JobArn": arn, "JobName": name}}
    request["jobName"] = name
    request["clientRequestToken"] = _client_token(event["RequestId"])
    try:
        response = clients.call("bedrock", "create_evaluation_job", **request)
    except ClientError as exc:
        message = error_message(exc)
        log.error("create failed", job_name=name, code=error_code(exc), error=message)
        raise RuntimeError(f"CreateEvaluationJob {name} failed: {error_code(exc)}: {message}") from exc
    arn = response["jobArn"]
    log.info("evaluation job started", job_name=name, job_arn=arn)
    return {"PhysicalResourceId": arn, "Data": {"JobArn": arn, "JobName": name}}


def _job_definition(props: dict[str, Any]) -> tuple[Any, Any, str]:
    """What names a job: the prefix, the request and the run id (the service token may change freely)."""
    return props.get("JobNamePrefix"), _typed(dict(props.get("Request") or {})), str(props.get("RunId") or "")


def on_update(event: dict[str, Any]) -> dict[str, Any]:
    """Evaluation jobs are immutable and billed: an unchanged job definition (a new service token) keeps the
    job; a changed one starts a new job (CloudFormation then deletes the old resource, which stops the old job
    if it still runs); a rollback to the previous definition finds the job that definition started."""
    props = event["ResourceProperties"]
    if _job_definition(props) == _job_definition(event.get("OldResourceProperties") or {}):
        arn = str(event["PhysicalResourceId"])
        name = job_name(*_job_definition(props))
        log.info("job definition unchanged; nothing to start", job_arn=arn)
        return {"PhysicalResourceId": arn, "Data": {"JobArn": arn, "JobName": name}}
    return on_create(event)


def _is_job_arn(value: str) -> bool:
    return value.startswith("arn:") and ":evaluation-job/" in value


def on_delete(event: dict[str, Any]) -> dict[str, Any]:
    """Stop the job if it is still running; a finished or missing job needs nothing. Results stay in S3."""
    physical_id = event.get("PhysicalResourceId", "")
    if not _is_job_arn(physical_id):
        log.info("nothing to delete", physical_id=physical_id)
        return {"PhysicalResourceId": physical_id}
    job = clients.find("bedrock", "get_evaluation_job", jobIdentifier=physical_id)
    if job is None:
        log.info("job already gone", job_arn=physical_id)
        return {"PhysicalResourceId": physical_id}
    status = job.get("status")
    if status in RUNNING_STATUSES:
        try:
            clients.call("bedrock", "stop_evaluation_job", jobIdentifier=physical_id)
            log.info("job stopped", job_arn=physical_id)
        except ClientError as exc:
            # Ended or began stopping between the two calls.
            if error_code(exc) not in {
                "ResourceNotFoundException",
                "ConflictException",
                "ValidationException",
            }:
                raise
            log.info("job no longer stoppable", job_arn=physical_id, code=error_code(exc))
    else:
        log.info("job not running, results kept", job_arn=physical_id, status=status)
    return {"PhysicalResourceId": physical_id}


# ------------------------------------------------------------------------------------------ poller


def poll(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Scheduled check of one job: ``{"jobArn", "topicArn", "ruleName"}``.

    When the job has ended, publish its outcome to the topic and disable the rule; otherwise do nothing.
    """
    arn = event["jobArn"]
    job = clients.find("bedrock", "get_evaluation_job", jobIdentifier=arn)
    if job is None:
        log.warning("job not found; disabling the poller", job_arn=arn)
        clients.call("events", "disable_rule", Name=event["ruleName"])
        return {"status": "NotFound", "notified": False}
    status = str(job.get("status"))
    if status not in TERMINAL_STATUSES:
        log.info("job still running", job_arn=arn, status=status)
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
    clients.call(
        "sns",
        "publish",
        TopicArn=event["topicArn"],
        Subject=subject,
        Message=json.dumps(message, default=str),
    )
    clients.call("events", "disable_rule", Name=event["ruleName"])
    log.info("job ended; notified", **message)
    return {"status": status, "notified": True}
