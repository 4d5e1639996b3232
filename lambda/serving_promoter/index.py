"""The stable endpoint's promoter: a Step Functions task handler and the endpoint's CloudFormation clean-up.

Promotion itself is ``bedrock_ops.serving.promotion`` (staged into this asset with the knowledge base's
``promotion`` group); this module reads the record from the SSM parameter ``PARAMETER_NAME`` and writes it back.

Step Functions tasks (an event without ``RequestType``):
  {"action": "promote", "modelArn": ARN, "scores": {...} | null, "owner": execution ARN (optional)}
      -> {"endpointArn", "endpointKind", "currentModelArn", "previousModelArn", "changed", "steps"}
      With "owner" (an evaluation candidate): the record is marked as serving that execution, and an endpoint
      that serves another execution is not touched (CandidateBusy).
  {"action": "rollback"}  -> the same, promoting the record's previousModelArn
  {"action": "status"}    -> {"status": "Creating" | "Updating" | "Active" | "Failed", "endpointArn",
                              "currentModelArn", "previousModelArn", "failureMessage"}
      (when Active, replaced throughputs waiting for deletion are deleted)
  {"action": "record"}    -> {"endpointArn", "currentModelArn", "previousModelArn", "currentScores"}
      (the record only: no Bedrock call; an evaluation gate reads the current model's scores here)
  {"action": "release", "owner": execution ARN (optional)}
      -> {"released": [ARN, ...], "kept": [ARN, ...]} (+ "skipped": why, when another execution owns it)
      (delete the endpoint and keep the record's models: what an evaluation candidate's throughput gets after
      its evaluation, on every path; a committed throughput is kept, as on stack delete; with "owner", only an
      endpoint of that execution or of none is deleted)
A throttled or transient Bedrock/SSM error that outlasts the in-process retries raises PromotionRetryableError
(the state machine retries it: the clientRequestToken makes a retried create buy nothing twice).

Custom resource Custom::BedrockStableEndpoint (CDK Provider framework, on_event only). Properties (strings):
  ParameterName, EndpointKind (deployment | provisioned-throughput), EndpointName, ModelUnits, Commitment,
  BaseModelId, CustomModelRemovalPolicy (retain | destroy), TagKey.
Create / Update write the endpoint's configuration into the record, keeping its state; Delete deletes the
endpoint this record created (a deployment, or a throughput without commitment: a committed throughput is
kept and logged) and, with CustomModelRemovalPolicy destroy, the recorded custom models (current, previous).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from _runtime.cfn import PropertyError, dispatch, to_choice, to_int
from _runtime.errors import error_code
from _runtime.logs import log
from _runtime.retry import NOT_FOUND, RETRYABLE_CODES, RetryingClients
from bedrock_ops.serving import promotion

COMMITMENTS = ("NoCommitment", "OneMonth", "SixMonths")
REMOVAL_POLICIES = ("retain", "destroy")

# Patchable seam: tests replace the clients (clients.override) and the sleep (clients.retry.sleep).
clients = RetryingClients()


class PromotionRetryableError(Exception):
    """A throttled or transient service error that outlasted the handler's retries: retry the task."""


class CandidateBusy(Exception):
    """The evaluation candidate serves another execution's model: this one may not move or delete it."""


class _Service:
    """A client whose every call goes through the runtime's retries (``clients.call``)."""

    def __init__(self, service: str) -> None:
        self.service = service

    def __getattr__(self, operation: str) -> Any:
        def call(**params: Any) -> Any:
            return clients.call(self.service, operation, **params)

        return call


bedrock = _Service("bedrock")
ssm = _Service("ssm")


def rules() -> promotion.Rules:
    return promotion.load_rules()


def parameter_name() -> str:
    name = os.environ.get("PARAMETER_NAME", "")
    if not name:
        raise ValueError("PARAMETER_NAME is not set: the function must be created by StableEndpoint")
    return name


