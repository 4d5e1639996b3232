"""Step Functions helper: describe a model customization job for the workflow's notification.

Input (from the state machine): ``{"jobName": str, "customModelName": str, "error": {"Error",
"Cause"} | absent}``. ``error`` is present when the create-job task failed; the job may then not
exist at all (for example when Bedrock rejected the request), and the failure reason is the
task's ``Cause``.

Output: ``{"status", "succeeded", "jobName", "jobArn", "customModelName", "customModelArn",
"trainingMetrics", "validationMetrics", "failureMessage", "subject", "message"}`` where
``message`` is the JSON text published to the notification topic.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from _runtime.clients import Clients
from _runtime.errors import error_code
from _runtime.logs import log

SUBJECT_LIMIT = 100  # SNS subject limit
# Created on first use (tests: clients.override or clear inside mock_aws); botocore's standard retries.
clients = Clients(max_attempts=8)


def _cause_message(error: dict[str, Any] | None) -> str:
    """Extract a readable reason from a Step Functions ``{"Error", "Cause"}`` object."""
    if not error:
        return ""
    cause = error.get("Cause", "")
    try:
        parsed = json.loads(cause) if isinstance(cause, str) else cause
    except ValueError:
        parsed = cause
    if isinstance(parsed, dict):
        for key in ("failureMessage", "FailureMessage", "errorMessage", "Message", "message"):
            if parsed.get(key):
                return str(parsed[key])
    text = json.dumps(parsed, default=str)[:2000] if isinstance(parsed, dict) else str(parsed or "")
    return f"{error.get('Error', 'Error')}: {text}" if text else str(error.get("Error", ""))


def describe(job_name: str, model_name: str, error: dict[str, Any] | None) -> dict[str, Any]:
    """Return the job's status, model ARN, metrics and failure reason."""
    report: dict[str, Any] = {
        "jobName": job_name,
        "customModelName": model_name,
        "jobArn": "",
        "customModelArn": "",
        "trainingMetrics": {},
        "validationMetrics": [],
        "failureMessage": "",
    }
    try:
        job = clients.get("bedrock").get_model_customization_job(jobIdentifier=job_name)
    except ClientError as client_error:
        if error_code(client_error) != "ResourceNotFoundException":
            raise
        report["status"] = "NotCreated"
        report["failureMessage"] = _cause_message(error) or str(client_error)
        return report
    report.update(
        status=str(job.get("status", "Unknown")),
        jobArn=str(job.get("jobArn", "")),
        customModelArn=str(job.get("outputModelArn", "")),
        trainingMetrics=job.get("trainingMetrics", {}),
        validationMetrics=job.get("validationMetrics", []),
    )
    if report["status"] != "Completed":
        report["failureMessage"] = str(job.get("failureMessage") or _cause_message(error))
    return report


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Entry point for the workflow's describe-job step."""
    job_name = str(event["jobName"])
    report = describe(job_name, str(event.get("customModelName", "")), event.get("error"))
    report["succeeded"] = report["status"] == "Completed" and not event.get("error")
    outcome = "succeeded" if report["succeeded"] else f"failed ({report['status']})"
    report["subject"] = f"Bedrock customization {job_name} {outcome}"[:SUBJECT_LIMIT]
    report["message"] = json.dumps(
        {key: report[key] for key in sorted(report) if key not in {"subject"}},
        default=str,
        indent=2,
    )
    log.info("customization job report", **{k: v for k, v in report.items() if k != "message"})
    return report
