"""Custom resource Custom::BedrockImportedModel (CDK Provider framework: on_event + is_complete).

Resource properties (CloudFormation passes every value as a string):
  ImportedModelName   1-63 characters
  RoleArn             the service role Bedrock assumes to read the weights
  S3Uri               s3://bucket/prefix/ of the model files (Hugging Face format)
  KmsKeyId            optional KMS key that encrypts the imported model
  Tags                optional list of {"Key": ..., "Value": ...} on the imported model

Create starts CreateModelImportJob (job name: the model name plus a suffix of the request's token; a
clientRequestToken from the request, so a retried invocation never starts a second import) and returns at
once, with the job ARN as the physical id; is_complete polls GetModelImportJob until Completed (Data:
ImportedModelArn) and fails with Bedrock's failureMessage on Failed. Any change is a new import under a name no
live model has (CloudFormation then deletes the old one). Delete removes the imported model
(DeleteImportedModel: it is billed while it exists) and refuses while the import job still runs (there is no API
to stop one); a missing job or model counts as deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from _runtime.cfn import dispatch, replacement_name, request_token, to_tags
from _runtime.logs import log
from _runtime.retry import RetryingClients

# Patchable seam: tests replace the client (clients.override) and the sleep (clients.retry.sleep).
clients = RetryingClients()


def call(operation: str, **kwargs: Any) -> Any:
    """Call a Bedrock operation, retrying throttling and transient errors with backoff and jitter."""
    return clients.call("bedrock", operation, **kwargs)


def properties(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validated resource properties."""
    name = str(raw.get("ImportedModelName", ""))
    uri = str(raw.get("S3Uri", ""))
    role = str(raw.get("RoleArn", ""))
    if not 1 <= len(name) <= 63:
        raise ValueError(f"ImportedModelName must be 1-63 characters, got {name!r}")
    if not uri.startswith("s3://"):
        raise ValueError(f"S3Uri must be an s3:// URI of the model files, got {uri!r}")
    if ":role/" not in role:
        raise ValueError(f"RoleArn must be an IAM role ARN, got {role!r}")
    tags = to_tags(raw.get("Tags"))
    return {
        "ImportedModelName": name,
        "RoleArn": role,
        "S3Uri": uri,
        "KmsKeyId": str(raw.get("KmsKeyId") or ""),
        "Tags": tags,
    }


def on_event(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Provider framework entry point: dispatch on RequestType."""
    return dispatch(event, on_create=on_create, on_update=on_update, on_delete=on_delete)


def on_create(event: Mapping[str, Any]) -> dict[str, Any]:
    props = properties(event["ResourceProperties"])
    return start(event, props, props["ImportedModelName"])


def start(event: Mapping[str, Any], props: Mapping[str, Any], name: str) -> dict[str, Any]:
    """CreateModelImportJob, idempotent for the request."""
    token = request_token(event, props)
    kwargs: dict[str, Any] = {
        "clientRequestToken": token,
        "jobName": f"{name[:54]}-{token[:8]}",
        "importedModelName": name,
        "roleArn": props["RoleArn"],
        "modelDataSource": {"s3DataSource": {"s3Uri": props["S3Uri"]}},
    }
    if props["KmsKeyId"]:
        kwargs["importedModelKmsKeyId"] = props["KmsKeyId"]
    if props["Tags"]:
        kwargs["importedModelTags"] = props["Tags"]
    job_arn = str(call("create_model_import_job", **kwargs)["jobArn"])
    log.info("importing", job_arn=job_arn, name=name, s3_uri=props["S3Uri"])
    return {"PhysicalResourceId": job_arn, "Data": {"JobArn": job_arn}}


def on_update(event: Mapping[str, Any]) -> dict[str, Any]:
    new = properties(event["ResourceProperties"])
    old = properties(event.get("OldResourceProperties") or {})
    if new == old:
        job_arn = str(event["PhysicalResourceId"])
        return {"PhysicalResourceId": job_arn, "Data": {"JobArn": job_arn}}
    existing = find_import(new)
    if existing is not None:
        log.info("adopting the import that already has these properties", job_arn=existing)
        return {"PhysicalResourceId": existing, "Data": {"JobArn": existing}}
    name = new["ImportedModelName"]
    if clients.find("bedrock", "get_imported_model", modelIdentifier=name) is not None:
        name = replacement_name(name, event, new)
    return start(event, new, name)


def find_import(props: Mapping[str, Any]) -> str | None:
    """The job ARN of a completed import of these weights under this name whose model still exists: the original,
    when CloudFormation rolls a replacement back (its cleanup then deletes the new import)."""
    found = call("list_model_import_jobs", statusEquals="Completed", nameContains=props["ImportedModelName"][:54])
    for summary in found.get("modelImportJobSummaries") or ():
        if summary.get("importedModelName") != props["ImportedModelName"]:
            continue
        job = call("get_model_import_job", jobIdentifier=summary["jobArn"])
        source = (job.get("modelDataSource") or {}).get("s3DataSource", {}).get("s3Uri")
        model = job.get("importedModelArn")
        if (
            source == props["S3Uri"]
            and job.get("roleArn") == props["RoleArn"]
            and model
            and clients.find("bedrock", "get_imported_model", modelIdentifier=model) is not None
        ):
            return str(summary["jobArn"])
    return None


def on_delete(event: Mapping[str, Any]) -> dict[str, Any]:
    job_arn = str(event["PhysicalResourceId"])
    if not job_arn.startswith("arn:"):
        log.info("nothing to delete", physical_id=job_arn)
        return {"PhysicalResourceId": job_arn}
    job = clients.find("bedrock", "get_model_import_job", jobIdentifier=job_arn)
    if job is None:
        log.info("import job already gone", job_arn=job_arn)
        return {"PhysicalResourceId": job_arn}
    if job.get("status") == "InProgress":
        raise RuntimeError(
            f"Model import job {job_arn} is still InProgress: the model it imports cannot be deleted yet (Bedrock "
            "has no API to stop an import). Retry the deletion when the job has ended, or delete the imported "
            f"model {job.get('importedModelName')} by hand afterwards: it is billed while it exists."
        )
    model = job.get("importedModelArn")
    if model:
        clients.find("bedrock", "delete_imported_model", modelIdentifier=model)  # gone already: fine
        log.info("deleted the imported model", job_arn=job_arn, model_arn=model)
    return {"PhysicalResourceId": job_arn}


def is_complete(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Provider framework completion check: done when the import job Completed."""
    if event["RequestType"] == "Delete":
        return {"IsComplete": True}
    job_arn = str(event["PhysicalResourceId"])
    job = call("get_model_import_job", jobIdentifier=job_arn)
    status = job.get("status")
    log.info("status", job_arn=job_arn, status=status)
    if status == "Failed":
        reason = job.get("failureMessage") or "no failureMessage given"
        raise RuntimeError(f"Model import job {job_arn} failed: {reason}")
    if status != "Completed":
        return {"IsComplete": False}
    return {
        "IsComplete": True,
        "Data": {"JobArn": job_arn, "ImportedModelArn": job["importedModelArn"], "Status": status},
    }
