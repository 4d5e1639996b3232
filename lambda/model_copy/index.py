"""Custom resource Custom::BedrockModelCopy (CDK Provider framework: on_event + is_complete).

One resource per destination Region. Resource properties (CloudFormation passes every value as a string):
  SourceModelArn    the custom model to copy
  TargetRegion      the Region the copy is made in (CreateModelCopyJob runs there)
  TargetModelName   1-63 characters
  ModelKmsKeyId     optional KMS key (in the target Region) that encrypts the copy
  Tags              optional list of {"Key": ..., "Value": ...} on the copied model

Create starts CreateModelCopyJob in the target Region with a clientRequestToken derived from the request (a
retried invocation never starts a second copy) and returns at once, with the job ARN as the physical id;
is_complete polls GetModelCopyJob until Completed (Data: TargetModelArn) and fails with Bedrock's
failureMessage on Failed. Every property change makes a new copy (a new physical id: CloudFormation then
deletes the old copy); a copy never takes the name of a model that still exists. Delete removes the copied
model (DeleteCustomModel: a custom model is billed for storage while it exists) and treats a missing job or
model as deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from _runtime.cfn import dispatch, replacement_name, request_token, to_tags
from _runtime.errors import error_code
from _runtime.logs import log
from _runtime.retry import RetryingClients

# Patchable seam: tests replace the per-Region clients (clients.override("bedrock@<region>", ...)) and the sleep.
clients = RetryingClients()


def call(region: str, operation: str, **kwargs: Any) -> Any:
    """Call a Bedrock operation in ``region``, retrying throttling and transient errors."""
    return clients.call(f"bedrock@{region}", operation, **kwargs)


def properties(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validated resource properties."""
    source = str(raw.get("SourceModelArn", ""))
    region = str(raw.get("TargetRegion", ""))
    name = str(raw.get("TargetModelName", ""))
    if ":custom-model/" not in source:
        raise ValueError(f"SourceModelArn must be a custom model ARN, got {source!r}")
    if not region:
        raise ValueError("TargetRegion is required (e.g. us-west-2)")
    if not 1 <= len(name) <= 63:
        raise ValueError(f"TargetModelName must be 1-63 characters, got {name!r}")
    tags = to_tags(raw.get("Tags"))
    return {
        "SourceModelArn": source,
        "TargetRegion": region,
        "TargetModelName": name,
        "ModelKmsKeyId": str(raw.get("ModelKmsKeyId") or ""),
        "Tags": tags,
    }


def on_event(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Provider framework entry point: dispatch on RequestType."""
    return dispatch(event, on_create=on_create, on_update=on_update, on_delete=on_delete)


def on_create(event: Mapping[str, Any]) -> dict[str, Any]:
    props = properties(event["ResourceProperties"])
    return start(event, props, props["TargetModelName"])


def start(event: Mapping[str, Any], props: Mapping[str, Any], name: str) -> dict[str, Any]:
    """CreateModelCopyJob in the target Region, idempotent for the request."""
    kwargs: dict[str, Any] = {
        "clientRequestToken": request_token(event, props),
        "sourceModelArn": props["SourceModelArn"],
        "targetModelName": name,
    }
    if props["ModelKmsKeyId"]:
        kwargs["modelKmsKeyId"] = props["ModelKmsKeyId"]
    if props["Tags"]:
        kwargs["targetModelTags"] = props["Tags"]
    job_arn = str(call(props["TargetRegion"], "create_model_copy_job", **kwargs)["jobArn"])
    log.info("copying", job_arn=job_arn, source=props["SourceModelArn"], region=props["TargetRegion"], name=name)
    return {"PhysicalResourceId": job_arn, "Data": {"JobArn": job_arn}}


def on_update(event: Mapping[str, Any]) -> dict[str, Any]:
    """Any change is a new copy under a name no live model has: the old copy lives until the cleanup."""
    new = properties(event["ResourceProperties"])
    old = properties(event.get("OldResourceProperties") or {})
    if new == old:
        job_arn = str(event["PhysicalResourceId"])
        return {"PhysicalResourceId": job_arn, "Data": {"JobArn": job_arn}}
    existing = find_copy(new)
    if existing is not None:
        log.info("adopting the copy that already has these properties", job_arn=existing)
        return {"PhysicalResourceId": existing, "Data": {"JobArn": existing}}
    name = new["TargetModelName"]
    if name == old["TargetModelName"] and new["TargetRegion"] == old["TargetRegion"]:
        name = replacement_name(name, event, new)
    return start(event, new, name)


def find_copy(props: Mapping[str, Any]) -> str | None:
    """The job ARN of a completed copy of the source under the target name, with these tags, whose model still
    exists: the original, when CloudFormation rolls a replacement back (its cleanup then deletes the new copy)."""
    region = props["TargetRegion"]
    found = call(
        region,
        "list_model_copy_jobs",
        statusEquals="Completed",
        sourceModelArnEquals=props["SourceModelArn"],
        targetModelNameContains=props["TargetModelName"],
    )
    tags = sorted((t["key"], t["value"]) for t in props["Tags"])
    for job in found.get("modelCopyJobSummaries") or ():
        same_tags = sorted((t["key"], t["value"]) for t in job.get("targetModelTags") or ()) == tags
        if job.get("targetModelName") == props["TargetModelName"] and same_tags:
            model = clients.find(f"bedrock@{region}", "get_custom_model", modelIdentifier=job["targetModelArn"])
            if model is not None:
                return str(job["jobArn"])
    return None


def region_of(arn: str) -> str:
    return arn.split(":")[3]


def on_delete(event: Mapping[str, Any]) -> dict[str, Any]:
    job_arn = str(event["PhysicalResourceId"])
    if not job_arn.startswith("arn:"):
        log.info("nothing to delete", physical_id=job_arn)
        return {"PhysicalResourceId": job_arn}
    region = region_of(job_arn)
    job = clients.find(f"bedrock@{region}", "get_model_copy_job", jobArn=job_arn)
    if job is None:
        log.info("copy job already gone", job_arn=job_arn)
        return {"PhysicalResourceId": job_arn}
    if job["status"] == "InProgress":
        raise RuntimeError(
            f"Model copy job {job_arn} is still InProgress: its model {job['targetModelArn']} cannot be deleted "
            "yet (Bedrock has no API to stop a copy job). Retry the deletion when the job has ended."
        )
    try:
        clients.find(f"bedrock@{region}", "delete_custom_model", modelIdentifier=job["targetModelArn"])
    except ClientError as exc:
        if error_code(exc) == "ConflictException":
            raise RuntimeError(
                f"Cannot delete the copied model {job['targetModelArn']}: a provisioned throughput or custom model "
                "deployment still uses it. Delete those first."
            ) from exc
        raise
    log.info("deleted the copied model", job_arn=job_arn, model_arn=job["targetModelArn"])
    return {"PhysicalResourceId": job_arn}


def is_complete(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Provider framework completion check: done when the copy job Completed."""
    if event["RequestType"] == "Delete":
        return {"IsComplete": True}
    job_arn = str(event["PhysicalResourceId"])
    job = call(region_of(job_arn), "get_model_copy_job", jobArn=job_arn)
    status = job["status"]
    log.info("status", job_arn=job_arn, status=status)
    if status == "Failed":
        reason = job.get("failureMessage") or "no failureMessage given"
        raise RuntimeError(f"Model copy job {job_arn} failed: {reason}")
    if status != "Completed":
        return {"IsComplete": False}
    return {
        "IsComplete": True,
        "Data": {"JobArn": job_arn, "TargetModelArn": job["targetModelArn"], "Status": status},
    }
