"""The Lambda handler of the plain benchmark app: its code is never run, only staged as an asset."""

from typing import Any


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Echo the event."""
    return event
