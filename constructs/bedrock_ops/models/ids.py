"""The one parser of the ways a user names a Bedrock model (standard library only, no aws_cdk).

``parse_model_reference`` tells apart plain ids (``amazon.nova-micro-v1:0``), context variants
(``amazon.nova-micro-v1:0:128k``), foundation-model ARNs, system inference profiles (``us.`` + id, or
their ARN), application inference profile ARNs and the ARNs of custom models, custom model
deployments, provisioned throughputs and imported models. The first kinds name a catalog model
(``ModelReference.model_id``); the others are typed references to resources of an account.
Unresolved CDK tokens are recognised (``kind`` TOKEN) so that callers skip their validation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ModelReference", "ReferenceKind", "is_unresolved_token", "parse_model_reference"]

_TOKEN_MARKERS = ("${Token[", "#{Token[")
_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):bedrock:(?P<region>[a-z0-9-]*):(?P<account>\d{12})?:(?P<rest>.+)$")


class ReferenceKind(StrEnum):
    """What a model identifier names."""

    FOUNDATION_MODEL = "foundation-model"
    """A plain id, a context variant or a foundation-model ARN."""
    INFERENCE_PROFILE = "inference-profile"
    """A system (cross-Region) inference profile: ``us.``/``eu.``/... + a model id, or its ARN."""
    APPLICATION_INFERENCE_PROFILE = "application-inference-profile"
    CUSTOM_MODEL = "custom-model"
    CUSTOM_MODEL_DEPLOYMENT = "custom-model-deployment"
    PROVISIONED_MODEL = "provisioned-model"
    IMPORTED_MODEL = "imported-model"
    TOKEN = "token"
    """An unresolved CDK token: known only at deploy time."""


_RESOURCE_KINDS = {kind.value: kind for kind in ReferenceKind if kind is not ReferenceKind.TOKEN}


@dataclass(frozen=True)
class ModelReference:
    """One parsed model identifier."""

    text: str
    """The identifier as given."""
    kind: ReferenceKind
    model_id: str | None = None
    """The foundation model id it names (plain or context variant), for FOUNDATION_MODEL and
    INFERENCE_PROFILE; None for the account resources."""
    geography: str | None = None
    """The profile prefix (``us``, ``eu``, ``apac``, ``global``) of a system inference profile."""
    region: str | None = None
    account: str | None = None
    resource_id: str | None = None
    """The part after ``<resource type>/`` of an ARN."""

    @property
    def names_catalog_model(self) -> bool:
        """Whether the knowledge base has (or should have) an entry for it."""
        return self.model_id is not None


def is_unresolved_token(value: str) -> bool:
    """Whether ``value`` holds an unresolved CDK token (``${Token[...]}`` or a list token)."""
    return any(marker in value for marker in _TOKEN_MARKERS)


def parse_model_reference(
    text: str, *, geographies: Collection[str], is_token: Callable[[str], bool] | None = None
) -> ModelReference:
    """Parse ``text``; ``geographies`` are the system inference profile prefixes (from the knowledge base).

    ``is_token`` (default: :func:`is_unresolved_token`) recognises values known only at deploy time.
    Raises ``ValueError`` for a Bedrock ARN of another resource type, or a string that is no model id.
    """
    value = text.strip()
    if (is_token or is_unresolved_token)(value):
        return ModelReference(text, ReferenceKind.TOKEN)
    if not value or any(c.isspace() for c in value):
        raise ValueError(f"{text!r} is not a Bedrock model id or ARN")
    if value.startswith("arn:"):
        return _parse_arn(text, value, geographies)
    return _parse_id(text, value, geographies)


def _parse_id(text: str, value: str, geographies: Collection[str]) -> ModelReference:
    prefix, _, rest = value.partition(".")
    if prefix.lower() in geographies and "." in rest:
        return ModelReference(text, ReferenceKind.INFERENCE_PROFILE, model_id=rest, geography=prefix.lower())
    if "." not in value:
        raise ValueError(f"{text!r} is not a Bedrock model id (provider.model, e.g. 'amazon.nova-lite-v1:0')")
    return ModelReference(text, ReferenceKind.FOUNDATION_MODEL, model_id=value)


def _parse_arn(text: str, value: str, geographies: Collection[str]) -> ModelReference:
    match = _ARN.match(value)
    resource_type, _, resource_id = (match.group("rest") if match else "").partition("/")
    kind = _RESOURCE_KINDS.get(resource_type)
    if match is None or kind is None or not resource_id:
        allowed = ", ".join(_RESOURCE_KINDS)
        raise ValueError(f"{text!r} is not a Bedrock model ARN; the resource type must be one of: {allowed}")
    where = {"region": match.group("region") or None, "account": match.group("account"), "resource_id": resource_id}
    if kind is ReferenceKind.FOUNDATION_MODEL:
        return ModelReference(text, kind, model_id=resource_id, **where)
    if kind is ReferenceKind.INFERENCE_PROFILE:
        inner = _parse_id(text, resource_id, geographies)
        if inner.kind is ReferenceKind.INFERENCE_PROFILE:
            return ModelReference(text, kind, model_id=inner.model_id, geography=inner.geography, **where)
        raise ValueError(
            f"{text!r}: an inference profile id is a geography ({', '.join(geographies)}) + '.' + model id"
        )
    return ModelReference(text, kind, **where)
