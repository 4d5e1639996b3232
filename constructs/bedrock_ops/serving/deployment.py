"""CustomModelDeployment: a custom model served on demand behind a stable deployment ARN."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Names, Stack, Token
from aws_cdk import aws_iam as iam

from bedrock_ops._core import nag
from bedrock_ops._core.arns import require_arn
from bedrock_ops._core.providers import singleton_provider
from bedrock_ops.models.facts import ModelEntry
from bedrock_ops.models.ids import ReferenceKind
from bedrock_ops.models.knowledge import ModelKnowledgeBase, load_models
from bedrock_ops.serving._invocable import InvocableModel
from constructs import Construct

__all__ = ["CustomModelDeployment", "ICustomModelDeployment"]

_NAME_PATTERN = re.compile(r"^([0-9a-zA-Z][_-]?)+$")
_CUSTOM_MODEL_ARN = re.compile(
    r"^arn:aws[a-z-]*:bedrock:(?P<region>[a-z0-9-]+):\d{12}:custom-model/(?P<base>.+)/[a-z0-9]{12}$"
)
_MODEL_ARN_ATTRIBUTES = ("custom_model_arn", "output_model_arn", "model_arn")


class ICustomModelDeployment(InvocableModel):
    """A custom model deployment, created here or imported with :meth:`CustomModelDeployment.from_deployment_arn`:
    what callers invoke (``deployment_arn`` is the ``modelId`` of InvokeModel / Converse)."""

    deployment_arn: str
    """ARN of the deployment: the ``modelId`` of InvokeModel / Converse."""
    metrics_model_id: str
    """The ``ModelId`` dimension of its ``AWS/Bedrock`` metrics."""

    def _invoke_arn(self) -> str:
        return self.deployment_arn

    def _metrics_model_id(self) -> str:
        return self.metrics_model_id


class CustomModelDeployment(ICustomModelDeployment):
    """On-demand inference for a custom model (``Custom::BedrockCustomModelDeployment``; CloudFormation has no
    resource type for it): you pay per token, not per hour as with provisioned throughput.

    Only custom models of base models the knowledge base marks deployable (``custom_model_deployment`` group:
    Nova Micro, Lite and Pro, customized on or after 2025-07-16) in the Regions it lists (us-east-1,
    us-west-2) pass the synth. Changing ``model`` swaps the model behind the same deployment ARN
    (UpdateCustomModelDeployment); a new name or description creates a new deployment and deletes the old one.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        model: Any,
        base_model: str | None = None,
        deployment_name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        metrics_model_id: str | None = None,
        models_file: str | Path | None = None,
        timeout: Duration | None = None,
    ) -> None:
        """Deploy ``model``.

        :param model: the custom model ARN (``arn:aws:bedrock:<region>:<account>:custom-model/<base>/<id>``: a
            customized, copied or imported model, which must be Active), or a construct exposing
            ``custom_model_arn`` / ``output_model_arn`` / ``model_arn``.
        :param base_model: the base foundation model of ``model``, checked against the knowledge base (default:
            read from the model ARN; required when the ARN is a token or names no base model, e.g. an imported one).
        :param deployment_name: 1-63 letters, digits, ``-`` or ``_``, unique in the account and Region
            (default: derived from the construct path).
        :param description: the deployment's description (default: none). Changing it replaces the deployment.
        :param tags: tags on the deployment (default: none); they change in place.
        :param metrics_model_id: the ``ModelId`` dimension of the deployment's metrics (default: the deployment
            ARN; the documentation does not say which value a deployment publishes, see the knowledge base's
            ``custom_model_deployment.metrics_model_id``).
        :param models_file: a models file merged over the packaged knowledge base (default: none).
        :param timeout: how long CloudFormation waits for the deployment to be Active (default: 30 minutes;
            5-60 minutes). The provider is shared by every deployment of the stack and polls for the first
            deployment's timeout minus 2 minutes.
        """
        super().__init__(scope, id)
        stack = Stack.of(self)
        model_arn = _model_arn(model)
        name = deployment_name or Names.unique_resource_name(self, max_length=63, separator="-")
        if not Token.is_unresolved(name) and (len(name) > 63 or not _NAME_PATTERN.match(name)):
            raise ValueError(
                f"deployment_name must be 1-63 letters, digits, '-' or '_' (no two separators in a row, starting "
                f"with a letter or digit), got {name!r}"
            )
        timeout = timeout or Duration.minutes(30)
        if not 5 <= timeout.to_minutes() <= 60:
            raise ValueError(f"timeout must be 5-60 minutes, got {timeout.to_minutes()} minutes")
        entry = _check_deployable(
            load_models(models_file), model_arn, base_model or getattr(model, "base_model_id", None), stack.region
        )
        self.base_model_id: str = entry.model_id
        """The base foundation model (plain id) of the deployed model."""
        self.customized_on_or_after: str | None = entry.custom_model_deployment_customized_since
        """ISO date from the knowledge base: only models customized on or after it can be deployed (Bedrock
        checks it at deploy time; the synth cannot see when a model was customized)."""
        self.model_arn = model_arn
        """The custom model the deployment serves."""
        self.deployment_name = name

        properties: dict[str, Any] = {"ModelArn": model_arn, "DeploymentName": name}
        if description:
            properties["Description"] = description
        if tags:
            properties["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        handle = singleton_provider(
            self,
            kind="CustomModelDeployment",
            handler="custom_model_deployment",
            description="Custom::BedrockCustomModelDeployment: create, update (model swap) and delete Bedrock "
            "custom model deployments",
            is_complete=True,
            query_interval=Duration.seconds(30),
            total_timeout=timeout.minus(Duration.minutes(2)),
        )
        _grant_provider(self, handle.on_event_role, stack, model_arn)
        self.resource = handle.resource(
            self,
            "Resource",
            resource_type="Custom::BedrockCustomModelDeployment",
            properties=properties,
            service_timeout=timeout,
        )
        self.deployment_arn = self.resource.ref
        self.metrics_model_id = metrics_model_id or self.deployment_arn

    @staticmethod
    def from_deployment_arn(
        scope: Construct, id: str, deployment_arn: str, *, metrics_model_id: str | None = None
    ) -> ICustomModelDeployment:
        """A deployment created elsewhere, by its ARN (grants and metrics only), checked by the model knowledge
        base's ``reference()``: ``arn:aws:bedrock:<region>:<account>:custom-model-deployment/<id>`` (tokens allowed)."""
        require_arn(deployment_arn, ReferenceKind.CUSTOM_MODEL_DEPLOYMENT, param="deployment_arn")
        return _ImportedDeployment(scope, id, deployment_arn=deployment_arn, metrics_model_id=metrics_model_id)


