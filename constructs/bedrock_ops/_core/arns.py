"""The one check of the ARNs ``from_*`` importers take: parsed by the model knowledge base's ``reference()``."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Token

from bedrock_ops._core.errors import PropTypeError
from bedrock_ops.models.ids import ModelReference, ReferenceKind
from bedrock_ops.models.knowledge import load_models

#: The ARN form of each account resource, for messages.
ARN_FORMS: dict[ReferenceKind, str] = {
    ReferenceKind.CUSTOM_MODEL: "arn:aws:bedrock:<region>:<account>:custom-model/<base model id>/<id> "
    "(or custom-model/imported/<id>)",
    ReferenceKind.CUSTOM_MODEL_DEPLOYMENT: "arn:aws:bedrock:<region>:<account>:custom-model-deployment/<id>",
    ReferenceKind.PROVISIONED_MODEL: "arn:aws:bedrock:<region>:<account>:provisioned-model/<id>",
    ReferenceKind.IMPORTED_MODEL: "arn:aws:bedrock:<region>:<account>:imported-model/<id>",
    ReferenceKind.APPLICATION_INFERENCE_PROFILE: (
        "arn:aws:bedrock:<region>:<account>:application-inference-profile/<id>"
    ),
}


def require_arn(
    value: object, kind: ReferenceKind, *, param: str, models_file: str | Path | None = None
) -> ModelReference:
    """``value`` parsed as the ARN of a ``kind`` resource; an unresolved token is accepted as it is.

    :raises TypeError: ``value`` is not a string.
    :raises ValueError: it is no such ARN (the message names ``param``, the value and the ARN form).
    """
    form = ARN_FORMS[kind]
    if not isinstance(value, str):
        raise PropTypeError(f"{param} must be a string, {form}, got {type(value).__name__} {value!r}")
    if Token.is_unresolved(value):
        return ModelReference(text=value, kind=ReferenceKind.TOKEN)
    try:
        reference = load_models(models_file).reference(value)
    except ValueError as error:
        raise ValueError(f"{param} must be {form}, got {value!r} ({error})") from None
    if reference.kind is ReferenceKind.TOKEN:
        return reference
    if reference.kind is not kind or not value.startswith("arn:"):
        raise ValueError(f"{param} must be {form}, got {value!r} (a {reference.kind.value} reference)")
    if reference.region is None or reference.account is None:
        raise ValueError(f"{param} must be {form} with its Region and account, got {value!r}")
    return reference
