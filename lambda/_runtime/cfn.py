"""CloudFormation custom resources: request dispatch and readers of string-typed properties.

CloudFormation hands a custom resource every scalar property as a string (``true`` -> ``"true"``,
``5`` -> ``"5"``). The readers turn such a value back into its type; a bad value raises
:class:`PropertyError` (a ``ValueError``) naming the property, the value and what is allowed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from _runtime.logs import log

Response = dict[str, Any]
Event = TypeVar("Event", bound=Mapping[str, Any])


class PropertyError(ValueError):
    """A resource property CloudFormation passed cannot be what the handler needs."""


def dispatch(
    event: Event,
    *,
    on_create: Callable[[Event], Response],
    on_update: Callable[[Event], Response],
    on_delete: Callable[[Event], Response],
) -> Response:
    """Hand ``event`` to the function of its ``RequestType`` (Create, Update or Delete), with one log line."""
    request_type = event.get("RequestType")
    log.info("event", request_type=request_type, logical_id=event.get("LogicalResourceId"))
    handlers = {"Create": on_create, "Update": on_update, "Delete": on_delete}
    if request_type not in handlers:
        raise ValueError(f"unknown RequestType {request_type!r}")
    return handlers[request_type](event)


def _present(value: Any, name: str, default: Any, allowed: str) -> bool:
    """False when ``value`` is absent and a default applies; raises when it is absent without one."""
    if value is not None and value != "":
        return True
    if default is None:
        raise PropertyError(f"{name} is required: {allowed}")
    return False


def to_bool(value: Any, name: str, *, default: bool | None = None) -> bool:
    """``"true"``/``"false"`` (any case) or a bool; absent or ``""`` gives ``default``."""
    if not _present(value, name, default, "'true' or 'false'"):
        return bool(default)
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text not in {"true", "false"}:
        raise PropertyError(f"{name} must be 'true' or 'false', got {value!r}")
    return text == "true"


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" {minimum}-{maximum}"
    if minimum is not None:
        return f" >= {minimum}"
    return f" <= {maximum}" if maximum is not None else ""


def _number(
    value: Any, name: str, *, kind: str, parse: Callable[[str], float], minimum: Any, maximum: Any, default: Any
) -> Any:
    allowed = f"{kind}{_bounds(minimum, maximum)}"
    if not _present(value, name, default, allowed):
        return default
    try:
        number = parse(str(value))
    except ValueError:
        raise PropertyError(f"{name} must be {allowed}, got {value!r}") from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise PropertyError(f"{name} must be {allowed}, got {number}")
    return number


def to_int(
    value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None, default: int | None = None
) -> int:
    """A whole number (``"5"``) within ``minimum``-``maximum``; absent or ``""`` gives ``default``."""
    return int(_number(value, name, kind="an integer", parse=int, minimum=minimum, maximum=maximum, default=default))


def to_float(
    value: Any,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    default: float | None = None,
) -> float:
    """A number (``"0.5"``, ``"1e-5"``) within ``minimum``-``maximum``; absent or ``""`` gives ``default``."""
    return float(_number(value, name, kind="a number", parse=float, minimum=minimum, maximum=maximum, default=default))


def to_choice(value: Any, name: str, allowed: Collection[str], *, default: str | None = None) -> str:
    """One of ``allowed`` (exact spelling); absent or ``""`` gives ``default``."""
    choices = f"one of {', '.join(allowed)}"
    if not _present(value, name, default, choices):
        return str(default)
    if value not in allowed:
        raise PropertyError(f"{name} must be {choices}, got {value!r}")
    return str(value)


def from_json(value: Any, name: str, *, expect: type = dict) -> Any:
    """The JSON document in the string ``value`` (a property passed as JSON text, so that its booleans and
    numbers survive CloudFormation's stringification), which must be of type ``expect``."""
    kind = expect.__name__
    if not isinstance(value, str):
        raise PropertyError(f"{name} must be a JSON string holding a {kind}, got {type(value).__name__}")
    try:
        document = json.loads(value)
    except ValueError as exc:
        raise PropertyError(f"{name} must be a JSON string holding a {kind}, got {value[:200]!r} ({exc})") from None
    if not isinstance(document, expect):
        raise PropertyError(f"{name} must be a JSON string holding a {kind}, got a {type(document).__name__}")
    return document


def request_token(event: Mapping[str, Any], props: Mapping[str, Any]) -> str:
    """An idempotency token (``clientRequestToken``): the same CloudFormation request with the same properties
    always gives the same token, so a retried delivery never buys or starts anything twice."""
    basis = json.dumps(
        [event.get("StackId"), event.get("LogicalResourceId"), event.get("RequestId"), props], sort_keys=True
    )
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:64]


def replacement_name(name: str, event: Mapping[str, Any], props: Mapping[str, Any]) -> str:
    """The name of a replacement created while the resource it replaces still exists (until CloudFormation's
    cleanup deletes it): ``name`` cut to 56 characters plus ``-`` and 6 characters of the request's token, 63 at
    most (the shortest name limit of the Bedrock resources replaced this way), the same on every retry."""
    return f"{name[:56]}-{request_token(event, props)[:6]}"


def to_tags(value: Any) -> list[dict[str, str]]:
    """CloudFormation's ``[{"Key", "Value"}]`` tags as Bedrock's ``[{"key", "value"}]`` (absent: none)."""
    return [{"key": str(tag["Key"]), "value": str(tag["Value"])} for tag in value or []]


def tag_changes(old: list[dict[str, str]], new: list[dict[str, str]]) -> tuple[list[str], list[dict[str, str]]]:
    """What turns Bedrock tags ``old`` into ``new``: the keys to untag, and the tags to (re)set, both sorted."""
    old_map = {tag["key"]: tag["value"] for tag in old}
    new_map = {tag["key"]: tag["value"] for tag in new}
    removed = sorted(set(old_map) - set(new_map))
    changed = [{"key": k, "value": v} for k, v in sorted(new_map.items()) if old_map.get(k) != v]
    return removed, changed
