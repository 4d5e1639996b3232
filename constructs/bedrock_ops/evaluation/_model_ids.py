"""What a model identifier a user typed points at (a seam over the model knowledge base).

``compare`` and batch inference accept everything Converse and ``CreateModelInvocationJob`` accept:
a base model id (``amazon.nova-micro-v1:0``), a foundation-model ARN, a system inference profile id
(``us.anthropic.claude-3-haiku-20240307-v1:0``) or ARN, an application inference profile ARN, a custom
model deployment ARN or a provisioned throughput ARN (Converse ``modelId``, botocore bedrock-runtime
service model). Base model ids (also behind a system profile) are checked against the model catalog
(:mod:`bedrock_ops.models.catalog`); an unknown one raises ``UnknownModelIdentifier`` with a "did you
mean". ARNs of resources in an account are not checked here (the service answers for them).

This module is the one place the comparison asks "is this a known model?"; when the model knowledge
base grows a resolver for profiles and ARNs, point ``_catalog_lookup`` (and ``parse_model_identifier``)
at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bedrock_ops.models.catalog import ModelCatalog, UnknownModelError, load_model_catalog

__all__ = ["ModelTarget", "TargetKind", "UnknownModelIdentifier", "parse_model_identifier"]

# Geography prefixes of system inference profiles (UG inference-profiles-support, as of 2026-11).
PROFILE_PREFIXES: tuple[str, ...] = ("us.", "eu.", "apac.", "global.", "us-gov.", "ca.", "jp.", "au.")

_ARN = re.compile(
    r"^arn:aws(?:-[a-z-]+)?:bedrock:(?P<region>[a-z0-9-]*):(?P<account>\d{12})?:(?P<type>[a-z-]+)/(?P<rest>.+)$"
)


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


_catalog_cache: dict[str, ModelCatalog] = {}


def _catalog_lookup(model_id: str, catalog: ModelCatalog | None, option: str) -> str:
    """The catalog's plain id for ``model_id``; raises UnknownModelIdentifier with suggestions."""
    if catalog is None:
        catalog = _catalog_cache.get("default") or _catalog_cache.setdefault("default", load_model_catalog())
    try:
        entry = catalog.resolve(model_id, prop=option)
    except UnknownModelError as exc:
        raise UnknownModelIdentifier(str(exc)) from None
    return model_id if model_id in entry.ids else entry.model_id


def parse_model_identifier(
    identifier: str, *, catalog: ModelCatalog | None = None, option: str = "--models"
) -> ModelTarget:
    """Classify ``identifier``; base model ids are checked against ``catalog`` (default: the packaged one)."""
    value = identifier.strip()
    if not value:
        raise UnknownModelIdentifier(f"{option}: an empty model identifier")
    match = _ARN.match(value)
    if match:
        kind_name, rest, region = match["type"], match["rest"], match["region"] or None
        try:
            kind = TargetKind(kind_name)
        except ValueError:
            allowed = ", ".join(k.value for k in TargetKind)
            raise UnknownModelIdentifier(
                f"{option} {identifier!r}: a Bedrock ARN of resource type {kind_name!r}; models are one of {allowed}"
            ) from None
        if kind is TargetKind.FOUNDATION_MODEL:
            return ModelTarget(value, kind, _catalog_lookup(rest, catalog, option), region)
        if kind is TargetKind.INFERENCE_PROFILE:
            return ModelTarget(value, kind, _profile_base(rest, catalog, option, identifier), region)
        return ModelTarget(value, kind, None, region)
    if value.startswith("arn:"):
        raise UnknownModelIdentifier(
            f"{option} {identifier!r} is not a Bedrock ARN (expected arn:aws:bedrock:<region>:<account>:<type>/<id>)"
        )
    if value.startswith(PROFILE_PREFIXES):
        return ModelTarget(value, TargetKind.INFERENCE_PROFILE, _profile_base(value, catalog, option, identifier))
    return ModelTarget(value, TargetKind.FOUNDATION_MODEL, _catalog_lookup(value, catalog, option))


def _profile_base(profile_id: str, catalog: ModelCatalog | None, option: str, identifier: str) -> str:
    for prefix in PROFILE_PREFIXES:
        if profile_id.startswith(prefix):
            return _catalog_lookup(profile_id[len(prefix) :], catalog, option)
    raise UnknownModelIdentifier(
        f"{option} {identifier!r}: a system inference profile id starts with one of {', '.join(PROFILE_PREFIXES)}"
    )
