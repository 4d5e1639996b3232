"""One reading of enum-typed parameters: the enum member, its API value or its member name.

A string is matched against every member's value (the API's spelling, e.g. ``FINE_TUNING``, ``SixMonths``,
``Builtin.BoolQ``) and name (``FINE_TUNING``, ``SIX_MONTHS``, ``BOOLQ``) ignoring case, ``-``, ``_``, ``.``
and spaces, so the config's and CLI's spellings (``fine-tuning``, ``continued-pre-training``) are read too.
Anything else fails with the parameter, the value and the allowed values ("did you mean ...").
"""

from __future__ import annotations

import difflib
import enum
import re
from typing import TypeVar

from bedrock_ops._core.errors import PropTypeError

E = TypeVar("E", bound=enum.Enum)

_IGNORED = re.compile(r"[-_.\s]")


def _fold(text: str) -> str:
    return _IGNORED.sub("", text).casefold()


def allowed_values(enum_type: type[enum.Enum]) -> list[str]:
    """The API values of ``enum_type``'s members, in definition order (aliases once)."""
    return [str(member.value) for member in enum_type]


def parse_enum(enum_type: type[E], value: object, *, param: str) -> E:
    """``value`` as a member of ``enum_type``: the member itself, or a string naming its value or name.

    :raises TypeError: ``value`` is neither a member nor a string.
    :raises ValueError: the string names no member (with "did you mean" and the allowed values).
    """
    if isinstance(value, enum_type):
        return value
    allowed = allowed_values(enum_type)
    if not isinstance(value, str) or isinstance(value, enum.Enum):
        raise PropTypeError(
            f"{param} must be a {enum_type.__name__} or one of the strings {', '.join(allowed)}, "
            f"got {type(value).__name__} {value!r}"
        )
    folded = _fold(value)
    for name, member in enum_type.__members__.items():
        if folded in (_fold(str(member.value)), _fold(name)):
            return member
    spellings = {_fold(name): str(member.value) for name, member in enum_type.__members__.items()}
    spellings.update({_fold(v): v for v in allowed})
    close = difflib.get_close_matches(folded, list(spellings), n=1, cutoff=0.6)
    hint = f" (did you mean {spellings[close[0]]!r}?)" if close else ""
    raise ValueError(
        f"{param}: {value!r} is not a {enum_type.__name__}{hint}; allowed: {', '.join(allowed)} "
        "(the API value or the member name; case, '-' and '_' do not matter)"
    )