def on_event(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Entry point: CloudFormation requests (``RequestType``) and Step Functions tasks (``action``)."""
    if "RequestType" in event:
        return dispatch(event, on_create=on_create, on_update=on_update, on_delete=lambda e: on_delete(e, context))
    try:
        return task(event)
    except ClientError as exc:
        if error_code(exc) in RETRYABLE_CODES:
            raise PromotionRetryableError(f"{error_code(exc)}: {exc}") from exc
        raise


def task(event: Mapping[str, Any]) -> dict[str, Any]:
    action = event.get("action")
    name = parameter_name()
    if action == "status":
        return check_status(name)
    if action == "record":
        return read_only(name)
    owner = event.get("owner")
    if owner is not None and (not isinstance(owner, str) or not owner):
        raise ValueError(f"owner must be an execution ARN, got {owner!r}")
    if action == "release":
        return release(name, owner)
    if action not in ("promote", "rollback"):
        raise ValueError(f"action must be 'promote', 'rollback', 'status', 'record' or 'release', got {action!r}")
    record = promotion.read_record(ssm, name)
    if owner is not None and record.endpoint_arn and record.owner not in (None, owner):
        raise CandidateBusy(
            f"{name}: endpoint {record.endpoint_arn} is serving {record.current_model_arn} for execution "
            f"{record.owner}; start this execution again when that one has ended (it deletes the endpoint then)"
        )
    the_rules = rules()
    scores = event.get("scores")
    if scores is not None and not isinstance(scores, dict):
        raise ValueError(f"scores must be an object of metric -> number or null, got {scores!r}")
    the_plan = promotion.plan(
        record,
        event.get("modelArn"),
        str(action),
        rules=the_rules,
        scores=scores,
        base_model_of=promotion.base_model_lookup(bedrock),
        parameter_name=name,
    )
    if owner is not None:
        the_plan = dataclasses.replace(the_plan, after=dataclasses.replace(the_plan.after, owner=owner))
    log.info("plan", action=action, mode=the_plan.mode, steps=list(the_plan.steps))
    after = promotion.apply(the_plan, bedrock=bedrock, ssm=ssm, parameter_name=name, rules=the_rules)
    if owner is not None and not the_plan.changed and record.owner != owner:
        promotion.write_record(ssm, name, dataclasses.replace(record, owner=owner))
    return {
        "endpointArn": after.endpoint_arn,
        "endpointKind": after.endpoint_kind,
        "currentModelArn": after.current_model_arn,
        "previousModelArn": after.previous_model_arn,
        "changed": the_plan.changed,
        "steps": list(the_plan.steps),
    }


def check_status(name: str) -> dict[str, Any]:
    record = promotion.read_record(ssm, name)
    the_rules = rules()
    state = promotion.status(bedrock, record, the_rules)
    if state.status == "Active" and record.pending_deletion:
        record, deleted = promotion.retire(bedrock, record, the_rules)
        promotion.write_record(ssm, name, record)
        log.info("deleted replaced throughputs", deleted=deleted, kept=list(record.retained))
    log.info("status", status=state.status, endpoint_arn=state.endpoint_arn, model_arn=state.model_arn)
    return {
        "status": state.status,
        "endpointArn": state.endpoint_arn,
        "currentModelArn": record.current_model_arn,
        "previousModelArn": record.previous_model_arn,
        "failureMessage": state.failure_message or "",
    }


def read_only(name: str) -> dict[str, Any]:
    record = promotion.read_record(ssm, name)
    return {
        "endpointArn": record.endpoint_arn,
        "currentModelArn": record.current_model_arn,
        "previousModelArn": record.previous_model_arn,
        "currentScores": dict(record.current_scores) if record.current_scores is not None else None,
    }


def release(name: str, owner: str | None) -> dict[str, Any]:
    """Delete the record's endpoint (and replaced throughputs), keep its models: the record stays usable, the
    next promotion creates a new endpoint. Releasing an endpoint that is gone already deletes nothing; with
    ``owner``, an endpoint that serves another execution is left alone."""
    record = promotion.read_record(ssm, name)
    if owner is not None and record.owner not in (None, owner):
        reason = f"endpoint {record.endpoint_arn} serves execution {record.owner}, not {owner}"
        log.info("not released", parameter=name, reason=reason)
        return {"released": [], "kept": [], "skipped": reason}
    emptied, done = promotion.clean_up(bedrock, record, rules(), delete_models=False)
    for reason in done.reasons:
        log.warning("kept", reason=reason)
    emptied = dataclasses.replace(emptied, owner=None)
    if emptied != record:
        promotion.write_record(ssm, name, dataclasses.replace(emptied, updated_at=promotion.now_iso()))
    log.info("released", parameter=name, deleted=done.deleted, kept=done.kept)
    return {"released": done.deleted, "kept": done.kept}


# ------------------------------------------------------------------------------ CloudFormation


def properties(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validated resource properties."""
    name = str(raw.get("ParameterName") or "")
    if not name:
        raise PropertyError("ParameterName is required: the SSM parameter holding the record")
    endpoint_name = str(raw.get("EndpointName") or "")
    if not 1 <= len(endpoint_name) <= 63:
        raise PropertyError(f"EndpointName must be 1-63 characters, got {endpoint_name!r}")
    return {
        "ParameterName": name,
        "EndpointKind": to_choice(raw.get("EndpointKind"), "EndpointKind", promotion.KINDS),
        "Config": promotion.EndpointConfig(
            name=endpoint_name,
            model_units=to_int(raw.get("ModelUnits"), "ModelUnits", minimum=1, default=1),
            commitment=to_choice(raw.get("Commitment"), "Commitment", COMMITMENTS, default="NoCommitment"),
            base_model_id=str(raw.get("BaseModelId") or "") or None,
            custom_model_removal_policy=to_choice(
                raw.get("CustomModelRemovalPolicy"), "CustomModelRemovalPolicy", REMOVAL_POLICIES, default="retain"
            ),
            tag_key=str(raw.get("TagKey") or "bedrock-ops:stable-endpoint"),
        ),
    }


def configure(event: Mapping[str, Any]) -> dict[str, Any]:
    """Write the endpoint's configuration into the record, keeping its state (endpoint, models, scores)."""
    props = properties(event["ResourceProperties"])
    name = props["ParameterName"]
    record = promotion.read_record(ssm, name)
    kind = props["EndpointKind"]
    if record.endpoint_arn and record.endpoint_kind not in (None, kind):
        raise PropertyError(
            f"EndpointKind cannot change from {record.endpoint_kind} to {kind} while {name} records the endpoint "
            f"{record.endpoint_arn}: use a new StableEndpoint (a new construct id) and delete the old one"
        )
    updated = dataclasses.replace(record, endpoint_kind=kind, endpoint=props["Config"])
    if updated != record:
        promotion.write_record(ssm, name, updated)
    log.info("configured", parameter=name, kind=kind, endpoint=props["Config"].to_json())
    return {"PhysicalResourceId": name, "Data": {"ParameterName": name, "EndpointKind": kind}}


def on_create(event: Mapping[str, Any]) -> dict[str, Any]:
    return configure(event)


def on_update(event: Mapping[str, Any]) -> dict[str, Any]:
    return configure(event)


def on_delete(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    physical_id = str(event.get("PhysicalResourceId") or "")
    raw = event.get("ResourceProperties") or {}
    name = str(raw.get("ParameterName") or "")
    if not name or physical_id != name:
        log.info("nothing to delete", physical_id=physical_id)
        return {"PhysicalResourceId": physical_id}
    found = clients.find("ssm", "get_parameter", missing=NOT_FOUND | {"ParameterNotFound"}, Name=name)
    if found is None:
        log.info("the record is gone: nothing to delete", parameter=name)
        return {"PhysicalResourceId": physical_id}
    record = promotion.Record.loads(str(found["Parameter"]["Value"]), f"parameter {name}")
    destroy = str(raw.get("CustomModelRemovalPolicy") or "retain") == "destroy"
    remaining = context.get_remaining_time_in_millis() / 1000 if context is not None else 600.0
    emptied, done = promotion.clean_up(
        bedrock,
        record,
        rules(),
        delete_models=destroy,
        wait=clients.retry.sleep,
        deadline=max(0.0, remaining - 60),
    )
    for reason in done.reasons:
        log.warning("kept", reason=reason)
    log.info("deleted", parameter=name, deleted=done.deleted, kept=done.kept)
    if emptied != record:
        promotion.write_record(ssm, name, emptied)
    return {"PhysicalResourceId": physical_id}
