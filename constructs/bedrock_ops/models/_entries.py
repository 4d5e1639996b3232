"""Model entries from the knowledge base's JSON document: the part of the loader the dataset validator Lambda
stages (with the compact data of ``bedrock_ops.data._validator_asset``), standard library only.

``bedrock_ops.models.knowledge`` builds its :class:`~bedrock_ops.models.knowledge.ModelKnowledgeBase` from these
entries; the Lambda looks up the plain ids its rules hold in them directly.
"""

from __future__ import annotations

from collections.abc import Mapping
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

__all__ = ["FACT_GROUPS", "build_entries"]

FACT_GROUPS = (
    "regions",
    "invocation",
    "access",
    "provisioned_throughput",
    "custom_model_deployment",
    "model_copy",
    "evaluation",
    "dataset",
    "batch_inference",
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


def build_entries(document: Mapping[str, Any]) -> dict[str, ModelEntry]:
    """Plain model id -> :class:`ModelEntry` of every model of a (merged, schema-checked) document."""
    sets = document.get("hyperparameter_sets", {})
    sources = document.get("sources", {})
    models = document.get("models", {})
    return {model_id: _entry(model_id, raw, sets, sources, models) for model_id, raw in models.items()}


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
            regions=None if facts.get("regions") is None else tuple(facts["regions"]),
            teachers=tuple(facts.get("teachers") or ()),
        )
    dataset = raw.get("dataset") or {}
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
