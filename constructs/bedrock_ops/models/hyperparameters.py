"""The documented range of one customization hyperparameter, and its check (standard library only)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["HyperparameterSpec", "build_hyperparameters"]


@dataclass(frozen=True)
class HyperparameterSpec:
    """The allowed range of one hyperparameter for one base model (API name, e.g. ``epochCount``).

    ``type`` is ``int``, ``float`` or ``enum`` (one of ``values``, e.g. RFT's ``reasoningEffort``); an
    undocumented bound is ``-inf`` / ``inf`` (not checked).
    """

    name: str
    type: str
    minimum: float
    maximum: float
    default: int | float | str | None = None
    """The API default: an ``int`` for integer hyperparameters, a ``float`` otherwise (None: none documented)."""
    model_id: str = ""
    values: tuple[str, ...] = ()
    """``enum`` hyperparameters: the allowed strings."""
    conflict: str = ""
    """Where the documentation disagrees on this range: both citations and the winner (added to range errors)."""

    def validate(self, value: object) -> str:
        """Return ``value`` in the string form the API expects, or raise ``ValueError``.

        Accepts ints, floats and numeric strings; an ``int`` hyperparameter rejects fractions; an ``enum`` one
        takes one of ``values``.
        """
        if self.type == "enum":
            if value not in self.values:
                raise ValueError(
                    f"hyperparameter {self.name} for {self.model_id or 'this model'} must be one of "
                    f"{', '.join(self.values)}, got {value!r}"
                )
            return str(value)
        number = self._to_number(value)
        if not (self.minimum <= number <= self.maximum):
            raise ValueError(
                f"hyperparameter {self.name} for {self.model_id or 'this model'} must be {self._range()}, got {value!r}"
                + (f" ({self.conflict})" if self.conflict else "")
            )
        return self._fmt(number)

    def _range(self) -> str:
        if math.isinf(self.minimum) and math.isinf(self.maximum):
            return "any number"
        if math.isinf(self.maximum):
            return f"at least {self._fmt(self.minimum)}"
        if math.isinf(self.minimum):
            return f"at most {self._fmt(self.maximum)}"
        return f"{self._fmt(self.minimum)}-{self._fmt(self.maximum)}"

    def _within(self) -> str:
        bounded = not (math.isinf(self.minimum) and math.isinf(self.maximum))
        return f" in {self._range()}" if bounded else ""

    def _to_number(self, value: object) -> float:
        bad = ValueError(
            f"hyperparameter {self.name} for {self.model_id or 'this model'} must be "
            f"{'an integer' if self.type == 'int' else 'a number'}{self._within()}, got {value!r}"
        )
        if isinstance(value, bool):
            raise bad
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise bad from None
        elif isinstance(value, int | float):
            number = float(value)
        else:
            raise bad
        if not math.isfinite(number) or (self.type == "int" and not number.is_integer()):
            raise bad
        return number

    def _fmt(self, number: float) -> str:
        return str(int(number)) if self.type == "int" else repr(float(number))


def build_hyperparameters(
    model_id: str,
    raw: str | Mapping[str, Any],
    sets: Mapping[str, Any],
    sources: Mapping[str, Any] | None = None,
) -> dict[str, HyperparameterSpec]:
    """The hyperparameters of a customization type: ``raw`` is a set name (``hyperparameter_sets``) or the
    parameters themselves (``{name: {type, minimum, maximum, default}}``). A set's ``conflicts`` on a range are
    cited in the range errors, with the pages of ``sources``."""
    params = sets[raw]["parameters"] if isinstance(raw, str) else raw
    conflicts = sets[raw].get("conflicts", ()) if isinstance(raw, str) else ()
    return {
        name: _spec(
            model_id,
            name,
            hp,
            "; ".join(_cite(c, sources or {}) for c in conflicts if c.get("fact", "").startswith(f"{name}.")),
        )
        for name, hp in params.items()
    }


def _spec(model_id: str, name: str, hp: Mapping[str, Any], conflict: str) -> HyperparameterSpec:
    if hp["type"] == "enum":
        values = tuple(hp["values"])
        return HyperparameterSpec(name, "enum", -math.inf, math.inf, hp.get("default"), model_id, values, conflict)
    low, high, default = hp.get("minimum"), hp.get("maximum"), hp.get("default")
    return HyperparameterSpec(
        name=name,
        type=hp["type"],
        minimum=-math.inf if low is None else float(low),
        maximum=math.inf if high is None else float(high),
        default=None if default is None else (int if hp["type"] == "int" else float)(default),
        model_id=model_id,
        conflict=conflict,
    )


def _cite(conflict: Mapping[str, Any], sources: Mapping[str, Any]) -> str:
    """``the documentation disagrees on the maximum: <winner url> says 100, <other url> says 20; the first wins``."""
    values = conflict.get("values", {})
    winner = conflict.get("winner")
    order = sorted(values, key=lambda key: key != winner)
    said = ", ".join(f"{sources.get(key, {}).get('url', key)} says {values[key]}" for key in order)
    what = str(conflict.get("fact", "")).partition(".")[2]
    return f"the documentation disagrees on the {what}: {said}; the first wins (models.json conflicts: {winner})"
