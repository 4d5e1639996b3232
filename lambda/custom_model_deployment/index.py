"""Custom resource Custom::BedrockCustomModelDeployment (CDK Provider framework: on_event + is_complete).

Resource properties (CloudFormation passes every value as a string):
  ModelArn         the custom model ARN to serve on demand (the model must be Active)
  DeploymentName   1-63 characters, unique in the account and Region
  Description      optional
  Tags             optional list of {"Key": ..., "Value": ...}

Create starts CreateCustomModelDeployment with a clientRequestToken derived from the request (a retried
invocation of the same request never creates a second deployment) and returns at once; is_complete polls
GetCustomModelDeployment until Active and fails with Bedrock's failureMessage on Failed. An Update that
changes the model swaps it in place (UpdateCustomModelDeployment: the deployment ARN, which callers invoke,
stays the same) and waits until the update completed; tags change in place (TagResource/UntagResource); a
new name or description creates a new deployment (a new physical id: CloudFormation then deletes the old
one). Delete treats a missing deployment as deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from _runtime.cfn import dispatch, replacement_name, request_token, tag_changes, to_tags
from _runtime.logs import log
from _runtime.retry import RetryingClients

REPLACING_PROPERTIES = ("DeploymentName", "Description")

# Patchable seam: tests replace the client (clients.override) and the sleep (clients.retry.sleep).
clients = RetryingClients()


def call(operation: str, **kwargs: Any) -> Any:
    """Call a Bedrock operation, retrying throttling and transient errors with backoff and jitter."""
    return clients.call("bedrock", operation, **kwargs)


def properties(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validated resource properties."""
    model_arn = str(raw.get("ModelArn", ""))
    name = str(raw.get("DeploymentName", ""))
    if ":custom-model/" not in model_arn:
        raise ValueError(
            f"ModelArn must be a custom model ARN (arn:aws:bedrock:...:custom-model/...), got {model_arn!r}"
        )
    if not 1 <= len(name) <= 63:
        raise ValueError(f"DeploymentName must be 1-63 characters, got {name!r}")
    tags = to_tags(raw.get("Tags"))
    return {
        "ModelArn": model_arn,
        "DeploymentName": name,
        "Description": str(raw.get("Description") or ""),
        "Tags": tags,
    }


def on_event(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Provider framework entry point: dispatch on RequestType."""
    return dispatch(event, on_create=on_create, on_update=on_update, on_delete=on_delete)


def answer(arn: str) -> dict[str, Any]:
    return {"PhysicalResourceId": arn, "Data": {"DeploymentArn": arn}}


def on_create(event: Mapping[str, Any]) -> dict[str, Any]:
    props = properties(event["ResourceProperties"])
    return deploy(event, props, props["DeploymentName"])


def deploy(event: Mapping[str, Any], props: Mapping[str, Any], name: str) -> dict[str, Any]:
    """CreateCustomModelDeployment, idempotent for the request (a retried delivery creates nothing more)."""
    kwargs: dict[str, Any] = {
        "clientRequestToken": request_token(event, props),
        "modelDeploymentName": name,
        "modelArn": props["ModelArn"],
    }
    if props["Description"]:
        kwargs["description"] = props["Description"]
    if props["Tags"]:
        kwargs["tags"] = props["Tags"]
    arn = str(call("create_custom_model_deployment", **kwargs)["customModelDeploymentArn"])
    log.info("creating", deployment_arn=arn, model_arn=props["ModelArn"], name=name)
    return answer(arn)


def find(name_or_arn: str) -> dict[str, Any] | None:
    """GetCustomModelDeployment by name or ARN, None when there is none."""
    found = clients.find("bedrock", "get_custom_model_deployment", customModelDeploymentIdentifier=name_or_arn)
    return None if found is None else dict(found)


def replace(event: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """A new deployment for ``props``, unless one with exactly these properties already stands under their
    name: the original, when CloudFormation rolls a replacement back (its cleanup then deletes the
    replacement). A replacement never takes the name of a deployment that still exists (the old one lives
    until CloudFormation's cleanup): it gets the name plus a suffix of the request's token."""
    name = props["DeploymentName"]
    current = find(name)
    if current is None:
        return deploy(event, props, name)
    if (
        current.get("status") != "Failed"
        and current.get("modelArn") == props["ModelArn"]
        and (current.get("description") or "") == props["Description"]
    ):
        arn = str(current["customModelDeploymentArn"])
        log.info("adopting the deployment that already has these properties", deployment_arn=arn)
        return answer(arn)
    return deploy(event, props, replacement_name(name, event, props))


def on_update(event: Mapping[str, Any]) -> dict[str, Any]:
    new = properties(event["ResourceProperties"])
    old = properties(event.get("OldResourceProperties") or {})
    arn = str(event["PhysicalResourceId"])
    if any(new[key] != old[key] for key in REPLACING_PROPERTIES):
        log.info("replacing", deployment_arn=arn, reason="name or description changed")
        return replace(event, new)
    if new["ModelArn"] != old["ModelArn"]:
        call("update_custom_model_deployment", customModelDeploymentIdentifier=arn, modelArn=new["ModelArn"])
        log.info("swapping the model in place", deployment_arn=arn, old_model=old["ModelArn"], model=new["ModelArn"])
    update_tags(arn, old["Tags"], new["Tags"])
    return answer(arn)


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
    # Gone already (deleted by hand, or by an earlier delivery of this request): fine.
    clients.find("bedrock", "delete_custom_model_deployment", customModelDeploymentIdentifier=arn)
    log.info("deleted", deployment_arn=arn)
    return {"PhysicalResourceId": arn}


def is_complete(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Provider framework completion check: done when the deployment is Active and serves the requested model."""
    if event["RequestType"] == "Delete":
        return {"IsComplete": True}
    arn = str(event["PhysicalResourceId"])
    wanted = str(event["ResourceProperties"].get("ModelArn", ""))
    current = call("get_custom_model_deployment", customModelDeploymentIdentifier=arn)
    status = current["status"]
    update = current.get("updateDetails") or {}
    log.info("status", deployment_arn=arn, status=status, update_status=update.get("updateStatus"))
    reason = current.get("failureMessage") or "no failureMessage given"
    if status == "Failed":
        raise RuntimeError(f"Custom model deployment {arn} failed: {reason}")
    if update.get("updateStatus") == "UpdateFailed":
        raise RuntimeError(
            f"Custom model deployment {arn} could not switch to model {update.get('modelArn')}: {reason}"
        )
    if status != "Active" or update.get("updateStatus") == "Updating" or current["modelArn"] != wanted:
        return {"IsComplete": False}
    return {
        "IsComplete": True,
        "Data": {
            "DeploymentArn": current["customModelDeploymentArn"],
            "DeploymentName": current["modelDeploymentName"],
            "ModelArn": current["modelArn"],
            "Status": status,
        },
    }
