"""CustomModel: a custom model created elsewhere (a customization job, a copy, an import), by its ARN, for the
``model=`` of :class:`ProvisionedThroughput`, :class:`CustomModelDeployment` and :class:`ModelCopy`."""

from __future__ import annotations

from pathlib import Path

from bedrock_ops._core.arns import require_arn
from bedrock_ops.models.ids import ReferenceKind
from constructs import Construct

__all__ = ["CustomModel", "ICustomModel"]


class ICustomModel(Construct):
    """A custom model: what the serving constructs' ``model=`` reads (``custom_model_arn``)."""

    custom_model_arn: str
    """ARN of the custom model, ``arn:aws:bedrock:<region>:<account>:custom-model/<base model id>/<id>``."""
    base_model_id: str | None
    """The base model the ARN names (None for an imported model's ``custom-model/imported/...`` or a token)."""


class CustomModel:
    """Importers of custom models. A custom model has no CloudFormation resource of its own here: jobs create
    them at run time (:class:`ModelCustomizationWorkflow`), :class:`ModelCopy` and :class:`ImportedModel` expose
    theirs; this names one that exists already."""

    @staticmethod
    def from_custom_model_arn(
        scope: Construct, id: str, custom_model_arn: str, *, models_file: str | Path | None = None
    ) -> ICustomModel:
        """A custom model created elsewhere, by its ARN (tokens allowed), checked by the model knowledge base's
        ``reference()``: ``arn:aws:bedrock:<region>:<account>:custom-model/<base model id>/<id>``.

        :param custom_model_arn: the model's ARN.
        :param models_file: a models file merged over the packaged knowledge base (default: none).
        """
        reference = require_arn(
            custom_model_arn, ReferenceKind.CUSTOM_MODEL, param="custom_model_arn", models_file=models_file
        )
        base: str | None = None
        if reference.resource_id is not None and "/" in reference.resource_id:
            base = reference.resource_id.rsplit("/", 1)[0]
            base = None if base == "imported" else base
        return _ImportedCustomModel(scope, id, custom_model_arn, base)


class _ImportedCustomModel(ICustomModel):
    def __init__(self, scope: Construct, id: str, custom_model_arn: str, base_model_id: str | None) -> None:
        super().__init__(scope, id)
        self.custom_model_arn = custom_model_arn
        self.base_model_id = base_model_id
