"""Registry of the base models Amazon Bedrock can customize, and the dataset rules of each.

Standard library only: the dataset validator Lambda ships this module and its JSON data in its
asset. The packaged data is ``bedrock_ops/models/data/model_registry.json``; a user file in the same
schema adds models or replaces packaged entries (matched by ``model_id``)::

    registry = ModelRegistry.load("my_models.json")
    spec = registry.resolve("amazon.nova-micro-v1:0:128k")   # plain or context-suffixed id
    spec.hyperparameters["epochCount"].validate(3)           # -> "3"
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

__all__ = [
    "CustomizationType",
    "DatasetFormat",
    "HyperparameterSpec",
    "ModelRegistry",
    "ModelSpec",
    "RegistryFileError",
    "UnknownModelError",
    "UnsupportedCustomizationError",
    "detect_format",
]

_E = TypeVar("_E", "CustomizationType", "DatasetFormat")
_PACKAGED = Path(__file__).resolve().parent / "data" / "model_registry.json"

_LIMIT_KEYS = (
    "min_training_records",
    "max_training_records",
    "max_validation_records",
    "min_total_records",
    "max_total_records",
    "max_training_file_bytes",
    "max_validation_file_bytes",
)


class CustomizationType(StrEnum):
    """Customization types; values are the ``customizationType`` strings of the Bedrock API."""

    FINE_TUNING = "FINE_TUNING"
    CONTINUED_PRE_TRAINING = "CONTINUED_PRE_TRAINING"
    DISTILLATION = "DISTILLATION"

    @classmethod
    def parse(cls, value: str) -> CustomizationType:
        """Accept the API value or the CLI spelling (``fine-tuning``, ``continued-pre-training``...)."""
        key = value.strip().upper().replace("-", "_")
        try:
            return cls(key)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown customization type {value!r}; allowed: {allowed}") from None


class DatasetFormat(StrEnum):
    """JSONL record shapes that Bedrock customization (and model evaluation) accepts."""

    INSTRUCTION = "instruction"
    """``{"prompt": str, "completion": str}``."""
    CLAUDE_CONVERSATION = "claude-conversation"
    """``{"system"?: str, "messages": [{"role", "content": str}]}`` (Claude 3 Haiku)."""
    CONVERSE = "converse"
    """``{"schemaVersion", "system"?: [{"text"}], "messages": [{"role", "content": [blocks]}]}``."""
    CONTINUED_PRE_TRAINING = "continued-pre-training"
    """``{"input": str}``."""
    DISTILLATION_PROMPTS = "distillation-prompts"
    """Converse-schema prompts: a user turn, optionally followed by the desired assistant answer."""
    EVALUATION_PROMPTS = "evaluation-prompts"
    """``{"prompt": str, "referenceResponse"?: str, "category"?: str, "modelResponses"?: [...]}``: the custom
    prompt dataset of a model evaluation job. It trains no model: no registry entry lists it, and it is
    validated without a base model."""


class UnknownModelError(ValueError):
    """A base model id that the registry does not know."""


class UnsupportedCustomizationError(ValueError):
    """The base model does not support the requested customization type."""


class RegistryFileError(ValueError):
    """A registry file that cannot be read or does not follow the schema."""


@dataclass(frozen=True)
class HyperparameterSpec:
    """The allowed range of one hyperparameter for one base model (API name, e.g. ``epochCount``)."""

    name: str
    type: str
    minimum: float
    maximum: float
    default: int | float | None = None
    """The API default: an ``int`` for integer hyperparameters, a ``float`` otherwise (None: none documented)."""
    model_id: str = ""

    def validate(self, value: object) -> str:
        """Return ``value`` in the string form the API expects, or raise ``ValueError``.

        Accepts ints, floats and numeric strings; an ``int`` hyperparameter rejects fractions.
        """
        number = self._to_number(value)
        if not (self.minimum <= number <= self.maximum):
            raise ValueError(
                f"hyperparameter {self.name} for {self.model_id or 'this model'} must be "
                f"{self._fmt(self.minimum)}-{self._fmt(self.maximum)}, got {value!r}"
            )
        return self._fmt(number)

    def _to_number(self, value: object) -> float:
        bad = ValueError(
            f"hyperparameter {self.name} for {self.model_id or 'this model'} must be "
            f"{'an integer' if self.type == 'int' else 'a number'} in "
            f"{self._fmt(self.minimum)}-{self._fmt(self.maximum)}, got {value!r}"
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
        if self.type == "int":
            return str(int(number))
        return repr(float(number))


@dataclass(frozen=True)
class DatasetLimits:
    """Record-count and file-size quotas for one customization type (None: not documented)."""

    min_training_records: int | None = None
    max_training_records: int | None = None
    max_validation_records: int | None = None
    min_total_records: int | None = None
    max_total_records: int | None = None
    max_training_file_bytes: int | None = None
    max_validation_file_bytes: int | None = None


@dataclass(frozen=True)
class ModelSpec:
    """What Bedrock accepts for one customizable base model."""

    model_id: str
    """Canonical plain id, as CreateModelCustomizationJob takes it."""
    display_name: str
    aliases: tuple[str, ...] = ()
    """Context-suffixed ids (``...:0:128k``) that resolve to this entry."""
    customization_types: frozenset[CustomizationType] = frozenset()
    formats: Mapping[CustomizationType, tuple[DatasetFormat, ...]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    """Accepted dataset formats per customization type."""
    hyperparameters: Mapping[str, HyperparameterSpec] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    max_tokens_per_record: int | None = None
    """Input plus output tokens per record (estimated from characters); None: not checked."""
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    chars_per_token: float = 6.0
    min_training_records: int | None = None
    max_training_records: int | None = None
    max_validation_records: int | None = None
    min_total_records: int | None = None
    max_total_records: int | None = None
    max_training_file_bytes: int | None = None
    max_validation_file_bytes: int | None = None
    limits_by_type: Mapping[CustomizationType, DatasetLimits] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    reserved_strings: tuple[str, ...] = ()
    converse_schema_version: str | None = None
    """The exact ``schemaVersion`` a Converse record must carry (None: any string)."""
    multi_turn_distillation: bool = False
    """Whether distillation prompts may hold several user turns (Nova) or one only."""
    notes: str = ""

    def require(self, customization_type: CustomizationType) -> tuple[DatasetFormat, ...]:
        """Return the formats accepted for ``customization_type`` or raise a clear error."""
        if customization_type not in self.customization_types:
            allowed = ", ".join(sorted(t.value for t in self.customization_types))
            raise UnsupportedCustomizationError(
                f"{self.model_id} does not support {customization_type.value}; it supports: {allowed}"
            )
        return self.formats[customization_type]

    def accepts(self, customization_type: CustomizationType, dataset_format: DatasetFormat) -> bool:
        """Whether a dataset of ``dataset_format`` can train this model with ``customization_type``.

        Converse records ending with an assistant turn are labelled distillation prompts, so
        ``CONVERSE`` is accepted wherever ``DISTILLATION_PROMPTS`` is.
        """
        formats = self.formats.get(customization_type, ())
        if dataset_format in formats:
            return True
        return dataset_format is DatasetFormat.CONVERSE and DatasetFormat.DISTILLATION_PROMPTS in formats

    def limits(self, customization_type: CustomizationType) -> DatasetLimits:
        """The quotas that apply to ``customization_type`` (type-specific ones override)."""
        values = {key: getattr(self, key) for key in _LIMIT_KEYS}
        override = self.limits_by_type.get(customization_type)
        if override is not None:
            for key in _LIMIT_KEYS:
                if getattr(override, key) is not None:
                    values[key] = getattr(override, key)
        return DatasetLimits(**values)


class ModelRegistry:
    """Base model id -> :class:`ModelSpec`, from the packaged JSON plus an optional user file."""

    def __init__(self, specs: Mapping[str, ModelSpec]) -> None:
        self._specs = dict(specs)
        self._index: dict[str, str] = {}
        for spec in self._specs.values():
            self._index[spec.model_id.lower()] = spec.model_id
            for alias in spec.aliases:
                self._index[alias.lower()] = spec.model_id

    @classmethod
    def load(cls, extra: str | Path | None = None) -> ModelRegistry:
        """Load the packaged registry; entries of ``extra`` (same schema) add or replace models."""
        sets: dict[str, Any] = {}
        specs = _read_registry_file(_PACKAGED, sets)
        if extra is not None:
            specs.update(_read_registry_file(Path(extra), sets))
        return cls(specs)

    @property
    def model_ids(self) -> tuple[str, ...]:
        """Canonical ids of every known model, sorted."""
        return tuple(sorted(self._specs))

    def __contains__(self, model_id: object) -> bool:
        return isinstance(model_id, str) and model_id.strip().lower() in self._index

    def resolve(self, model_id: str) -> ModelSpec:
        """Return the spec for a plain or context-suffixed id (case-insensitive)."""
        key = model_id.strip().lower()
        canonical = self._index.get(key)
        if canonical is not None:
            return self._specs[canonical]
        if key.startswith("arn:"):  # foundation-model ARN: the id follows "foundation-model/"
            tail = key.rsplit("/", 1)[-1]
            if tail in self._index:
                return self._specs[self._index[tail]]
        close = difflib.get_close_matches(key, list(self._index), n=1, cutoff=0.6)
        hint = f"did you mean {self._index[close[0]]!r}? " if close else ""
        raise UnknownModelError(
            f"unknown base model {model_id!r}; {hint}known models: {', '.join(self.model_ids)}. "
            "Add a model with a registry file in the packaged schema (config key `model_registry_file`, "
            "CLI option --registry)."
        )


def detect_format(record: Mapping[str, Any]) -> DatasetFormat | None:
    """Guess the dataset format of one parsed JSONL record (None when it matches none).

    Converse records that end with a user turn are :attr:`DatasetFormat.DISTILLATION_PROMPTS`;
    with a final assistant turn they are :attr:`DatasetFormat.CONVERSE` (also valid, labelled,
    distillation prompts: see :meth:`ModelSpec.accepts`).
    """
    messages = record.get("messages")
    if isinstance(messages, list):
        first = messages[0] if messages else None
        is_converse = "schemaVersion" in record or (
            isinstance(first, Mapping) and isinstance(first.get("content"), list)
        )
        if not is_converse:
            return DatasetFormat.CLAUDE_CONVERSATION
        last = messages[-1] if messages else None
        if isinstance(last, Mapping) and last.get("role") == "user":
            return DatasetFormat.DISTILLATION_PROMPTS
        return DatasetFormat.CONVERSE
    if "prompt" in record and "completion" in record:
        return DatasetFormat.INSTRUCTION
    if "input" in record:
        return DatasetFormat.CONTINUED_PRE_TRAINING
    return None


def _read_registry_file(path: Path, sets: dict[str, Any] | None = None) -> dict[str, ModelSpec]:
    """Parse one registry file; ``sets`` are hyperparameter sets known from earlier files (updated)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryFileError(f"{path}: cannot read model registry: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RegistryFileError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        raise RegistryFileError(f"{path}: expected an object with a 'models' list")
    known_sets = sets if sets is not None else {}
    own_sets = document.get("hyperparameter_sets", {})
    if not isinstance(own_sets, dict):
        raise RegistryFileError(f"{path}: 'hyperparameter_sets' must be an object of named sets")
    known_sets.update(own_sets)
    specs: dict[str, ModelSpec] = {}
    for position, entry in enumerate(document["models"]):
        where = f"{path}: models[{position}]"
        try:
            spec = _parse_entry(entry, known_sets)
        except (KeyError, TypeError, ValueError) as exc:
            detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            raise RegistryFileError(f"{where}: {detail}") from None
        specs[spec.model_id] = spec
    return specs


def _enum(kind: type[_E], value: Any, where: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ValueError(f"{where}: unknown value {value!r}; allowed: {allowed}") from None


def _default(hp: Mapping[str, Any]) -> int | float | None:
    value = hp.get("default")
    if value is None:
        return None
    return int(value) if hp["type"] == "int" else float(value)


def _opt_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer or null, got {value!r}")
    return value


def _parse_entry(entry: Any, sets: Mapping[str, Any]) -> ModelSpec:
    if not isinstance(entry, dict):
        raise TypeError(f"a model entry must be an object, got {type(entry).__name__}")
    model_id = entry["model_id"]
    if not isinstance(model_id, str) or not model_id:
        raise ValueError(f"model_id must be a non-empty string, got {model_id!r}")
    formats: dict[CustomizationType, tuple[DatasetFormat, ...]] = {}
    for ctype, names in dict(entry["customization"]).items():
        accepted = tuple(_enum(DatasetFormat, n, f"customization.{ctype}") for n in names)
        if DatasetFormat.EVALUATION_PROMPTS in accepted:
            raise ValueError(f"customization.{ctype}: evaluation-prompts datasets train no model")
        formats[_enum(CustomizationType, ctype, "customization")] = accepted
    hyperparameters: dict[str, HyperparameterSpec] = {}
    raw_hyperparameters = entry.get("hyperparameters", {})
    if isinstance(raw_hyperparameters, str):  # the name of a shared set
        if raw_hyperparameters not in sets:
            raise ValueError(
                f"hyperparameters: unknown set {raw_hyperparameters!r}; known sets: {', '.join(sorted(sets))}"
            )
        raw_hyperparameters = sets[raw_hyperparameters]
    for name, hp in dict(raw_hyperparameters).items():
        if hp["type"] not in ("int", "float"):
            raise ValueError(f"hyperparameters.{name}.type must be 'int' or 'float', got {hp['type']!r}")
        hyperparameters[name] = HyperparameterSpec(
            name=name,
            type=hp["type"],
            minimum=float(hp["minimum"]),
            maximum=float(hp["maximum"]),
            default=_default(hp),
            model_id=model_id,
        )
    limits = dict(entry.get("limits", {}))
    unknown = set(limits) - set(_LIMIT_KEYS)
    if unknown:
        raise ValueError(f"unknown limits {sorted(unknown)}; allowed: {', '.join(_LIMIT_KEYS)}")
    by_type: dict[CustomizationType, DatasetLimits] = {}
    for ctype, override in dict(entry.get("limits_by_type", {})).items():
        by_type[_enum(CustomizationType, ctype, "limits_by_type")] = DatasetLimits(
            **{k: _opt_int(v, f"limits_by_type.{ctype}.{k}") for k, v in dict(override).items()}
        )
    chars_per_token = float(entry.get("chars_per_token", 6))
    if chars_per_token <= 0:
        raise ValueError(f"chars_per_token must be > 0, got {chars_per_token}")
    return ModelSpec(
        model_id=model_id,
        display_name=str(entry.get("display_name", model_id)),
        aliases=tuple(str(a) for a in entry.get("aliases", ())),
        customization_types=frozenset(formats),
        formats=MappingProxyType(formats),
        hyperparameters=MappingProxyType(hyperparameters),
        max_tokens_per_record=_opt_int(entry.get("max_tokens_per_record"), "max_tokens_per_record"),
        max_input_tokens=_opt_int(entry.get("max_input_tokens"), "max_input_tokens"),
        max_output_tokens=_opt_int(entry.get("max_output_tokens"), "max_output_tokens"),
        chars_per_token=chars_per_token,
        limits_by_type=MappingProxyType(by_type),
        reserved_strings=tuple(str(s) for s in entry.get("reserved_strings", ())),
        converse_schema_version=entry.get("converse_schema_version"),
        multi_turn_distillation=bool(entry.get("multi_turn_distillation", False)),
        notes=str(entry.get("notes", "")),
        **{k: _opt_int(limits.get(k), f"limits.{k}") for k in _LIMIT_KEYS},
    )
