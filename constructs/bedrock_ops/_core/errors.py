"""The error of a prop of the wrong type."""

from __future__ import annotations


class PropTypeError(TypeError, ValueError):
    """A prop of the wrong type; the message names the prop, the value and what is allowed.

    Both a ``TypeError`` (what Python raises for a wrong type) and a ``ValueError`` (what configuration loaders,
    e.g. pydantic validators, turn into a readable error for the file and key path).
    """
