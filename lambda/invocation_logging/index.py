"""Custom resource: Amazon Bedrock model invocation logging (one configuration per account and Region).

CloudFormation has no resource for it, so this handler calls ``PutModelInvocationLoggingConfiguration`` /
``DeleteModelInvocationLoggingConfiguration``.

- **Create** refuses to overwrite a configuration that already exists (somebody else's) unless the property
  ``Adopt`` is ``"true"``. Either way the configuration found is stored, so that Delete can put it back.
- **Update** puts the new configuration; the stored previous configuration carries over.
- **Delete** restores the stored previous configuration, or deletes the configuration when there was none.
  If the configuration in place is no longer the one this resource set, it is left alone. Delete succeeds
  when the configuration is already gone.

Where the previous configuration is stored: a custom resource's response (physical id + Data) is limited to
4 KB and CloudFormation does not hand ``Data`` back on Delete, while a logging configuration can reach about
5 KB (a 512-character log group name, a 2,048-character role ARN, two 1,024-character key prefixes). It goes
into the SSM parameter named by ``StateParameterName`` (Standard tier up to 4 KB, Advanced tier above).

Properties: ``LoggingConfig`` (the ``loggingConfig`` request member, as a JSON string so that booleans
survive CloudFormation's stringification), ``Adopt`` (``"true"``/``"false"``), ``StateParameterName``.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from _runtime.cfn import dispatch, from_json, to_bool
from _runtime.logs import log
from _runtime.retry import RETRYABLE_CODES, Retry, RetryingClients

STATE_VERSION = 1
_STANDARD_TIER_LIMIT = 4096
# Bedrock validates the destination (role trust, bucket policy) when the configuration is put; a role or
# bucket policy created seconds earlier may not have propagated yet, which shows as a ValidationException.
_RETRYABLE_ON_PUT = RETRYABLE_CODES | {"ValidationException"}
_DESTINATIONS = ("cloudWatchConfig", "s3Config")

# Clients are created on first use; tests replace them (``clients.override``) and the sleep between
# retries (``clients.retry.sleep``). Backoff 1, 2, 4, 8, 16 s, no jitter.
clients = RetryingClients(retry=Retry(max_attempts=6, base_delay=1.0, jitter=False))


def on_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Dispatch a CloudFormation custom resource event to ``on_create``/``on_update``/``on_delete``."""
    return dispatch(event, on_create=on_create, on_update=on_update, on_delete=on_delete)


def on_create(event: dict[str, Any]) -> dict[str, Any]:
    """Put the configuration; refuse a foreign one unless adopting; store what was there before."""
    props = event["ResourceProperties"]
    desired = _desired_config(props)
    adopt = to_bool(props.get("Adopt"), "Adopt", default=False)
    parameter = _parameter_name(props)
    current = _get_config()
    state = _load_state(parameter)
    if current and state is not None and _matches(current, desired):
        # The same Create delivered again (a retry after a lost response): the configuration in place is
        # the one this resource put, and the state holds what was there before it; keep both.
        previous = state.get("previous")
        log.info("already configured by this resource", adopted=bool(previous))
        return _response(adopted=bool(previous))
    if current and not adopt:
        raise RuntimeError(
            f"Bedrock model invocation logging is already configured in {_region()} "
            f"({_describe(current)}) and this stack did not create that configuration. "
            "Set adopt_existing=True on InvocationLogging (property Adopt) to take it over; "
            "it will be restored when this resource is deleted."
        )
    _save_state(parameter, previous=current or None)
    try:
        _put_config(desired)
    except Exception:
        _delete_state(parameter)  # a failed Create gets no Delete: leave nothing behind
        raise
    log.info("configured", adopted=bool(current), destinations=_describe(desired))
    return _response(adopted=bool(current))


def on_update(event: dict[str, Any]) -> dict[str, Any]:
    """Put the new configuration; keep (or move) the stored previous configuration."""
    props = event["ResourceProperties"]
    old_props = event.get("OldResourceProperties", {})
    desired = _desired_config(props)
    parameter = _parameter_name(props)
    old_parameter = old_props.get("StateParameterName", parameter)
    state = _load_state(old_parameter)
    if old_parameter != parameter:
        _save_state(parameter, previous=state.get("previous") if state else None)
    current = _get_config()
    if current and old_props.get("LoggingConfig") and not _matches(current, _desired_config(old_props)):
        log.warning("configuration changed outside this stack; overwriting", found=_describe(current))
    _put_config(desired)
    if old_parameter != parameter:
        _delete_state(old_parameter)
    return _response(adopted=bool(state and state.get("previous")), physical_id=event["PhysicalResourceId"])


