"""The one model knowledge base: load it, resolve any model identifier to its entry.

Standard library only (the dataset validator Lambda stages this module). The packaged data is
``bedrock_ops/models/data/models.json``; a models file of the same schema is merged over it entry by
entry and field by field (``load_models(path)``, config key ``models_file``, CLI ``--models-file``,
construct prop ``models_file=``)::

    models = load_models()
    entry = models.resolve("us.amazon.nova-micro-v1:0")      # plain, variant, ARN or system profile
    entry.hyperparameters(CustomizationType.FINE_TUNING)["epochCount"].validate(3)   # -> "3"
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from bedrock_ops.models.facts import (
    LIMIT_KEYS,
    CustomizationFacts,
    CustomizationType,
    DatasetFormat,
    DatasetLimits,
    ModelEntry,
)

if TYPE_CHECKING:
    from bedrock_ops.models.hyperparameters import HyperparameterSpec
    from bedrock_ops.models.ids import ModelReference

__all__ = ["ModelKnowledgeBase", "ModelsFileError", "UnknownModelError", "load_models"]

PACKAGED = Path(__file__).resolve().parent / "data" / "models.json"
FACT_GROUPS = (
    "regions",
    "invocation",
    "access",
    "provisioned_throughput",
    "custom_model_deployment",
    "model_copy",
    "evaluation",
    "dataset",
)
"""The fact groups of a model entry besides ``customization`` (each names its ``source``)."""
_DATASET_RULES: dict[str, Any] = dict.fromkeys(
    (
        "max_tokens_per_record",
        "max_input_tokens",
        "max_output_tokens",
        "converse_schema_version",
        "max_videos_per_record",
    )
)
_DATASET_RULES |= dict.fromkeys(
    ("multi_turn_distillation", "reserved_in_prompts_only", "single_modality", "media_in_dataset_bucket"),
    False,
)
"""Dataset rules read as they are written (JSON null/int/str/bool), with their defaults."""
_HINT = "add it with a models file (config key models_file, CLI option --models-file, construct prop models_file=)"


class UnknownModelError(ValueError):
    """A model id the knowledge base does not know (the message suggests the closest known ids)."""


class ModelsFileError(ValueError):
    """A models file that cannot be read or does not follow the schema."""


class ModelKnowledgeBase:
    """Model id (plain, context variant, ARN, inference profile) -> :class:`ModelEntry`."""

    def __init__(
        self,
        entries: Mapping[str, ModelEntry],
        *,
        geographies: tuple[str, ...] = (),
        document: Mapping[str, Any] | None = None,
    ) -> None:
        self._entries = dict(entries)
        self.document: Mapping[str, Any] = document or {}
        """The merged JSON document the entries were built from (its ``sources`` table, raw groups)."""
        self.geographies = geographies
        """The system inference profile prefixes (``us``, ``eu``, ...)."""
        self._index: dict[str, ModelEntry] = {}
        for entry in self._entries.values():
            for known in entry.ids:
                self._index[known.lower()] = entry

    @classmethod
    def load(cls, path: str | Path | None = None) -> ModelKnowledgeBase:
        """The same as :func:`load_models`."""
        return load_models(path)

    @property
    def model_ids(self) -> tuple[str, ...]:
        """The plain id of every model, sorted."""
        return tuple(sorted(self._entries))

    def reference(self, text: str, *, is_token: Callable[[str], bool] | None = None) -> ModelReference:
        """Parse ``text`` (see :func:`bedrock_ops.models.ids.parse_model_reference`)."""
        # Imported on first use, like the other modules only the constructs need: the dataset validator
        # Lambda looks up the plain ids its rules hold (the exact-id path of get), and its asset has no room.
        from bedrock_ops.models.ids import parse_model_reference

        return parse_model_reference(text, geographies=self.geographies, is_token=is_token)

    def get(self, model_id: str) -> ModelEntry | None:
        """The entry a model id, context variant, foundation-model ARN or system profile names, else None."""
        exact = self._index.get(model_id.strip().lower())
        if exact is not None:
            return exact
        try:
            reference = self.reference(model_id)
        except ValueError:
            return None
        if reference.model_id is None:
            return None
        return self._index.get(reference.model_id.lower())

    def resolve(self, model_id: str, *, prop: str = "model") -> ModelEntry:
        """The entry for ``model_id``; raises ``UnknownModelError`` naming ``prop``, with suggestions.

        Account resources (custom model, deployment, provisioned throughput, imported model,
        application profile ARNs) and tokens have no entry: use :meth:`reference` for those.
        """
        entry = self.get(model_id)
        if entry is not None:
            return entry
        try:
            reference = self.reference(model_id)
        except ValueError as exc:
            raise UnknownModelError(f"{prop}: {exc}") from None
        if reference.model_id is None:
            raise UnknownModelError(
                f"{prop} {model_id!r} is a {reference.kind.value}, not a foundation model the knowledge base describes"
            )
        query = reference.model_id.lower()
        # Ids the text begins (a model id without its version) first, then the closest spellings.
        close = [known for known in sorted(self._index) if known.startswith(query)]
        close += difflib.get_close_matches(query, list(self._index), n=3, cutoff=0.6)
        names = list(dict.fromkeys(self._index[c].model_id for c in close))[:3]
        hint = f"; did you mean {' or '.join(repr(n) for n in names)}?" if names else ""
        raise UnknownModelError(
            f"{prop} {model_id!r} is not a known Bedrock foundation model{hint} "
            f"Known models: {', '.join(self.model_ids)}; {_HINT}"
        )


def load_models(path: str | Path | None = None) -> ModelKnowledgeBase:
    """The packaged knowledge base, with the models file at ``path`` (same schema) merged over it.

    Raises ``ModelsFileError`` naming the file, the key and the bad value.
    """
    if path is None:
        return _packaged()
    # Imported here: the dataset validator Lambda asset (which never passes a path) does not stage it.
    from bedrock_ops.models._files import merged_document

    return build(merged_document(Path(path)))


@lru_cache(maxsize=1)
def _packaged() -> ModelKnowledgeBase:
    return build(json.loads(PACKAGED.read_text(encoding="utf-8")))


def build(document: Mapping[str, Any]) -> ModelKnowledgeBase:
    """Build the knowledge base from a (merged, schema-checked) document."""
    sets = document.get("hyperparameter_sets", {})
    sources = document.get("sources", {})
    models = document.get("models", {})
    entries = {model_id: _entry(model_id, raw, sets, sources, models) for model_id, raw in models.items()}
    geographies = tuple(document.get("inference_profiles", {}).get("geographies", ()))
    return ModelKnowledgeBase(entries, geographies=geographies, document=document)


def _tuple(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def _hyperparameters(
    model_id: str, raw: Any, sets: Mapping[str, Any], sources: Mapping[str, Any]
) -> dict[str, HyperparameterSpec]:
    if not raw:  # none in the dataset validator asset's data, which does not stage the module
        return {}
    from bedrock_ops.models.hyperparameters import build_hyperparameters

    return build_hyperparameters(model_id, raw, sets, sources)


def _entry(
    model_id: str,
    raw: Mapping[str, Any],
    sets: Mapping[str, Any],
    sources: Mapping[str, Any],
    models: Mapping[str, Any],
) -> ModelEntry:
    group: dict[str, Mapping[str, Any]] = {name: raw.get(name) or {} for name in FACT_GROUPS}
    customization: dict[CustomizationType, CustomizationFacts] = {}
    types = raw.get("customization") or {}
    if isinstance(types, str):  # as for dataset rules
        types = models[types]["customization"]
    for ctype, facts in types.items():
        kind = CustomizationType(ctype)
        quotas = facts.get("quotas") or {}
        customization[kind] = CustomizationFacts(
            formats=tuple(DatasetFormat(f) for f in facts.get("formats", ())),
            limits=DatasetLimits(**{k: quotas.get(k) for k in LIMIT_KEYS}),
            hyperparameters=MappingProxyType(_hyperparameters(model_id, facts.get("hyperparameters"), sets, sources)),
            base_model_id=facts.get("base_model_id"),
            regions=_tuple(facts.get("regions")),
            teachers=tuple(facts.get("teachers") or ()),
        )
    dataset = group["dataset"]
    if isinstance(dataset, str):  # the validator asset's compact data names a model with the same rules
        dataset = models[dataset]["dataset"]
    features = _features(raw) if any(raw.get(name) for name in FACT_GROUPS if name != "dataset") else {}
    return ModelEntry(
        model_id=model_id,
        provider=raw.get("provider", ""),
        name=raw.get("name", model_id),
        variants=tuple(raw.get("variants", ())),
        customization=MappingProxyType(customization),
        chars_per_token=float(dataset.get("chars_per_token", 6)),
        reserved_strings=tuple(dataset.get("reserved_strings", ())),
        **{key: dataset.get(key, default) for key, default in _DATASET_RULES.items()},
        **features,
    )


def _features(raw: Mapping[str, Any]) -> dict[str, Any]:
    # The facts the constructs read (not the dataset validator: its asset does not stage the module).
    from bedrock_ops.models._features import feature_facts

    return feature_facts(raw)
