"""CloudFormation and the CDK Provider framework, played in-process for one custom-resource handler.

What the harness does, as CloudFormation and ``aws_cdk.custom_resources.Provider`` do (CloudFormation user
guide, "Custom resources" request types; aws-cdk ``custom-resources/lib/provider-framework/runtime/framework.ts``):

- every resource property reaches the handler as a string (``true`` -> ``"true"``, ``5`` -> ``"5"``);
  lists and objects keep their shape with string leaves;
- ``on_event`` answers ``{PhysicalResourceId, Data}``; a Create without a physical id gets the request id;
  an Update without one keeps the old id; an Update with a *new* id is a replacement: CloudFormation sends a
  Delete for the old id once the whole stack update has succeeded (the cleanup phase);
- when the handler has ``is_complete`` the framework's waiter calls it with the event plus the on_event
  answer until ``IsComplete`` (at most ``max_polls`` times: the total timeout);
- a failure of ``on_event`` during Create is answered with the physical id
  ``AWSCDK::CustomResourceProviderFramework::CREATE_FAILED``, and the framework ignores the Delete that
  CloudFormation's rollback then sends for that id; a failure in ``is_complete`` keeps the physical id
  ``on_event`` gave, so the rollback's Delete reaches the handler with the real id;
- ``UPDATE_ROLLBACK`` (a later resource failed): an Update with the old and new properties swapped, sent to
  the physical id the failed update returned; the resource the update had created is deleted in the cleanup;
- the response must fit CloudFormation's 4,096-byte limit.

The handler's clients are replaced through its runtime seam (``handler.clients.override``), with sleeps off.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

CREATE_FAILED = "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/app/11111111-2222-3333-4444-555555555555"
MAX_RESPONSE_BYTES = 4096


def as_cloudformation_sends(value: Any) -> Any:
    """``value`` with every scalar as the string CloudFormation would send."""
    if isinstance(value, Mapping):
        return {str(k): as_cloudformation_sends(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_cloudformation_sends(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class Outcome:
    """What CloudFormation learned from one request."""

    status: str
    physical_id: str
    data: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    polls: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "SUCCESS"


@dataclass
class Resource:
    """One custom resource in a stack, as CloudFormation tracks it."""

    properties: dict[str, Any]
    physical_id: str


class Lifecycle:
    """Plays CloudFormation and the Provider framework against ``handler`` (see the module docstring)."""

    def __init__(
        self,
        handler: ModuleType,
        *,
        resource_type: str,
        logical_id: str = "Resource",
        service_token: str = "arn:aws:lambda:us-east-1:123456789012:function:provider",
        max_polls: int = 30,
    ) -> None:
        self.handler = handler
        self.resource_type = resource_type
        self.logical_id = logical_id
        self.service_token = service_token
        self.max_polls = max_polls
        self.requests: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ one request

    def event(
        self,
        request_type: str,
        properties: Mapping[str, Any],
        *,
        physical_id: str | None = None,
        old_properties: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """The event CloudFormation sends (properties as strings, ServiceToken included)."""
        event: dict[str, Any] = {
            "RequestType": request_type,
            "RequestId": request_id or str(uuid.uuid4()),
            "StackId": STACK_ID,
            "LogicalResourceId": self.logical_id,
            "ResourceType": self.resource_type,
            "ResponseURL": "https://cloudformation-custom-resource-response.example/",
            "ResourceProperties": as_cloudformation_sends({"ServiceToken": self.service_token, **properties}),
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = as_cloudformation_sends(
                {"ServiceToken": self.service_token, **old_properties}
            )
        return event

    def send(self, event: dict[str, Any]) -> Outcome:
        """Deliver ``event`` through the framework: on_event, then is_complete until done."""
        self.requests.append(event)
        if event["RequestType"] == "Delete" and event.get("PhysicalResourceId") == CREATE_FAILED:
            return Outcome("SUCCESS", CREATE_FAILED, reason="framework ignored the Delete of a failed Create")
        try:
            answer = self.handler.on_event(event, None) or {}
        except Exception as exc:  # the framework reports any failure to CloudFormation
            failed_id = event.get("PhysicalResourceId") or CREATE_FAILED
            return Outcome("FAILED", failed_id, reason=f"{type(exc).__name__}: {exc}")
        physical_id = str(answer.get("PhysicalResourceId") or event.get("PhysicalResourceId") or event["RequestId"])
        data = dict(answer.get("Data") or {})
        polls = 0
        if hasattr(self.handler, "is_complete"):
            waiting = {**event, **answer, "PhysicalResourceId": physical_id}
            while True:
                polls += 1
                if polls > self.max_polls:
                    return Outcome("FAILED", physical_id, data, reason="Operation timed out", polls=polls)
                try:
                    result = self.handler.is_complete(waiting, None)
                except Exception as exc:
                    return Outcome("FAILED", physical_id, data, reason=f"{type(exc).__name__}: {exc}", polls=polls)
                if result.get("IsComplete"):
                    data.update(result.get("Data") or {})
                    break
        size = len(json.dumps({"PhysicalResourceId": physical_id, "Data": data}))
        if size > MAX_RESPONSE_BYTES:
            return Outcome("FAILED", physical_id, data, reason=f"Response object is too long ({size} bytes)")
        return Outcome("SUCCESS", physical_id, data, polls=polls)

    # ------------------------------------------------------------------ stack operations

    def create(self, properties: Mapping[str, Any], *, request_id: str | None = None) -> Outcome:
        """CREATE of the resource."""
        return self.send(self.event("Create", properties, request_id=request_id))

    def update(self, resource: Resource, properties: Mapping[str, Any], *, request_id: str | None = None) -> Outcome:
        """UPDATE of ``resource`` to ``properties`` (no cleanup: see :meth:`stack_update`)."""
        event = self.event(
            "Update",
            properties,
            physical_id=resource.physical_id,
            old_properties=resource.properties,
            request_id=request_id,
        )
        return self.send(event)

    def delete(self, resource: Resource, *, request_id: str | None = None) -> Outcome:
        """DELETE of ``resource``."""
        event = self.event("Delete", resource.properties, physical_id=resource.physical_id, request_id=request_id)
        return self.send(event)

    def deploy(self, properties: Mapping[str, Any]) -> Resource:
        """A successful CREATE, as a stack resource (fails the test otherwise)."""
        outcome = self.create(properties)
        assert outcome.ok, outcome.reason
        return Resource(dict(properties), outcome.physical_id)

    def stack_update(self, resource: Resource, properties: Mapping[str, Any]) -> tuple[Resource, Outcome]:
        """A whole successful stack update: UPDATE, then (on replacement) the cleanup DELETE of the old id."""
        outcome = self.update(resource, properties)
        assert outcome.ok, outcome.reason
        updated = Resource(dict(properties), outcome.physical_id)
        if outcome.physical_id != resource.physical_id:
            cleanup = self.delete(resource)
            assert cleanup.ok, cleanup.reason
        return updated, outcome

    def failed_stack_update(self, resource: Resource, properties: Mapping[str, Any]) -> tuple[Outcome, Outcome]:
        """An UPDATE that succeeds, then a later resource fails: UPDATE_ROLLBACK to the old properties, sent to
        the physical id the update returned, then the cleanup DELETE of whichever id the rollback left behind.

        Returns (the update's outcome, the rollback's outcome)."""
        forward = self.update(resource, properties)
        assert forward.ok, forward.reason
        forward_resource = Resource(dict(properties), forward.physical_id)
        rollback = self.update(forward_resource, resource.properties)
        if rollback.ok and rollback.physical_id != forward.physical_id:
            cleanup = self.delete(forward_resource)
            assert cleanup.ok, cleanup.reason
        return forward, rollback
