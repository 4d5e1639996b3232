"""Custom resource Custom::BedrockProvisionedThroughput (CDK Provider framework: on_event + is_complete).

Resource properties (CloudFormation passes every value as a string):
  ModelId               foundation model id, foundation/custom model ARN
  ModelUnits            model units, >= 1
  CommitmentDuration    "NoCommitment" (default), "OneMonth" or "SixMonths"
  ProvisionedModelName  1-63 characters
  Tags                  optional list of {"Key": ..., "Value": ...}

Create starts CreateProvisionedModelThroughput with a clientRequestToken derived from the request
(a retried invocation of the same request never buys a second throughput) and returns at once;
is_complete polls GetProvisionedModelThroughput until InService and fails with Bedrock's
failureMessage on Failed. Update changes the name and the associated model in place and tags via
TagResource/UntagResource; a change of model units or commitment creates a new throughput (a new
physical id: CloudFormation then deletes the old one). Delete treats a missing throughput as deleted
and refuses a throughput whose commitment term has not ended.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from _runtime.cfn import dispatch, replacement_name, request_token, tag_changes, to_choice, to_int, to_tags
from _runtime.logs import log
from _runtime.retry import RetryingClients

COMMITMENTS = ("NoCommitment", "OneMonth", "SixMonths")
REPLACING_PROPERTIES = ("ModelUnits", "CommitmentDuration")

# Patchable seams: tests replace the client (clients.override), the sleep (clients.retry.sleep) and the clock.
clients = RetryingClients()
_now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # noqa: E731


def call(operation: str, **kwargs: Any) -> Any:
    """Call a Bedrock operation, retrying throttling and transient errors with backoff and jitter."""
    return clients.call("bedrock", operation, **kwargs)


def properties(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validated resource properties, with ModelUnits as an int and the commitment normalised."""
    model_id = str(raw.get("ModelId", ""))
    name = str(raw.get("ProvisionedModelName", ""))
    if not model_id:
        raise ValueError("ModelId is required")
    if not 1 <= len(name) <= 63:
        raise ValueError(f"ProvisionedModelName must be 1-63 characters, got {name!r}")
    units = to_int(raw.get("ModelUnits"), "ModelUnits", minimum=1)
    commitment = to_choice(raw.get("CommitmentDuration"), "CommitmentDuration", COMMITMENTS, default="NoCommitment")
    tags = to_tags(raw.get("Tags"))
    return {
        "ModelId": model_id,
        "ModelUnits": units,
        "CommitmentDuration": commitment,
        "ProvisionedModelName": name,
        "Tags": tags,
    }


