"""ModelCopy: a custom model copied to other Regions (CreateModelCopyJob, which runs in the destination)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Names, Stack, Token
from aws_cdk import aws_iam as iam

from bedrock_ops._core import nag
from bedrock_ops._core.providers import singleton_provider
from bedrock_ops._core.sequences import require_list
from bedrock_ops.models.knowledge import load_models
from constructs import Construct

__all__ = ["ModelCopy"]

_CUSTOM_MODEL_ARN = re.compile(
    r"^arn:aws[a-z-]*:bedrock:(?P<region>[a-z0-9-]+):\d{12}:custom-model/(?P<base>.+)/[a-z0-9]{12}$"
)
_NAME_PATTERN = re.compile(r"^([0-9a-zA-Z][_-]?)+$")
_MODEL_ARN_ATTRIBUTES = ("custom_model_arn", "output_model_arn", "model_arn")


class ModelCopy(Construct):
    """Copies of a custom model in other Regions (``Custom::BedrockModelCopy``, one per Region, on one
    provider per stack). Only base models the knowledge base marks copyable (``model_copy`` group) to the
    destination Regions it lists pass the synth. Deleting the resource deletes the copied model (a custom
    model is billed for storage while it exists); any change makes a new copy and deletes the old one.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        source_model: Any,
        target_regions: Sequence[str],
        base_model: str | None = None,
        target_model_name: str | None = None,
        kms_key_arns: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        models_file: str | Path | None = None,
        timeout: Duration | None = None,
    ) -> None:
        """Copy ``source_model`` to each of ``target_regions``.

        :param source_model: the custom model ARN to copy, or a construct exposing ``custom_model_arn`` /
            ``output_model_arn`` / ``model_arn``.
        :param target_regions: 1 or more destination Regions (not the source model's Region).
        :param base_model: the base model of ``source_model``, checked against the knowledge base (default: read
            from the model ARN; required when it is a token or an imported model).
        :param target_model_name: the copies' name, 1-63 characters (default: derived from the construct path).
        :param kms_key_arns: a KMS key ARN per destination Region to encrypt the copy (default: AWS owned keys).
        :param tags: tags on the copied models (default: none).
        :param models_file: a models file merged over the packaged knowledge base (default: none).
        :param timeout: how long CloudFormation waits for each copy (default: 60 minutes, CloudFormation's
            ceiling; 5-60 minutes). A copy that takes longer fails the stack: copy it outside the stack then.
        """
        super().__init__(scope, id)
        require_list(target_regions, param="target_regions", of="Region names")
        stack = Stack.of(self)
        source = _model_arn(source_model)
        regions = list(dict.fromkeys(target_regions))
        if not regions:
            raise ValueError("target_regions must name at least one Region, got none")
        name = target_model_name or Names.unique_resource_name(self, max_length=56, separator="-")
        if not Token.is_unresolved(name) and (len(name) > 63 or not _NAME_PATTERN.match(name)):
            raise ValueError(f"target_model_name must be 1-63 letters, digits, '-' or '_', got {name!r}")
        timeout = timeout or Duration.minutes(60)
        if not 5 <= timeout.to_minutes() <= 60:
            raise ValueError(f"timeout must be 5-60 minutes, got {timeout.to_minutes()} minutes")
        match = None if Token.is_unresolved(source) else _CUSTOM_MODEL_ARN.match(source)
        if not Token.is_unresolved(source) and match is None:
            raise ValueError(f"source_model must be a custom model ARN, got {source!r}")
        base = base_model or getattr(source_model, "base_model_id", None) or (match.group("base") if match else None)
        if base is None or base == "imported":
            raise ValueError(f"source_model {source!r} does not name its base model: pass base_model=")
        entry = load_models(models_file).resolve(base, prop="base_model")
        if entry.model_copy is not True:
            state = "not documented" if entry.model_copy is None else "not supported"
            raise ValueError(
                f"custom models of {entry.model_id} ({entry.name}) cannot be copied to another Region ({state} in "
                "the model knowledge base, from the copy-model-support page); mark it in a models file (models_file=)"
            )
        source_region = match.group("region") if match else None
        for region in regions:
            if region == source_region:
                raise ValueError(f"target_regions must not include the source model's Region {region}")
            allowed = entry.model_copy_regions
            if allowed is not None and not Token.is_unresolved(region) and region not in allowed:
                raise ValueError(
                    f"custom models of {entry.model_id} cannot be copied to {region}; allowed: {', '.join(allowed)}"
                )
        self.base_model_id: str = entry.model_id
        self.source_model_arn = source

        handle = singleton_provider(
            self,
            kind="ModelCopy",
            handler="model_copy",
            description="Custom::BedrockModelCopy: copy Bedrock custom models to other Regions and delete the copies",
            is_complete=True,
            query_interval=Duration.seconds(60),
            total_timeout=timeout.minus(Duration.minutes(2)),
        )
        self._grant_provider(handle.on_event_role, stack, source, regions, kms_key_arns or {})
        self.copied_model_arns: dict[str, str] = {}
        """Destination Region -> ARN of the copied custom model."""
        for region in regions:
            properties: dict[str, Any] = {"SourceModelArn": source, "TargetRegion": region, "TargetModelName": name}
            if kms_key_arns and region in kms_key_arns:
                properties["ModelKmsKeyId"] = kms_key_arns[region]
            if tags:
                properties["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
            resource = handle.resource(
                self,
                f"Copy-{region}",
                resource_type="Custom::BedrockModelCopy",
                properties=properties,
                service_timeout=timeout,
            )
            self.copied_model_arns[region] = resource.get_att_string("TargetModelArn")

    def _grant_provider(
        self, role: iam.IRole, stack: Stack, source: str, regions: list[str], kms_key_arns: Mapping[str, str]
    ) -> None:
        role.add_to_principal_policy(iam.PolicyStatement(actions=["bedrock:CreateModelCopyJob"], resources=[source]))
        jobs = [
            stack.format_arn(service="bedrock", region=region, resource="model-copy-job", resource_name="*")
            for region in regions
        ]
        copies = [
            stack.format_arn(service="bedrock", region=region, resource="custom-model", resource_name="*")
            for region in regions
        ]
        role.add_to_principal_policy(iam.PolicyStatement(actions=["bedrock:GetModelCopyJob"], resources=jobs))
        role.add_to_principal_policy(iam.PolicyStatement(actions=["bedrock:ListModelCopyJobs"], resources=["*"]))
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["bedrock:GetCustomModel", "bedrock:DeleteCustomModel", "bedrock:TagResource"],
                resources=copies,
            )
        )
        for arn in (*jobs, *copies):
            nag.acknowledge(
                role,
                nag.iam5_resource_finding(self, arn),
                "Copy job and copied model ARNs end in ids Bedrock generates when the copy starts: the handler can "
                "only be scoped to this account's jobs and custom models in the destination Regions.",
            )
        nag.acknowledge(
            role,
            nag.iam5_resource_finding(self, "*"),
            "ListModelCopyJobs has no resource type in the Service Authorization Reference: it is granted on '*'.",
        )
        if kms_key_arns:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey", "kms:Decrypt"],
                    resources=list(kms_key_arns.values()),
                )
            )


def _model_arn(model: Any) -> str:
    if isinstance(model, str):
        return model
    for attribute in _MODEL_ARN_ATTRIBUTES:
        value = getattr(model, attribute, None)
        if isinstance(value, str):
            return value
    raise ValueError(
        f"source_model must be a custom model ARN or a construct with one of {', '.join(_MODEL_ARN_ATTRIBUTES)}, "
        f"got {type(model).__name__}"
    )
