"""Custom resource that starts a model customization workflow when its definition changes.

CloudFormation must never wait for a customization job (they run for hours and a custom resource
gives up after one hour), so this handler only *starts* the Step Functions execution that runs the
job and returns at once.

The job and custom model names end with a hash of everything that makes a job different: the job
definition (base model, customization type, data locations, hyperparameters, ...) and the ETag and
version id of every data object at deploy time. The execution is named after the job, so:

* an unchanged definition on a redeploy hashes to the same names and starts nothing (the job, or
  the execution of that name, already exists);
* a changed definition (or a re-uploaded dataset) hashes to new names and starts exactly one
  execution; the physical id changes, which CloudFormation treats as a replacement, and the Delete
  of the old physical id keeps or deletes the old custom model according to ``RemovalPolicy``.

Resource properties (CloudFormation passes every scalar as a string):
``StateMachineArn``, ``JobNamePrefix``, ``ModelNamePrefix``, ``Definition`` (a JSON object),
``DataObjects`` (a list of ``{"Bucket", "Key"}``), ``RemovalPolicy`` (``retain`` | ``destroy``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Any

from botocore.exceptions import ClientError

from _runtime.cfn import dispatch
from _runtime.clients import Clients
from _runtime.errors import error_code
from _runtime.logs import log

HASH_LENGTH = 12
MAX_NAME_LENGTH = 63  # jobName and customModelName limit in CreateModelCustomizationJob
# Created on first use (tests: clients.override or clear inside mock_aws); botocore's standard retries.
clients = Clients(max_attempts=8)


def data_fingerprints(data_objects: list[dict[str, str]]) -> list[dict[str, str]]:
    """Return bucket, key, ETag and version id of each data object (raises if one is missing)."""
    prints = []
    for obj in data_objects:
        bucket, key = obj["Bucket"], obj["Key"]
        try:
            head = clients.get("s3").head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error_code(error) in {"404", "NoSuchKey", "NotFound"}:
                raise ValueError(
                    f"data object s3://{bucket}/{key} does not exist: upload the dataset before "
                    "deploying the customization job"
                ) from error
            raise
        prints.append(
            {
                "Bucket": bucket,
                "Key": key,
                "ETag": str(head.get("ETag", "")).strip('"'),
                "VersionId": str(head.get("VersionId") or ""),
            }
        )
    return prints


def _as_cloudformation_passes_it(value: Any) -> Any:
    """CloudFormation hands custom resources every scalar as a string (1000 -> "1000", true -> "true");
    the same definition read from elsewhere (an environment variable) must hash the same."""
    if isinstance(value, dict):
        return {k: _as_cloudformation_passes_it(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_cloudformation_passes_it(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if value is None or isinstance(value, str) else str(value)


def definition_hash(definition: dict[str, Any], fingerprints: list[dict[str, str]]) -> str:
    """Return a short, stable hash of a job definition and the versions of its data."""
    canonical = json.dumps(
        {"definition": _as_cloudformation_passes_it(definition), "data": fingerprints},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def _name(prefix: str, digest: str) -> str:
    # Valid as a job name ([a-zA-Z0-9](-*[a-zA-Z0-9+.])*) and as a custom model name
    # (([0-9a-zA-Z][_-]?)+): letters and digits joined by single separators.
    prefix = re.sub(r"[^a-zA-Z0-9_-]+", "-", prefix)
    prefix = re.sub(r"[_-]{2,}", "-", prefix).strip("_-") or "job"
    prefix = prefix[: MAX_NAME_LENGTH - HASH_LENGTH - 1].rstrip("_-")
    return f"{prefix}-{digest}"


def names_for(job_prefix: str, model_prefix: str, digest: str) -> tuple[str, str]:
    """Return (job name, custom model name) for a definition hash, both within 63 characters."""
    return _name(job_prefix, digest), _name(model_prefix, digest)


def _execution_arn(state_machine_arn: str, execution_name: str) -> str:
    # arn:aws:states:<region>:<account>:stateMachine:<name> -> ...:execution:<name>:<execution>
    parts = state_machine_arn.split(":")
    return ":".join([*parts[:5], "execution", parts[6], execution_name])


def _job_exists(job_name: str) -> bool:
    try:
        clients.get("bedrock").get_model_customization_job(jobIdentifier=job_name)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return False
        raise
    return True


def _execution_exists(state_machine_arn: str, execution_name: str) -> bool:
    try:
        clients.get("stepfunctions").describe_execution(executionArn=_execution_arn(state_machine_arn, execution_name))
    except ClientError as error:
        if error_code(error) == "ExecutionDoesNotExist":
            return False
        raise
    return True


def start_if_changed(props: dict[str, Any]) -> dict[str, Any]:
    """Start the workflow for this definition unless its job or execution already exists."""
    state_machine_arn = props["StateMachineArn"]
    definition = props.get("Definition") or {}
    fingerprints = data_fingerprints(list(props.get("DataObjects") or []))
    digest = definition_hash(definition, fingerprints)
    job_name, model_name = names_for(props["JobNamePrefix"], props["ModelNamePrefix"], digest)
    execution_arn = _execution_arn(state_machine_arn, job_name)
    data = {
        "DefinitionHash": digest,
        "JobName": job_name,
        "CustomModelName": model_name,
        "ExecutionArn": execution_arn,
        "Started": "false",
    }
    if _job_exists(job_name) or _execution_exists(state_machine_arn, job_name):
        log.info("definition unchanged: nothing to start", **data)
        return {"PhysicalResourceId": job_name, "Data": data}
    execution_input = {
        "jobName": job_name,
        "customModelName": model_name,
        "definitionHash": digest,
        "trigger": "deploy",
        "data": fingerprints,
    }
    try:
        response = clients.get("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn, name=job_name, input=json.dumps(execution_input)
        )
        data["ExecutionArn"] = response["executionArn"]
        data["Started"] = "true"
        log.info("started customization workflow", **data)
    except ClientError as error:
        if error_code(error) != "ExecutionAlreadyExists":
            raise
        log.info("execution already exists: nothing to start", **data)
    return {"PhysicalResourceId": job_name, "Data": data}


def on_create(event: dict[str, Any]) -> dict[str, Any]:
    return start_if_changed(event["ResourceProperties"])


def on_update(event: dict[str, Any]) -> dict[str, Any]:
    return start_if_changed(event["ResourceProperties"])


def on_delete(event: dict[str, Any]) -> dict[str, Any]:
    """Keep the custom model (default) or, with ``RemovalPolicy=destroy``, stop the job and delete it."""
    physical_id = str(event.get("PhysicalResourceId", ""))
    props = event.get("ResourceProperties", {})
    result: dict[str, Any] = {"PhysicalResourceId": physical_id}
    digest = physical_id.rsplit("-", 1)[-1]
    if str(props.get("RemovalPolicy", "retain")).lower() != "destroy":
        log.info("removal policy retain: custom model kept", job=physical_id)
        return result
    if not re.fullmatch(rf"[0-9a-f]{{{HASH_LENGTH}}}", digest):
        log.info("no job was started for this resource", job=physical_id)
        return result
    _, model_name = names_for(props["JobNamePrefix"], props["ModelNamePrefix"], digest)
    bedrock = clients.get("bedrock")
    try:
        job = bedrock.get_model_customization_job(jobIdentifier=physical_id)
        if job.get("status") in {"InProgress", "Stopping"}:
            bedrock.stop_model_customization_job(jobIdentifier=physical_id)
            log.info("stopped customization job", job=physical_id)
    except ClientError as error:
        if error_code(error) not in {"ResourceNotFoundException", "ValidationException"}:
            raise
    try:
        bedrock.delete_custom_model(modelIdentifier=model_name)
        log.info("deleted custom model", model=model_name)
    except ClientError as error:
        code = error_code(error)
        if code == "ResourceNotFoundException":
            log.info("custom model already absent", model=model_name)
        elif code == "ConflictException":
            # A provisioned throughput or deployment still uses it: failing here would leave the
            # stack in DELETE_FAILED; keep the model and say so.
            log.warning("custom model in use, kept", model=model_name, error=str(error))
        else:
            raise
    return result


VALIDATION_TAG = "bedrock-ops:validation"


def on_data_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge "Object Tags Added" on the training data: start the workflow when the dataset validator
    has tagged the new version ``bedrock-ops:validation=passed`` and the data changed since the last job.

    The job definition comes from the environment (``STATE_MACHINE_ARN``, ``JOB_NAME_PREFIX``,
    ``MODEL_NAME_PREFIX``, ``DEFINITION``, ``DATA_OBJECTS``), the same the deploy-time resource hashes.
    """
    detail = event.get("detail") or {}
    bucket = str((detail.get("bucket") or {}).get("name", ""))
    obj = detail.get("object") or {}
    key, version = str(obj.get("key", "")), obj.get("version-id")
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version:
        params["VersionId"] = version
    tags = clients.get("s3").get_object_tagging(**params).get("TagSet", [])
    verdict = next((t["Value"] for t in tags if t["Key"] == VALIDATION_TAG), None)
    if verdict != "passed":
        log.info("dataset not validated as passed: nothing to start", key=key, verdict=verdict)
        return {"Started": "false", "Reason": f"{VALIDATION_TAG}={verdict}"}
    props = {
        "StateMachineArn": os.environ["STATE_MACHINE_ARN"],
        "JobNamePrefix": os.environ["JOB_NAME_PREFIX"],
        "ModelNamePrefix": os.environ["MODEL_NAME_PREFIX"],
        "Definition": json.loads(os.environ["DEFINITION"]),
        "DataObjects": json.loads(os.environ["DATA_OBJECTS"]),
    }
    return dict(start_if_changed(props)["Data"])


def on_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Entry point of the custom resource provider."""
    log.info("custom resource event", request=event.get("RequestType"), resource=event.get("LogicalResourceId"))
    return dispatch(event, on_create=on_create, on_update=on_update, on_delete=on_delete)
