"""Promotion and rollback of custom models behind a stable endpoint: the one implementation.

Standard library only, plus the boto3 ``bedrock`` and ``ssm`` clients the caller passes in (no aws_cdk): the
``serving_promoter`` Lambda (which stages this module) and ``bedrock-ops promote`` / ``rollback`` run this code.

The state of an endpoint is one SSM String parameter holding a JSON **record**::

    {"version": 1, "endpointKind": "deployment" | "provisioned-throughput", "endpointArn": str | null,
     "currentModelArn": str | null, "previousModelArn": str | null,
     "currentScores": {metric: number} | null, "previousScores": {...} | null, "updatedAt": ISO-8601,
     "endpoint": {"name", "modelUnits", "commitment", "baseModelId", "customModelRemovalPolicy", "tagKey"},
     "pendingDeletion": [ARN, ...], "retained": [ARN, ...], "owner": execution ARN | null}

``endpoint`` is the endpoint's configuration (written by the stack); ``pendingDeletion`` holds replaced
throughputs deleted once their successor is Active (:func:`retire`); ``retained`` the committed throughputs that
are never deleted; ``owner`` the execution an evaluation candidate serves (absent from older records: null).
What Bedrock allows (which model changes update in place, the status values, that a committed throughput cannot
be deleted) comes from the model knowledge base's ``promotion`` group (:class:`Rules`).

:func:`plan` says what a promotion or rollback will do, in words and as API calls, without calling anything that
changes state; :func:`apply` does it; :func:`status` maps the endpoint's state to Creating / Updating / Active /
Failed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = [
    "DEPLOYMENT",
    "KINDS",
    "PROVISIONED_THROUGHPUT",
    "Call",
    "EndpointConfig",
    "EndpointStatus",
    "Plan",
    "PromotionError",
    "Record",
    "Rules",
    "apply",
    "initial_record",
    "load_rules",
    "plan",
    "read_record",
    "retire",
    "status",
    "write_record",
]

RECORD_VERSION = 1
DEPLOYMENT = "deployment"
PROVISIONED_THROUGHPUT = "provisioned-throughput"
KINDS = (DEPLOYMENT, PROVISIONED_THROUGHPUT)
#: The endpoint statuses a wait loop sees.
STATUSES = ("Creating", "Updating", "Active", "Failed")
NO_COMMITMENT = "NoCommitment"
_CUSTOM_MODEL_ARN = re.compile(
    r"^arn:aws[a-z-]*:bedrock:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):custom-model/(?P<base>.+)/(?P<id>[a-z0-9]{12})$"
)
_PACKAGED_MODELS = Path(__file__).resolve().parent.parent / "models" / "data" / "models.json"


class PromotionError(ValueError):
    """A promotion or rollback that cannot be done as asked (the message says why and what would work)."""


# ------------------------------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class Rules:
    """What Bedrock allows, from the knowledge base's ``promotion`` group (each fact cited there)."""

    deployment_statuses: Mapping[str, str]
    deployment_update_statuses: Mapping[str, str]
    deployment_model_swap: bool
    throughput_statuses: Mapping[str, str]
    throughput_model_swap: str | None
    committed_throughput_deletable: bool

    @classmethod
    def from_group(cls, group: Mapping[str, Any], where: str = "promotion") -> Rules:
        """The rules of a ``promotion`` group; a missing or mistyped fact names ``where`` and the key."""
        try:
            return cls(
                deployment_statuses=_status_map(group["deployment_statuses"]),
                deployment_update_statuses=_status_map(group["deployment_update_statuses"]),
                deployment_model_swap=bool(group["deployment_model_swap"]),
                throughput_statuses=_status_map(group["throughput_statuses"]),
                throughput_model_swap=group.get("throughput_model_swap"),
                committed_throughput_deletable=bool(group["committed_throughput_deletable"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PromotionError(
                f"{where}: the knowledge base's promotion group is incomplete or wrong: {exc}"
            ) from None


def _status_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or any(v not in STATUSES for v in value.values()):
        raise ValueError(f"a status map must map API statuses to one of {', '.join(STATUSES)}, got {value!r}")
    return {str(k): str(v) for k, v in value.items()}


def load_rules(path: str | Path | None = None) -> Rules:
    """The rules of the ``promotion`` group of the knowledge base JSON at ``path`` (default: the packaged
    ``models/data/models.json``, which the Lambda asset stages reduced to that group, a models file merged in)."""
    source = Path(path) if path is not None else _PACKAGED_MODELS
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PromotionError(f"{source}: cannot read the knowledge base: {exc}") from None
    group = document.get("promotion") if isinstance(document, dict) else None
    if not isinstance(group, dict):
        raise PromotionError(f"{source}: has no 'promotion' group")
    return Rules.from_group(group, str(source))


# ------------------------------------------------------------------------------------------------ record


@dataclass(frozen=True)
class EndpointConfig:
    """How the endpoint is made when a promotion has to create it (written into the record by the stack)."""

    name: str
    model_units: int = 1
    commitment: str = NO_COMMITMENT
    base_model_id: str | None = None
    custom_model_removal_policy: str = "retain"
    tag_key: str = "bedrock-ops:stable-endpoint"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "modelUnits": self.model_units,
            "commitment": self.commitment,
            "baseModelId": self.base_model_id,
            "customModelRemovalPolicy": self.custom_model_removal_policy,
            "tagKey": self.tag_key,
        }

    @classmethod
    def from_json(cls, value: Any, where: str) -> EndpointConfig | None:
        if value is None:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not value["name"]:
            raise PromotionError(f"{where}: 'endpoint' must be an object with a non-empty 'name', got {value!r}")
        units = value.get("modelUnits", 1)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise PromotionError(f"{where}: endpoint.modelUnits must be an integer >= 1, got {units!r}")
        return cls(
            name=value["name"],
            model_units=units,
            commitment=str(value.get("commitment") or NO_COMMITMENT),
            base_model_id=value.get("baseModelId"),
            custom_model_removal_policy=str(value.get("customModelRemovalPolicy") or "retain"),
            tag_key=str(value.get("tagKey") or "bedrock-ops:stable-endpoint"),
        )


@dataclass(frozen=True)
class Record:
    """The stable endpoint's record (see the module docstring for its JSON)."""

    endpoint_kind: str | None
    endpoint_arn: str | None = None
    current_model_arn: str | None = None
    previous_model_arn: str | None = None
    current_scores: Mapping[str, float] | None = None
    previous_scores: Mapping[str, float] | None = None
    updated_at: str | None = None
    endpoint: EndpointConfig | None = None
    pending_deletion: tuple[str, ...] = ()
    retained: tuple[str, ...] = ()
    owner: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": RECORD_VERSION,
            "endpointKind": self.endpoint_kind,
            "endpointArn": self.endpoint_arn,
            "currentModelArn": self.current_model_arn,
            "previousModelArn": self.previous_model_arn,
            "currentScores": dict(self.current_scores) if self.current_scores is not None else None,
            "previousScores": dict(self.previous_scores) if self.previous_scores is not None else None,
            "updatedAt": self.updated_at,
            "endpoint": self.endpoint.to_json() if self.endpoint else None,
            "pendingDeletion": list(self.pending_deletion),
            "retained": list(self.retained),
            "owner": self.owner,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def loads(cls, text: str, where: str) -> Record:
        """Parse a record; errors name ``where`` (the parameter or file), the bad value and what is allowed."""
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise PromotionError(f"{where}: the record is not JSON ({exc}): {text[:200]!r}") from None
        if not isinstance(raw, dict):
            raise PromotionError(f"{where}: the record must be a JSON object, got {type(raw).__name__}")
        if raw.get("version") != RECORD_VERSION:
            raise PromotionError(f"{where}: record version must be {RECORD_VERSION}, got {raw.get('version')!r}")
        kind = raw.get("endpointKind")
        if kind is not None and kind not in KINDS:
            raise PromotionError(f"{where}: endpointKind must be one of {', '.join(KINDS)} or null, got {kind!r}")
        for key in ("endpointArn", "currentModelArn", "previousModelArn", "updatedAt", "owner"):
            if raw.get(key) is not None and not isinstance(raw[key], str):
                raise PromotionError(f"{where}: {key} must be a string or null, got {raw[key]!r}")
        return cls(
            endpoint_kind=kind,
            endpoint_arn=raw.get("endpointArn"),
            current_model_arn=raw.get("currentModelArn"),
            previous_model_arn=raw.get("previousModelArn"),
            current_scores=_scores(raw.get("currentScores"), f"{where}: currentScores"),
            previous_scores=_scores(raw.get("previousScores"), f"{where}: previousScores"),
            updated_at=raw.get("updatedAt"),
            endpoint=EndpointConfig.from_json(raw.get("endpoint"), where),
            pending_deletion=tuple(_arns(raw.get("pendingDeletion"), f"{where}: pendingDeletion")),
            retained=tuple(_arns(raw.get("retained"), f"{where}: retained")),
            owner=raw.get("owner"),
        )


def _scores(value: Any, where: str) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()
    ):
        raise PromotionError(f"{where} must be an object of metric -> number, or null, got {value!r}")
    return {str(k): float(v) for k, v in value.items()}


def _arns(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PromotionError(f"{where} must be a list of ARNs, got {value!r}")
    return list(value)


def initial_record() -> Record:
    """The record a new parameter holds before its stack configures it: no endpoint, no model."""
    return Record(endpoint_kind=None)


def read_record(ssm: Any, parameter_name: str) -> Record:
    """The record in the SSM parameter ``parameter_name`` (GetParameter)."""
    value = ssm.get_parameter(Name=parameter_name)["Parameter"]["Value"]
    return Record.loads(str(value), f"parameter {parameter_name}")


def write_record(ssm: Any, parameter_name: str, record: Record) -> None:
    """Overwrite the SSM parameter with ``record`` (PutParameter, Overwrite)."""
    ssm.put_parameter(Name=parameter_name, Value=record.dumps(), Type="String", Overwrite=True)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -------------------------------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class Call:
    """One API call a plan makes: the operation (as the API reference names it), its parameters, and why.
    ``{endpointArn}`` in a parameter value stands for the ARN the plan's create call returns."""

    operation: str
    params: Mapping[str, Any]
    why: str

    @property
    def method(self) -> str:
        """The boto3 method name (``CreateCustomModelDeployment`` -> ``create_custom_model_deployment``)."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.operation).lower()

    def to_json(self) -> dict[str, Any]:
        return {"operation": self.operation, "params": dict(self.params), "why": self.why}


@dataclass(frozen=True)
class Plan:
    """What :func:`apply` will do: ``steps`` in words, ``calls`` as API calls (none: nothing changes), and the
    record after it (``endpointArn`` ``None`` until the create call answers)."""

    action: str
    target_model_arn: str
    before: Record
    after: Record
    calls: tuple[Call, ...]
    steps: tuple[str, ...]
    mode: str
    """``noop``, ``create``, ``update`` or ``replace``."""

    @property
    def changed(self) -> bool:
        return self.mode != "noop"

    def describe(self) -> str:
        lines = [f"{self.action} {self.target_model_arn}:"]
        lines += [f"  - {step}" for step in self.steps]
        for call in self.calls:
            lines.append(f"  {call.operation}({json.dumps(dict(call.params), sort_keys=True)})")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "targetModelArn": self.target_model_arn,
            "mode": self.mode,
            "changed": self.changed,
            "steps": list(self.steps),
            "calls": [c.to_json() for c in self.calls],
            "recordBefore": self.before.to_json(),
            "recordAfter": self.after.to_json(),
        }


def base_model_of_arn(model_arn: str) -> str | None:
    """The base model a custom model ARN names (``custom-model/<base>/<id>``), None for imported ones."""
    match = _CUSTOM_MODEL_ARN.match(model_arn)
    if match is None or match.group("base") == "imported":
        return None
    return match.group("base")


def base_model_lookup(bedrock: Any) -> Callable[[str], str | None]:
    """Base model of a custom model by GetCustomModel (``baseModelArn``), for :func:`plan`."""

    def lookup(model_arn: str) -> str | None:
        answer = bedrock.get_custom_model(modelIdentifier=model_arn)
        base = answer.get("baseModelArn")
        return str(base).rsplit("/", 1)[-1] if base else None

    return lookup


def _token(*parts: Any) -> str:
    """An idempotency token: the same promotion of the same record always gives the same token, so a retried
    promotion never buys a second endpoint."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:64]


def plan(
    record: Record,
    target_model_arn: str | None = None,
    action: str = "promote",
    *,
    rules: Rules,
    scores: Mapping[str, float] | None = None,
    base_model_of: Callable[[str], str | None] = base_model_of_arn,
    parameter_name: str = "",
    updated_at: str | None = None,
) -> Plan:
    """What promoting ``target_model_arn`` (or, with ``action="rollback"``, the record's previous model) does.

    Promote: no endpoint yet -> create it; an endpoint -> swap its model in place where the rules allow it
    (UpdateCustomModelDeployment; UpdateProvisionedModelThroughput only to a custom model of the same base
    model), else replace it (a new throughput; the old one is deleted once the new one is Active, unless it has
    a commitment). The model that is already current: nothing changes. Rollback promotes ``previousModelArn``;
    current and previous swap (their scores too).
    """
    if action not in ("promote", "rollback"):
        raise PromotionError(f"action must be 'promote' or 'rollback', got {action!r}")
    if record.endpoint_kind not in KINDS or record.endpoint is None:
        raise PromotionError(
            f"{parameter_name or 'the record'}: the stable endpoint is not configured yet (endpointKind "
            f"{record.endpoint_kind!r}, no 'endpoint'): deploy the stack that owns it first"
        )
    if action == "rollback":
        if not record.previous_model_arn:
            raise PromotionError(
                f"{parameter_name or 'the record'}: nothing to roll back to: the record has no previousModelArn "
                f"(current model: {record.current_model_arn or 'none'})"
            )
        target = record.previous_model_arn
        new_scores = dict(record.previous_scores) if record.previous_scores is not None else None
    else:
        if not target_model_arn or ":custom-model/" not in target_model_arn:
            raise PromotionError(
                f"model ARN must be a custom model ARN (arn:aws:bedrock:<region>:<account>:custom-model/...), "
                f"got {target_model_arn!r}"
            )
        target = target_model_arn
        new_scores = dict(scores) if scores is not None else None
    stamp = updated_at or now_iso()
    config = record.endpoint
    kind = record.endpoint_kind
    what = "custom model deployment" if kind == DEPLOYMENT else "provisioned throughput"

    if record.endpoint_arn and target == record.current_model_arn:
        return Plan(
            action,
            target,
            record,
            record,
            (),
            (f"{target} is already the current model of {what} {record.endpoint_arn}: nothing changes",),
            "noop",
        )

    after = replace(
        record,
        current_model_arn=target,
        previous_model_arn=record.current_model_arn,
        current_scores=new_scores,
        previous_scores=record.current_scores,
        updated_at=stamp,
    )
    # The record's own stamp is part of the token: a retry reads the same record (same token, nothing bought
    # twice), while a promotion after a release (same models, a newer record) is a new purchase.
    token = _token(
        parameter_name, config.name, kind, record.endpoint_arn, record.current_model_arn, target, record.updated_at
    )
    tags = [{"key": config.tag_key, "value": parameter_name or config.name}]

    if not record.endpoint_arn:
        # An endpoint released before (its model still recorded) may still be deleting under the plain name.
        name = config.name if record.current_model_arn is None else f"{config.name[:56]}-{token[:6]}"
        create = _create_call(kind, config, target=target, token=token, tags=tags, name=name)
        return Plan(
            action,
            target,
            record,
            replace(after, endpoint_arn=None),
            (create,),
            (f"no endpoint yet: create {what} {name} serving {target}",),
            "create",
        )

    arn = record.endpoint_arn
    if kind == DEPLOYMENT:
        if not rules.deployment_model_swap:
            raise PromotionError(
                "the knowledge base says a custom model deployment cannot swap its model "
                "(promotion.deployment_model_swap: false); nothing to do in place"
            )
        call = Call(
            "UpdateCustomModelDeployment",
            {"customModelDeploymentIdentifier": arn, "modelArn": target},
            "swap the model behind the same deployment ARN",
        )
        steps: tuple[str, ...] = (f"update deployment {arn} in place: {record.current_model_arn} -> {target}",)
        return Plan(action, target, record, after, (call,), steps, "update")

    current_base = base_model_of(record.current_model_arn) if record.current_model_arn else None
    target_base = base_model_of(target)
    same_base = current_base is not None and current_base == target_base
    if rules.throughput_model_swap == "same-base-custom-model" and same_base:
        call = Call(
            "UpdateProvisionedModelThroughput",
            {"provisionedModelId": arn, "desiredModelId": target},
            "move the throughput to a custom model of the same base model",
        )
        steps = (f"update throughput {arn} in place ({current_base}): {record.current_model_arn} -> {target}",)
        return Plan(action, target, record, after, (call,), steps, "update")

    name = f"{config.name[:56]}-{token[:6]}"
    create = _create_call(kind, config, target=target, token=token, tags=tags, name=name)
    committed = config.commitment != NO_COMMITMENT
    reason = (
        f"the base models differ ({current_base or 'unknown'} -> {target_base or 'unknown'}): "
        "UpdateProvisionedModelThroughput moves a throughput only to a custom model of the same base model"
    )
    if committed and not rules.committed_throughput_deletable:
        old = (
            f"keep the old throughput {arn}: it has a {config.commitment} commitment and cannot be deleted "
            "before its term ends"
        )
        after = replace(after, endpoint_arn=None, retained=(*record.retained, arn))
    else:
        old = f"delete the old throughput {arn} once the new one is Active"
        after = replace(after, endpoint_arn=None, pending_deletion=(*record.pending_deletion, arn))
    steps = (f"replace the throughput: {reason}", f"create throughput {name} serving {target}", old)
    return Plan(action, target, record, after, (create,), steps, "replace")


def _create_call(
    kind: str, config: EndpointConfig, *, target: str, token: str, tags: list[dict[str, str]], name: str
) -> Call:
    if kind == DEPLOYMENT:
        return Call(
            "CreateCustomModelDeployment",
            {"modelDeploymentName": name, "modelArn": target, "clientRequestToken": token, "tags": tags},
            "create the on-demand deployment (idempotent: clientRequestToken)",
        )
    params: dict[str, Any] = {
        "provisionedModelName": name,
        "modelId": target,
        "modelUnits": config.model_units,
        "clientRequestToken": token,
        "tags": tags,
    }
    if config.commitment != NO_COMMITMENT:
        params["commitmentDuration"] = config.commitment
    return Call(
        "CreateProvisionedModelThroughput",
        params,
        f"buy {config.model_units} model unit(s), {config.commitment} (idempotent: clientRequestToken)",
    )


# ------------------------------------------------------------------------------------------------- apply


@dataclass(frozen=True)
class EndpointStatus:
    """The endpoint's state for a wait loop."""

    status: str
    endpoint_arn: str | None
    model_arn: str | None = None
    failure_message: str | None = None
    commitment: str | None = None


def status(bedrock: Any, record: Record, rules: Rules) -> EndpointStatus:
    """Creating / Updating / Active / Failed of the record's endpoint (Failed also when it is gone)."""
    arn = record.endpoint_arn
    if not arn:
        return EndpointStatus("Failed", None, failure_message="the record names no endpoint")
    if record.endpoint_kind == DEPLOYMENT:
        answer = _get(bedrock, "get_custom_model_deployment", customModelDeploymentIdentifier=arn)
        if answer is None:
            return EndpointStatus("Failed", arn, failure_message=f"deployment {arn} does not exist")
        state = rules.deployment_statuses.get(str(answer["status"]), "Failed")
        update = answer.get("updateDetails") or {}
        if state == "Active" and update.get("updateStatus"):
            state = rules.deployment_update_statuses.get(str(update["updateStatus"]), "Failed")
        if state == "Active" and record.current_model_arn and answer.get("modelArn") != record.current_model_arn:
            state = "Updating"
        message = answer.get("failureMessage")
        if state == "Failed" and not message:
            message = f"status {answer['status']}, update {update.get('updateStatus')} to {update.get('modelArn')}"
        return EndpointStatus(state, arn, answer.get("modelArn"), message)
    answer = _get(bedrock, "get_provisioned_model_throughput", provisionedModelId=arn)
    if answer is None:
        return EndpointStatus("Failed", arn, failure_message=f"provisioned throughput {arn} does not exist")
    state = rules.throughput_statuses.get(str(answer["status"]), "Failed")
    if state == "Active" and answer.get("desiredModelArn") not in (None, answer.get("modelArn")):
        state = "Updating"
    return EndpointStatus(
        state, arn, answer.get("modelArn"), answer.get("failureMessage"), answer.get("commitmentDuration")
    )


def _get(bedrock: Any, method: str, **params: Any) -> dict[str, Any] | None:
    try:
        return dict(getattr(bedrock, method)(**params))
    except Exception as exc:  # botocore ClientError: only "not found" means absent
        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            return None
        raise


def apply(
    the_plan: Plan,
    *,
    bedrock: Any,
    ssm: Any | None = None,
    parameter_name: str | None = None,
    rules: Rules,
) -> Record:
    """Make the plan's calls, then (with ``ssm``) write the new record; returns it. A plan that changes nothing
    makes no call and writes nothing. The endpoint must not be Creating, Updating or Failed."""
    if not the_plan.changed:
        return the_plan.before
    before = the_plan.before
    if before.endpoint_arn:
        current = status(bedrock, before, rules)
        if current.status != "Active":
            raise PromotionError(
                f"endpoint {before.endpoint_arn} is {current.status}"
                f"{': ' + current.failure_message if current.failure_message else ''}; promote once it is Active"
            )
    after = the_plan.after
    for call in the_plan.calls:
        answer = getattr(bedrock, call.method)(**call.params)
        if call.operation.startswith("Create"):
            new_arn = answer.get("customModelDeploymentArn") or answer.get("provisionedModelArn")
            after = replace(after, endpoint_arn=str(new_arn))
    if ssm is not None and parameter_name:
        write_record(ssm, parameter_name, after)
    return after


def retire(bedrock: Any, record: Record, rules: Rules) -> tuple[Record, list[str]]:
    """Delete the replaced throughputs in ``pendingDeletion`` once the endpoint is Active (a throughput that turns
    out to have a commitment is kept and moved to ``retained``). Returns the record and what was deleted."""
    if not record.pending_deletion:
        return record, []
    deleted: list[str] = []
    retained = list(record.retained)
    for arn in record.pending_deletion:
        answer = _get(bedrock, "get_provisioned_model_throughput", provisionedModelId=arn)
        if answer is None:
            deleted.append(arn)
            continue
        if answer.get("commitmentDuration") and not rules.committed_throughput_deletable:
            retained.append(arn)
            continue
        _delete(bedrock, "delete_provisioned_model_throughput", provisionedModelId=arn)
        deleted.append(arn)
    return replace(record, pending_deletion=(), retained=tuple(retained)), deleted


def _delete(bedrock: Any, method: str, **params: Any) -> bool:
    """Delete; False when it was gone already."""
    try:
        getattr(bedrock, method)(**params)
    except Exception as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ResourceNotFoundException":
            return False
        raise
    return True


@dataclass
class Cleanup:
    """What :func:`clean_up` did on stack delete."""

    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def clean_up(
    bedrock: Any,
    record: Record,
    rules: Rules,
    *,
    delete_models: bool,
    wait: Callable[[float], None] = time.sleep,
    deadline: float = 600.0,
) -> tuple[Record, Cleanup]:
    """Stack delete: delete the endpoint (a deployment, or a throughput without commitment; a committed
    throughput is kept and reported) and the replaced throughputs waiting for deletion; with ``delete_models``
    the recorded custom models (current, previous) too, once no endpoint of this record serves them
    (``DeleteCustomModel`` fails while one does). Returns the emptied record and what happened."""
    done = Cleanup()
    kind = record.endpoint_kind
    endpoints = [a for a in (record.endpoint_arn, *record.pending_deletion) if a]
    deleting: list[str] = []
    for arn in endpoints:
        if kind == DEPLOYMENT:
            if _delete(bedrock, "delete_custom_model_deployment", customModelDeploymentIdentifier=arn):
                deleting.append(arn)
            done.deleted.append(arn)
            continue
        answer = _get(bedrock, "get_provisioned_model_throughput", provisionedModelId=arn)
        if answer is None:
            done.deleted.append(arn)
        elif answer.get("commitmentDuration") and not rules.committed_throughput_deletable:
            done.kept.append(arn)
            done.reasons.append(
                f"kept provisioned throughput {arn}: its {answer['commitmentDuration']} commitment runs until "
                f"{answer.get('commitmentExpirationTime')} and it cannot be deleted before; delete it after the term"
            )
        else:
            _delete(bedrock, "delete_provisioned_model_throughput", provisionedModelId=arn)
            deleting.append(arn)
            done.deleted.append(arn)
    done.kept.extend(a for a in record.retained if a not in done.kept)
    if delete_models:
        serving = set()
        for arn in done.kept:
            answer = _get(bedrock, "get_provisioned_model_throughput", provisionedModelId=arn)
            if answer is not None:
                serving.add(answer.get("modelArn"))
        _wait_gone(bedrock, kind, deleting, wait, deadline)
        for model in dict.fromkeys(m for m in (record.current_model_arn, record.previous_model_arn) if m):
            if model in serving:
                done.kept.append(model)
                done.reasons.append(f"kept custom model {model}: a committed throughput that is kept serves it")
                continue
            _delete(bedrock, "delete_custom_model", modelIdentifier=model)
            done.deleted.append(model)
    emptied = replace(
        record,
        endpoint_arn=None,
        current_model_arn=None if delete_models else record.current_model_arn,
        previous_model_arn=None if delete_models else record.previous_model_arn,
        pending_deletion=(),
        retained=tuple(a for a in done.kept if ":provisioned-model/" in a),
    )
    return emptied, done


def _wait_gone(bedrock: Any, kind: str | None, arns: list[str], wait: Callable[[float], None], deadline: float) -> None:
    """Wait until the deleted endpoints are gone (a custom model cannot be deleted while one serves it)."""
    waited = 0.0
    for arn in arns:
        while True:
            if kind == DEPLOYMENT:
                answer = _get(bedrock, "get_custom_model_deployment", customModelDeploymentIdentifier=arn)
            else:
                answer = _get(bedrock, "get_provisioned_model_throughput", provisionedModelId=arn)
            if answer is None:
                break
            if waited >= deadline:
                raise PromotionError(
                    f"endpoint {arn} is still being deleted after {deadline:.0f} s; delete again later"
                )
            wait(15.0)
            waited += 15.0
