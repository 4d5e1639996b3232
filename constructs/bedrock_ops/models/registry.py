"""Compatibility names for ``lambda/dataset_validator/index.py``, which imports them from here.

The model registry is now the one knowledge base (:mod:`bedrock_ops.models`): ``ModelRegistry`` is
:class:`~bedrock_ops.models.knowledge.ModelKnowledgeBase` (``ModelRegistry.load(path)`` loads it).
Delete this module once the handler imports ``bedrock_ops.models.knowledge`` and
``bedrock_ops.models.facts`` directly.
"""

from __future__ import annotations

from bedrock_ops.models.facts import CustomizationType
from bedrock_ops.models.knowledge import ModelKnowledgeBase as ModelRegistry

__all__ = ["CustomizationType", "ModelRegistry"]
