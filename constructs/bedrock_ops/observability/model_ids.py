"""Model ids as the monitoring sees them: the validation seam and the ``ModelId`` aliases of one model.

:func:`check_model_id` checks the shape of a monitored model id (plain id, context variant, system inference
profile id, or a Bedrock ARN of a model resource; CDK tokens are skipped); :func:`check_known_model`, which
``BedrockMonitoring`` applies to every listed model and quota key, also requires a foundation model (plain id,
context variant, system profile, foundation-model or inference-profile ARN) to be one the model knowledge base
(``bedrock_ops.models``, with the user's models file) knows, with "did you mean ..." otherwise.

:func:`model_id_aliases` lists the ``ModelId`` values under which one model's records can appear in the
invocation logs, because ``ContentFilteredCount`` takes its dimension from the log record's ``modelId``, which
is whatever the caller passed: a system inference profile called by ARN (``arn:...:inference-profile/us.x``)
is logged with the ARN, while the alarms and dashboards of a listed model watch the id it was listed with
(``us.x``). Which form ``AWS/Bedrock`` itself publishes for such a call is not stated on UG
monitoring-runtime-metrics (read 2026-12-01): unconfirmed. A metric filter cannot rewrite a dimension value
(it copies ``$.modelId``), so the mapping happens where the metric is read: per-model alarms and widgets sum
the aliases with metric math, and the fleet alarm names the contributor by the logged value.
"""

from __future__ import annotations

import re

from aws_cdk import Aws, Token

from bedrock_ops._core.sequences import require_list
from bedrock_ops.models.knowledge import ModelKnowledgeBase

__all__ = ["check_known_model", "check_model_id", "check_model_list", "model_id_aliases"]

#: ``provider.model-name[-vN][:N][:context]``, e.g. ``amazon.nova-micro-v1:0``, ``amazon.titan-text-express-v1:0:8k``;
#: a system inference profile id is a geo prefix plus such an id (``us.``, ``eu.``, ``apac.``, ``global.``,
#: ``us-gov.``, ``jp.``, ``au.``, see research facts section 6), which this pattern also accepts.
_PLAIN_ID = re.compile(
    r"^(?:[a-z]{2,8}(?:-[a-z]{2,8})?\.)?"  # geo prefix of a system inference profile
    r"[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9._-]*"  # provider.model-name-vN
    r"(?::\d+)?(?::\d+[km]?)?$"  # :version and :context variant
)
_ARN_RESOURCE_TYPES = (
    "foundation-model",
    "inference-profile",
    "application-inference-profile",
    "provisioned-model",
    "custom-model",
    "custom-model-deployment",
    "imported-model",
    "prompt-router",
    "default-prompt-router",
)
_ARN = re.compile(
    r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:(?:\d{12})?:(?P<type>" + "|".join(_ARN_RESOURCE_TYPES) + r")/(?P<id>\S+)$"
)
_ALLOWED = (
    "a model id (amazon.nova-micro-v1:0), a context variant (amazon.titan-text-express-v1:0:8k), "
    "a system inference profile id (us.meta.llama3-2-1b-instruct-v1:0) or a Bedrock ARN of type "
    + ", ".join(_ARN_RESOURCE_TYPES)
)


def check_model_id(model_id: str, *, parameter: str = "model_id") -> None:
    """Raise ``ValueError`` naming ``parameter``, the bad value and what is allowed, unless ``model_id`` has the
    shape of a Bedrock model identifier. Unresolved CDK tokens are accepted unchecked."""
    if not isinstance(model_id, str):
        raise ValueError(f"{parameter} must be a model id string, got {type(model_id).__name__} {model_id!r}")
    if Token.is_unresolved(model_id):
        return
    if _PLAIN_ID.match(model_id) or _ARN.match(model_id):
        return
    raise ValueError(f"{parameter} must be {_ALLOWED}; got {model_id!r}")


def check_known_model(model_id: str, *, parameter: str, models: ModelKnowledgeBase) -> None:
    """Also raise ``UnknownModelError`` (a ``ValueError``, with "did you mean ...") when ``model_id`` names a
    foundation model (a plain id, context variant, system inference profile id, or foundation-model or
    inference-profile ARN) that ``models`` does not know. Account resources and tokens pass."""
    check_model_id(model_id, parameter=parameter)
    if Token.is_unresolved(model_id):
        return
    arn = _ARN.match(model_id)
    if arn is not None and arn.group("type") not in ("foundation-model", "inference-profile"):
        return  # an account resource: the account knows it, the knowledge base does not
    entry = models.resolve(model_id, prop=parameter)
    is_profile = (arn is not None and arn.group("type") == "inference-profile") or (
        arn is None and model_id.split(".", 1)[0].lower() in models.geographies
    )
    if entry.inference_profile_only and not is_profile:
        raise ValueError(
            f"{parameter} {model_id!r}: {entry.name} is invoked on demand only through a cross-Region inference "
            f"profile, so its metrics carry the profile id: list e.g. 'us.{entry.model_id}' "
            f"(prefixes: {', '.join(f'{g}.' for g in models.geographies)})"
        )


def check_model_list(models: object, *, parameter: str = "models") -> None:
    """Reject a string where a list of model ids is expected (it would be iterated character by character)."""
    require_list(models, param=parameter, of="model ids")


def model_id_aliases(model_id: str) -> list[str]:
    """``ModelId`` values one model's invocation log records can carry, the id itself first.

    - a system inference profile id ``us.x`` (or its ARN): ``us.x`` and
      ``arn:<partition>:bedrock:<region>:<account>:inference-profile/us.x``;
    - a plain model id ``x``: ``x`` only (logged as passed; a foundation-model ARN ``arn:...:foundation-model/x``
      maps back to ``x`` and its records stay under the ARN: callers that pass the ARN are rare and each alias
      costs an alarm metric);
    - any other ARN (application inference profile, provisioned throughput, deployment, custom model): the ARN
      only, which is the value the caller passes and the log records.

    Region, account and partition are the stack's (tokens), since a monitoring watches its own Region.
    """
    if Token.is_unresolved(model_id):
        return [model_id]
    match = _ARN.match(model_id)
    if match is not None:
        kind, resource = match.group("type"), match.group("id")
        if kind == "inference-profile":
            return [resource, _arn("inference-profile", resource, account=True)]
        if kind == "foundation-model":
            return [resource]
        return [model_id]
    if _is_profile_id(model_id):
        return [model_id, _arn("inference-profile", model_id, account=True)]
    return [model_id]


def _is_profile_id(model_id: str) -> bool:
    # A system inference profile id has three dot-separated parts before the version: geo.provider.model.
    head = model_id.split(":", 1)[0]
    return head.count(".") >= 2 and head.split(".", 1)[0] in _GEO_PREFIXES


#: Geo prefixes of system inference profiles (research facts section 6, aws-cdk bedrock-alpha v2.275 line).
_GEO_PREFIXES = ("us", "eu", "apac", "global", "us-gov", "jp", "au")


def _arn(resource_type: str, resource: str, *, account: bool) -> str:
    owner = Aws.ACCOUNT_ID if account else ""
    return f"arn:{Aws.PARTITION}:bedrock:{Aws.REGION}:{owner}:{resource_type}/{resource}"
