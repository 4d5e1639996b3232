"""Helpers to read synthesized templates in tests."""

from __future__ import annotations

import json
from typing import Any


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource for every resource of ``resource_type``."""
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def flatten(value: Any) -> str:
    """A string property that may be an ``Fn::Join`` of strings and tokens; tokens become ``TOKEN``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(flatten(p) for p in parts)
    return "TOKEN"


def dashboard_bodies(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Dashboard name -> parsed dashboard body."""
    bodies = {}
    for resource in resources_of_type(template, "AWS::CloudWatch::Dashboard").values():
        props = resource["Properties"]
        bodies[props["DashboardName"]] = json.loads(flatten(props["DashboardBody"]))
    return bodies


def alarms_by_name(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Alarm name -> alarm properties."""
    return {
        r["Properties"]["AlarmName"]: r["Properties"]
        for r in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    }
