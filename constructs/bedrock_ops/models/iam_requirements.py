"""What the Amazon Bedrock user guide requires of the service roles Bedrock assumes (standard library only).

The table ``data/service_role_requirements.json`` names, per kind of role (model customization, distillation
with an inference-profile teacher, automatic, judge and human evaluation, invocation logging to CloudWatch
Logs), the actions and the Service Authorization Reference resource types they must be granted on, with the
documentation page and the date it was read. :func:`load_service_role_requirements` reads it.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "RolePermission",
    "ServiceRoleRequirements",
    "load_service_role_requirements",
]

_STATUSES = ("documented", "facts-sheet", "unconfirmed")


@dataclass(frozen=True)
class RolePermission:
    """Actions a service role needs on resources of one of ``resource_types`` (``service:type`` or ``*``)."""

    actions: tuple[str, ...]
    resource_types: tuple[str, ...]
    status: str
    """``documented`` (read on ``source``), ``facts-sheet`` (the project's summary of it) or ``unconfirmed``."""
    source: str
    note: str = ""
    applies_when: str | None = None
    """Needed only in this case (e.g. ``customer-managed-key``, ``vpc``); None: always."""

    @property
    def required(self) -> bool:
        """Whether every role of the kind must grant it (confirmed and unconditional)."""
        return self.status != "unconfirmed" and self.applies_when is None


@dataclass(frozen=True)
class ServiceRoleRequirements:
    """The requirements of one kind of service role."""

    kind: str
    page: str
    as_of: datetime.date
    trust_service: str
    source_arn_resource: str
    permissions: tuple[RolePermission, ...]
    extends: str | None = None

    def required_permissions(self) -> tuple[RolePermission, ...]:
        """The permissions every role of this kind must grant (see :attr:`RolePermission.required`)."""
        return tuple(p for p in self.permissions if p.required)


def _permission(kind: str, raw: dict[str, Any]) -> RolePermission:
    status = str(raw["status"])
    if status not in _STATUSES:
        raise ValueError(f"{kind}: status must be one of {', '.join(_STATUSES)}, got {status!r}")
    actions = tuple(str(a) for a in raw["actions"])
    types = tuple(str(t) for t in raw["resource_types"])
    if not actions or not types:
        raise ValueError(f"{kind}: a permission needs actions and resource_types")
    for action in actions:
        if action.count(":") != 1:
            raise ValueError(f"{kind}: {action!r} is not a service:Action name")
    return RolePermission(
        actions=actions,
        resource_types=types,
        status=status,
        source=str(raw["source"]),
        note=str(raw.get("note", "")),
        applies_when=raw.get("applies_when"),
    )


def load_service_role_requirements(path: str | Path | None = None) -> dict[str, ServiceRoleRequirements]:
    """The requirements table by kind of role (default: the packaged table)."""
    if path is None:
        text = resources.files("bedrock_ops.models").joinpath("data/service_role_requirements.json").read_text("utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    raw = json.loads(text)
    table: dict[str, ServiceRoleRequirements] = {}
    for kind, entry in raw["roles"].items():
        table[kind] = ServiceRoleRequirements(
            kind=kind,
            page=str(entry["page"]),
            as_of=datetime.date.fromisoformat(str(entry["as_of"])),
            trust_service=str(entry["trust"]["service"]),
            source_arn_resource=str(entry["trust"]["source_arn_resource"]),
            permissions=tuple(_permission(kind, p) for p in entry["permissions"]),
            extends=entry.get("extends"),
        )
    for kind, requirements in table.items():
        if requirements.extends is not None and requirements.extends not in table:
            raise ValueError(f"{kind}: extends unknown kind {requirements.extends!r}")
    return table