class _ImportedDeployment(ICustomModelDeployment):
    def __init__(self, scope: Construct, id: str, *, deployment_arn: str, metrics_model_id: str | None) -> None:
        super().__init__(scope, id)
        self.deployment_arn = deployment_arn
        self.metrics_model_id = metrics_model_id or deployment_arn


def _model_arn(model: Any) -> str:
    if isinstance(model, str):
        return model
    for attribute in _MODEL_ARN_ATTRIBUTES:
        value = getattr(model, attribute, None)
        if isinstance(value, str):
            return value
    raise ValueError(
        f"model must be a custom model ARN or a construct with one of {', '.join(_MODEL_ARN_ATTRIBUTES)}, "
        f"got {type(model).__name__}"
    )


def _deployable(models: ModelKnowledgeBase) -> str:
    names = [
        f"{entry.model_id} ({', '.join(entry.custom_model_deployment_regions or ('any Region',))})"
        for model_id in models.model_ids
        if (entry := models.resolve(model_id)).custom_model_deployment
    ]
    return ", ".join(names) or "none"


def _check_deployable(models: ModelKnowledgeBase, model_arn: str, base_model: str | None, region: str) -> ModelEntry:
    """The knowledge base entry of the base model, after checking that it may be deployed in ``region``."""
    match = None if Token.is_unresolved(model_arn) else _CUSTOM_MODEL_ARN.match(model_arn)
    if not Token.is_unresolved(model_arn) and match is None:
        raise ValueError(
            "model must be a custom model ARN (arn:aws:bedrock:<region>:<account>:custom-model/<base model>/<id>), "
            f"got {model_arn!r}"
        )
    if base_model is None:
        base = match.group("base") if match else None
        if base is None or base == "imported":
            raise ValueError(
                f"model {model_arn!r} does not name its base model: pass base_model= (one of: {_deployable(models)})"
            )
        base_model = base
    entry = models.resolve(base_model, prop="base_model")
    if entry.custom_model_deployment is not True:
        state = "not documented" if entry.custom_model_deployment is None else "not supported"
        raise ValueError(
            f"custom models of {entry.model_id} ({entry.name}) cannot be deployed for on-demand inference "
            f"({state} in the model knowledge base); deployable base models: {_deployable(models)}. "
            "Serve it with ProvisionedThroughput, or mark it deployable in a models file (models_file=)"
        )
    regions = entry.custom_model_deployment_regions
    for where, value in (
        ("the stack's Region", region),
        ("the model's Region", match.group("region") if match else None),
    ):
        if value and not Token.is_unresolved(value) and regions is not None and value not in regions:
            raise ValueError(
                f"{where} {value} does not offer custom model deployments for {entry.model_id}; allowed: "
                f"{', '.join(regions)}"
            )
    return entry


def _grant_provider(scope: Construct, role: iam.IRole, stack: Stack, model_arn: str) -> None:
    deployments = stack.format_arn(service="bedrock", resource="custom-model-deployment", resource_name="*")
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["bedrock:CreateCustomModelDeployment", "bedrock:UpdateCustomModelDeployment"],
            resources=[model_arn],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=[
                "bedrock:GetCustomModelDeployment",
                "bedrock:UpdateCustomModelDeployment",
                "bedrock:DeleteCustomModelDeployment",
                "bedrock:TagResource",
                "bedrock:UntagResource",
            ],
            resources=[deployments],
        )
    )
    nag.acknowledge(
        role,
        nag.iam5_resource_finding(scope, deployments),
        "Custom model deployment ARNs end in an id Bedrock generates at creation, so the handler can only be "
        "scoped to this account's and Region's deployments.",
    )
