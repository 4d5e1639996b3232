"""The one check of list-typed props: a string where a list is expected would be iterated character by character."""

from __future__ import annotations

from collections.abc import Sequence


def require_list(value: object, *, param: str, of: str = "strings") -> None:
    """Raise ``ValueError`` when ``value`` is a string (naming the list to write instead) or no sequence at all."""
    if isinstance(value, str | bytes):
        raise ValueError(f"{param} must be a list of {of}, got the string {value!r}; write {param}=[{value!r}]")
    if not isinstance(value, Sequence):
        raise ValueError(f"{param} must be a list of {of}, got {type(value).__name__} {value!r}")
