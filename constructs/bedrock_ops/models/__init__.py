"""The one model knowledge base: cited facts about Bedrock models, its loader and id resolution.

``load_models(path=None)`` returns a :class:`ModelKnowledgeBase`; ``resolve`` turns any model id, context
variant, foundation-model ARN or system inference profile into its :class:`ModelEntry`, and ``reference``
parses every identifier kind (also account resources such as custom models and provisioned throughputs).
Standard library only.
"""

from __future__ import annotations

from bedrock_ops.models.evaluation_tasks import EvaluationTaskFacts, EvaluationTasks
from bedrock_ops.models.facts import (
    CustomizationFacts,
    CustomizationType,
    DatasetFormat,
    DatasetLimits,
    ModelEntry,
    Source,
    UnsupportedCustomizationError,
    detect_format,
)
from bedrock_ops.models.hyperparameters import HyperparameterSpec
from bedrock_ops.models.ids import ModelReference, ReferenceKind, is_unresolved_token, parse_model_reference
from bedrock_ops.models.knowledge import ModelKnowledgeBase, ModelsFileError, UnknownModelError, load_models
from bedrock_ops.models.queries import evaluation_tasks, judges, sources_of, teachers_of

__all__ = [
    "CustomizationFacts",
    "CustomizationType",
    "DatasetFormat",
    "DatasetLimits",
    "EvaluationTaskFacts",
    "EvaluationTasks",
    "HyperparameterSpec",
    "ModelEntry",
    "ModelKnowledgeBase",
    "ModelReference",
    "ModelsFileError",
    "ReferenceKind",
    "Source",
    "UnknownModelError",
    "UnsupportedCustomizationError",
    "detect_format",
    "evaluation_tasks",
    "is_unresolved_token",
    "judges",
    "load_models",
    "parse_model_reference",
    "sources_of",
    "teachers_of",
]