def on_delete(event: dict[str, Any]) -> dict[str, Any]:
    """Restore the previous configuration (or delete ours); succeed when it is already gone."""
    props = event["ResourceProperties"]
    parameter = _parameter_name(props)
    state = _load_state(parameter)
    previous = state.get("previous") if state else None
    current = _get_config()
    physical_id = event["PhysicalResourceId"]
    if current and "LoggingConfig" in props and not _matches(current, _desired_config(props)):
        log.warning("configuration is no longer ours; leaving it in place", found=_describe(current))
    elif previous:
        _put_config(previous)
        log.info("restored previous configuration", restored=_describe(previous))
    elif current:
        clients.call("bedrock", "delete_model_invocation_logging_configuration")
        log.info("deleted configuration")
    else:
        log.info("configuration already gone")
    _delete_state(parameter)
    return {"PhysicalResourceId": physical_id, "Data": {}}


# --- configuration --------------------------------------------------------------------------------


def _desired_config(props: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = from_json(props.get("LoggingConfig"), "LoggingConfig", expect=dict)
    if not any(k in config for k in _DESTINATIONS):
        raise ValueError(f"LoggingConfig needs cloudWatchConfig and/or s3Config, got keys {sorted(config)}")
    return config


def _get_config() -> dict[str, Any]:
    response = clients.call("bedrock", "get_model_invocation_logging_configuration")
    config = response.get("loggingConfig") or {}
    # An account without logging answers with no configuration or one without any destination.
    return config if any(config.get(k) for k in _DESTINATIONS) else {}


def _put_config(config: dict[str, Any]) -> None:
    clients.call(
        "bedrock",
        "put_model_invocation_logging_configuration",
        retry_codes=_RETRYABLE_ON_PUT,
        loggingConfig=config,
    )


def _matches(current: dict[str, Any], desired: dict[str, Any]) -> bool:
    """True when ``current`` is the configuration ``desired`` describes (fields it leaves out ignored)."""
    if any(bool(current.get(k)) != bool(desired.get(k)) for k in _DESTINATIONS):
        return False
    return _contains(current, desired)


def _contains(current: Any, desired: Any) -> bool:
    if isinstance(desired, dict):
        return isinstance(current, dict) and all(_contains(current.get(k), v) for k, v in desired.items())
    return bool(current == desired)


def _describe(config: dict[str, Any]) -> str:
    parts = []
    if config.get("cloudWatchConfig"):
        parts.append(f"log group {config['cloudWatchConfig'].get('logGroupName')}")
    if config.get("s3Config"):
        parts.append(f"bucket {config['s3Config'].get('bucketName')}")
    return ", ".join(parts) or "no destination"


# --- state ------------------------------------------------------------------------------------------


def _save_state(parameter: str, *, previous: dict[str, Any] | None) -> None:
    value = json.dumps({"version": STATE_VERSION, "previous": previous}, sort_keys=True, separators=(",", ":"))
    clients.call(
        "ssm",
        "put_parameter",
        Name=parameter,
        Value=value,
        Type="String",
        Overwrite=True,
        Tier="Standard" if len(value.encode()) <= _STANDARD_TIER_LIMIT else "Advanced",
        Description="cdk-bedrock-ops: Bedrock invocation logging configuration to restore on delete",
    )


def _load_state(parameter: str) -> dict[str, Any] | None:
    try:
        response = clients.call("ssm", "get_parameter", Name=parameter)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ParameterNotFound":
            return None
        raise
    state = json.loads(response["Parameter"]["Value"])
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        raise ValueError(f"SSM parameter {parameter} does not hold a version {STATE_VERSION} state")
    return state


def _delete_state(parameter: str) -> None:
    try:
        clients.call("ssm", "delete_parameter", Name=parameter)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ParameterNotFound":
            raise


# --- plumbing -----------------------------------------------------------------------------------------


def _parameter_name(props: dict[str, Any]) -> str:
    name = props.get("StateParameterName")
    if not isinstance(name, str) or not name.startswith("/"):
        raise ValueError(f"property StateParameterName must be an SSM parameter path such as /a/b, got {name!r}")
    return name


def _region() -> str:
    return str(clients.get("bedrock").meta.region_name)


def _response(*, adopted: bool, physical_id: str | None = None) -> dict[str, Any]:
    return {
        "PhysicalResourceId": physical_id or f"bedrock-invocation-logging-{_region()}",
        "Data": {"AdoptedExisting": "true" if adopted else "false"},
    }