def on_event(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Provider framework entry point: dispatch on RequestType."""
    return dispatch(event, on_create=on_create, on_update=on_update, on_delete=on_delete)


def on_create(event: Mapping[str, Any]) -> dict[str, Any]:
    props = properties(event["ResourceProperties"])
    return buy(event, props, props["ProvisionedModelName"])


def buy(event: Mapping[str, Any], props: Mapping[str, Any], name: str) -> dict[str, Any]:
    """CreateProvisionedModelThroughput, idempotent for the request (a retried delivery buys nothing more)."""
    kwargs: dict[str, Any] = {
        "clientRequestToken": request_token(event, props),
        "modelUnits": props["ModelUnits"],
        "provisionedModelName": name,
        "modelId": props["ModelId"],
    }
    if props["CommitmentDuration"] != "NoCommitment":
        kwargs["commitmentDuration"] = props["CommitmentDuration"]
    if props["Tags"]:
        kwargs["tags"] = props["Tags"]
    arn = call("create_provisioned_model_throughput", **kwargs)["provisionedModelArn"]
    log.info("creating", provisioned_model_arn=arn, model_units=props["ModelUnits"], name=name)
    return {"PhysicalResourceId": arn, "Data": {"ProvisionedModelArn": arn}}


def model_change_in_place(old: str, new: str) -> bool:
    """UpdateProvisionedModelThroughput's desiredModelId serves only throughputs of custom models, moving to a
    custom model of the same base model (GetCustomModel's baseModelArn); any other model change needs a new
    throughput."""
    if ":custom-model/" not in old or ":custom-model/" not in new:
        return False
    bases = {str(call("get_custom_model", modelIdentifier=model)["baseModelArn"]) for model in (old, new)}
    return len(bases) == 1


def same_model(model_id: str, model_arn: str) -> bool:
    return model_id == model_arn or model_arn.endswith(f"/{model_id}")


def find(name_or_arn: str) -> dict[str, Any] | None:
    """GetProvisionedModelThroughput by name or ARN, None when there is none."""
    found = clients.find("bedrock", "get_provisioned_model_throughput", provisionedModelId=name_or_arn)
    return None if found is None else dict(found)


def replace(event: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """A new throughput for ``props``, unless one with exactly these properties already stands under their
    name: the original throughput, when CloudFormation rolls a replacement back (the rollback's cleanup then
    deletes the replacement). A replacement never takes the name of a throughput that still exists (the old
    one lives until CloudFormation's cleanup): it gets the name plus a suffix of the request's token."""
    name = props["ProvisionedModelName"]
    current = find(name)
    if current is None:
        return buy(event, props, name)
    if (
        current.get("status") != "Failed"
        and int(current["modelUnits"]) == props["ModelUnits"]
        and (current.get("commitmentDuration") or "NoCommitment") == props["CommitmentDuration"]
        and same_model(props["ModelId"], str(current["modelArn"]))
    ):
        arn = str(current["provisionedModelArn"])
        log.info("adopting the throughput that already has these properties", provisioned_model_arn=arn)
        return {"PhysicalResourceId": arn, "Data": {"ProvisionedModelArn": arn}}
    return buy(event, props, replacement_name(name, event, props))


def on_update(event: Mapping[str, Any]) -> dict[str, Any]:
    new = properties(event["ResourceProperties"])
    old = properties(event.get("OldResourceProperties") or {})
    arn = str(event["PhysicalResourceId"])
    model_changed = new["ModelId"] != old["ModelId"]
    if any(new[key] != old[key] for key in REPLACING_PROPERTIES) or (
        model_changed and not model_change_in_place(old["ModelId"], new["ModelId"])
    ):
        log.info("replacing", provisioned_model_arn=arn, reason="model units, commitment or model changed")
        return replace(event, new)
    changes: dict[str, Any] = {}
    if new["ProvisionedModelName"] != old["ProvisionedModelName"]:
        changes["desiredProvisionedModelName"] = new["ProvisionedModelName"]
    if model_changed:
        changes["desiredModelId"] = new["ModelId"]
    if changes:
        call("update_provisioned_model_throughput", provisionedModelId=arn, **changes)
        log.info("updating in place", provisioned_model_arn=arn, changes=sorted(changes))
    update_tags(arn, old["Tags"], new["Tags"])
    return {"PhysicalResourceId": arn, "Data": {"ProvisionedModelArn": arn}}


def update_tags(arn: str, old: list[dict[str, str]], new: list[dict[str, str]]) -> None:
    removed, changed = tag_changes(old, new)
    if removed:
        call("untag_resource", resourceARN=arn, tagKeys=removed)
    if changed:
        call("tag_resource", resourceARN=arn, tags=changed)


def on_delete(event: Mapping[str, Any]) -> dict[str, Any]:
    arn = str(event["PhysicalResourceId"])
    if not arn.startswith("arn:"):
        # A Create that failed before Bedrock returned an ARN leaves the framework's placeholder id.
        log.info("nothing to delete", physical_id=arn)
        return {"PhysicalResourceId": arn}
    current = clients.find("bedrock", "get_provisioned_model_throughput", provisionedModelId=arn)
    if current is None:
        log.info("already deleted", provisioned_model_arn=arn)
        return {"PhysicalResourceId": arn}
    expires = current.get("commitmentExpirationTime")
    if current.get("commitmentDuration") and (expires is None or expires > _now()):
        ends = expires.isoformat() if expires else "at an unknown time"
        raise RuntimeError(
            f"Refusing to delete provisioned throughput {arn}: it has a {current['commitmentDuration']} "
            f"commitment that ends {ends}, and a committed "
            "throughput cannot be deleted (and is billed) until its term ends. Keep it with "
            "RemovalPolicy.RETAIN (the default for committed throughput) and delete it after the term."
        )
    clients.find("bedrock", "delete_provisioned_model_throughput", provisionedModelId=arn)  # gone already: fine
    log.info("deleted", provisioned_model_arn=arn)
    return {"PhysicalResourceId": arn}


def is_complete(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Provider framework completion check: done when the throughput is InService."""
    if event["RequestType"] == "Delete":
        return {"IsComplete": True}
    arn = str(event["PhysicalResourceId"])
    current = call("get_provisioned_model_throughput", provisionedModelId=arn)
    status = current["status"]
    log.info("status", provisioned_model_arn=arn, status=status)
    if status == "Failed":
        reason = current.get("failureMessage") or "no failureMessage given"
        raise RuntimeError(f"Provisioned throughput {arn} failed: {reason}")
    if status != "InService":
        return {"IsComplete": False}
    expires = current.get("commitmentExpirationTime")
    return {
        "IsComplete": True,
        "Data": {
            "ProvisionedModelArn": current["provisionedModelArn"],
            "ProvisionedModelName": current["provisionedModelName"],
            "ModelArn": current["modelArn"],
            "FoundationModelArn": current["foundationModelArn"],
            "ModelUnits": str(current["modelUnits"]),
            "CommitmentDuration": current.get("commitmentDuration") or "NoCommitment",
            "CommitmentExpirationTime": expires.isoformat() if expires else "",
            "Status": status,
        },
    }
