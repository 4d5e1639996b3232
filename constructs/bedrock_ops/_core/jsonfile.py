"""Read the library's JSON data files (pricing tables, model catalogs) with errors that name the file."""

from __future__ import annotations

import json
from typing import Any


def parse_json_object(text: str, name: str, what: str = "the file") -> dict[str, Any]:
    """Parse ``text`` (from the file ``name``) as one JSON object.

    Raises ``ValueError`` naming the file and the line of a syntax error, or what was found instead of an object.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{name}: {what} must be a JSON object, got {type(data).__name__}")
    return data
