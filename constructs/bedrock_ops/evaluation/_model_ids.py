"""What a model identifier a user typed points at: a seam over the model knowledge base.

``compare`` and batch inference accept everything Converse and ``CreateModelInvocationJob`` accept:
a base model id (``amazon.nova-micro-v1:0``), a foundation-model ARN, a system inference profile id
(``us.anthropic.claude-3-haiku-20240307-v1:0``) or ARN, an application inference profile ARN, a custom
model deployment ARN or a provisioned throughput ARN (Converse ``modelId``, botocore bedrock-runtime
service model). The knowledge base (:mod:`bedrock_ops.models`) parses the identifier; base model ids (also
behind a system profile) must be models it knows, else ``UnknownModelIdentifier`` with a "did you mean".
ARNs of resources in an account are not checked here (the service answers for them).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bedrock_ops.models.knowledge import ModelKnowledgeBase, UnknownModelError, load_models

__all__ = ["ModelTarget", "TargetKind", "UnknownModelIdentifier", "parse_model_identifier"]


class UnknownModelIdentifier(ValueError):
    """A model identifier that is malformed or names a base model the catalog does not know."""


class TargetKind(StrEnum):
    """What the identifier names."""

    FOUNDATION_MODEL = "foundation-model"
    INFERENCE_PROFILE = "inference-profile"
    APPLICATION_INFERENCE_PROFILE = "application-inference-profile"
    CUSTOM_MODEL_DEPLOYMENT = "custom-model-deployment"
    PROVISIONED_MODEL = "provisioned-model"
    CUSTOM_MODEL = "custom-model"
    IMPORTED_MODEL = "imported-model"


@dataclass(frozen=True)
class ModelTarget:
    """A parsed model identifier.

    ``base_model_id`` is the foundation model behind it when the identifier says so (a base id, a
    foundation-model ARN, a system profile), else None (deployments, provisioned throughputs,
    application profiles: the account knows, the identifier does not).
    """

    identifier: str
    kind: TargetKind
    base_model_id: str | None
    region: str | None = None

    @property
    def provider(self) -> str | None:
        """The provider prefix of the base model (``anthropic``, ``amazon``, ``meta``, ...), or None."""
        return self.base_model_id.split(".", 1)[0] if self.base_model_id else None

    @property
    def batch_supported(self) -> bool:
        """False for provisioned throughputs and custom model deployments: the batch inference user guide
        (UG batch-inference, as of 2026-11) says batch inference isn't supported for provisioned models;
        ``CreateModelInvocationJob``'s ``modelId`` pattern (botocore 1.44) has no provisioned-model or
        deployment ARN."""
        return self.kind not in (TargetKind.PROVISIONED_MODEL, TargetKind.CUSTOM_MODEL_DEPLOYMENT)


def parse_model_identifier(
    identifier: str, *, models: ModelKnowledgeBase | None = None, option: str = "--models"
) -> ModelTarget:
    """Classify ``identifier``; base model ids are checked against ``models`` (default: the packaged knowledge
    base)."""
    knowledge = models or load_models()
    try:
        reference = knowledge.reference(identifier, is_token=lambda _value: False)
    except ValueError as exc:
        raise UnknownModelIdentifier(f"{option}: {exc}") from None
    kind = TargetKind(reference.kind.value)
    base: str | None = None
    if reference.model_id is not None:
        try:
            entry = knowledge.resolve(reference.model_id, prop=option)
        except UnknownModelError as exc:
            raise UnknownModelIdentifier(str(exc)) from None
        base = reference.model_id if reference.model_id in entry.ids else entry.model_id
    return ModelTarget(identifier.strip(), kind, base, reference.region)
