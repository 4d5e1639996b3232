"""Questions to the model knowledge base that the constructs ask (not staged into the Lambda asset).

models = load_models()
sources_of(models, "amazon.nova-micro-v1:0")["customization.FINE_TUNING"]   # the cited pages
teachers_of(models, "amazon.nova-micro-v1:0")                               # distillation teachers
judges(models)                                                              # evaluator models
batch_limits(models, "amazon.nova-micro-v1:0").max_file_records             # batch inference quotas
evaluation_tasks(models).task_types["Classification"].metric_names          # what a task type offers
evaluation_results(models).direction("Builtin.Toxicity")                     # "lower": which scores are better
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from bedrock_ops.models.evaluation_tasks import (
    EvaluationResults,
    EvaluationTasks,
    build_evaluation_results,
    build_evaluation_tasks,
)
from bedrock_ops.models.facts import BatchLimits, CustomizationType, Source
from bedrock_ops.models.knowledge import FACT_GROUPS, ModelKnowledgeBase

__all__ = ["batch_limits", "evaluation_results", "evaluation_tasks", "judges", "sources_of", "teachers_of"]


def batch_limits(models: ModelKnowledgeBase, model_id: str) -> BatchLimits:
    """The batch inference quotas of ``model_id`` (resolved like ``resolve``): the document's ``batch_inference``
    table with the model's own ``batch_inference`` group over it. None: unconfirmed, not checked; the values are
    per-account service quotas, set yours in a models file."""
    entry = models.resolve(model_id, prop="model")
    keys = [f.name for f in dataclasses.fields(BatchLimits)]
    defaults = (models.document.get("batch_inference") or {}).get("quotas") or {}
    own = (models.document.get("models", {}).get(entry.model_id) or {}).get("batch_inference") or {}
    merged = {**defaults, **{k: v for k, v in own.items() if k in keys}}
    return BatchLimits(**{k: merged.get(k) for k in keys})


def sources_of(models: ModelKnowledgeBase, model_id: str) -> dict[str, tuple[Source, ...]]:
    """Fact group of ``model_id`` (``model``, ``invocation``, ``dataset``, ``customization.FINE_TUNING``, ...
    and ``hyperparameters.<set>``) -> the documentation pages it cites (a group without its own ``source``
    cites the entry's)."""
    entry = models.resolve(model_id)
    table = models.document.get("sources", {})
    raw = models.document.get("models", {}).get(entry.model_id, {})

    def cited(group: Mapping[str, Any], default: Any = ()) -> tuple[Source, ...]:
        keys = group.get("source", default) or ()
        return tuple(Source(k, **table[k]) for k in ([keys] if isinstance(keys, str) else keys) if k in table)

    top = raw.get("source")
    result = {"model": cited(raw)}
    result |= {name: cited(raw[name], top) for name in FACT_GROUPS if name in raw}
    for ctype, facts in raw.get("customization", {}).items():
        result[f"customization.{ctype}"] = cited(facts, top)
        if isinstance(facts.get("hyperparameters"), str):
            name = facts["hyperparameters"]
            result[f"hyperparameters.{name}"] = cited(models.document["hyperparameter_sets"][name])
    return result


def teachers_of(models: ModelKnowledgeBase, student: str) -> tuple[str, ...]:
    """The documented distillation teachers of ``student`` (none when it cannot be distilled into)."""
    facts = models.resolve(student, prop="student").customization.get(CustomizationType.DISTILLATION)
    return facts.teachers if facts else ()


def judges(models: ModelKnowledgeBase) -> tuple[str, ...]:
    """The models model evaluation accepts as evaluator (LLM-as-a-judge), sorted."""
    return tuple(model_id for model_id in models.model_ids if models.resolve(model_id).judge)


def evaluation_tasks(models: ModelKnowledgeBase) -> EvaluationTasks:
    """Task types, their metrics and built-in datasets, and the judge metrics of model evaluation jobs."""
    return build_evaluation_tasks(models.document.get("evaluation_tasks") or {})


def evaluation_results(models: ModelKnowledgeBase) -> EvaluationResults:
    """Which scores of each metric are better, and the output format of evaluation jobs."""
    return build_evaluation_results(models.document.get("evaluation_results") or {})
