"""ImportedModel: an open-weight model imported into Bedrock from S3 (Custom Model Import)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, Duration, Names, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from bedrock_ops._core import nag
from bedrock_ops._core.providers import singleton_provider
from bedrock_ops.models.knowledge import load_models
from bedrock_ops.roles.service_role import BedrockJobType, BedrockServiceRole
from constructs import Construct

__all__ = ["ImportedModel"]

_NAME_PATTERN = re.compile(r"^([0-9a-zA-Z][_-]?)+$")


class ImportedModel(Construct):
    """An imported model (``Custom::BedrockImportedModel``): ``CreateModelImportJob`` from model files in S3
    (Hugging Face format), waited for, its ARN as ``imported_model_arn``; deleting the resource deletes the
    imported model (``DeleteImportedModel``).

    **Cost:** an imported model is billed in Custom Model Units for every 5-minute window in which it is active
    (serving), and for storage while it exists: delete what you do not use.

    **The one-hour ceiling:** CloudFormation gives a custom resource at most one hour, whatever the provider
    waits. An import that takes longer fails the stack; the rollback's delete then refuses (the job cannot be
    stopped) until the job ends. Imports of large models can take longer than an hour: import them outside the
    stack and deploy or invoke them by ARN.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        model_data_bucket: s3.IBucket,
        model_data_prefix: str,
        imported_model_name: str | None = None,
        model_kms_key: kms.IKey | None = None,
        model_data_key: kms.IKey | None = None,
        tags: Mapping[str, str] | None = None,
        models_file: str | Path | None = None,
        timeout: Duration | None = None,
    ) -> None:
        """Import the model files under ``s3://<model_data_bucket>/<model_data_prefix>``.

        :param model_data_bucket: the bucket holding the model files (in the stack's Region).
        :param model_data_prefix: the folder of the model files, e.g. ``models/llama-3-8b-ft/``.
        :param imported_model_name: 1-63 letters, digits, ``-`` or ``_`` (default: derived from the construct path).
        :param model_kms_key: a key that encrypts the imported model (default: an AWS owned key).
        :param model_data_key: the key the model files are encrypted with, for the service role (default: none).
        :param tags: tags on the imported model (default: none).
        :param models_file: a models file merged over the packaged knowledge base (default: none).
        :param timeout: how long CloudFormation waits for the import (default: 55 minutes; 5-60 minutes, because
            CloudFormation stops waiting after one hour).
        """
        super().__init__(scope, id)
        stack = Stack.of(self)
        name = imported_model_name or Names.unique_resource_name(self, max_length=56, separator="-")
        if not Token.is_unresolved(name) and (len(name) > 63 or not _NAME_PATTERN.match(name)):
            raise ValueError(f"imported_model_name must be 1-63 letters, digits, '-' or '_', got {name!r}")
        timeout = timeout or Duration.minutes(55)
        if not 5 <= timeout.to_minutes() <= 60:
            raise ValueError(
                f"timeout must be 5-60 minutes (CloudFormation waits at most one hour), got {timeout.to_minutes()}"
            )
        facts = load_models(models_file).document.get("model_import") or {}
        regions = facts.get("regions")
        if regions and not Token.is_unresolved(stack.region) and stack.region not in regions:
            raise ValueError(
                f"Custom Model Import is not offered in {stack.region}; allowed: {', '.join(regions)} "
                "(knowledge base model_import.regions; override it with a models file)"
            )
        self.architectures: tuple[str, ...] = tuple(facts.get("architectures") or ())
        """The model architectures the knowledge base lists for import (the job detects the architecture)."""
        prefix = model_data_prefix.strip("/")
        if not prefix:
            raise ValueError("model_data_prefix must name the folder of the model files, got an empty prefix")

        self.role = BedrockServiceRole(
            self,
            "ServiceRole",
            job_type=BedrockJobType.MODEL_IMPORT,
            description="Assumed by Amazon Bedrock to read the model files of this account's model import jobs",
        )
        iam.Grant.add_to_principal(
            grantee=self.role,
            actions=["s3:GetObject"],
            resource_arns=[model_data_bucket.arn_for_objects(f"{prefix}/*")],
        )
        iam.Grant.add_to_principal(
            grantee=self.role,
            actions=["s3:ListBucket"],
            resource_arns=[model_data_bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{prefix}/*", prefix]}},
        )
        nag.acknowledge(
            self.role.role,
            nag.iam5_resource_finding(self, f"{model_data_bucket.bucket_arn}/{prefix}/*"),
            "The import job reads every model file under the model's prefix; their names are the model's own.",
        )
        for key in (model_data_key, model_kms_key):
            if key is not None:
                key.grant_decrypt(self.role)

        handle = singleton_provider(
            self,
            kind="ImportedModel",
            handler="model_import",
            description="Custom::BedrockImportedModel: import open-weight models into Bedrock and delete them",
            is_complete=True,
            query_interval=Duration.seconds(60),
            total_timeout=timeout.minus(Duration.minutes(2)),
        )
        self._grant_provider(handle.on_event_role, stack, model_kms_key)
        properties: dict[str, Any] = {
            "ImportedModelName": name,
            "RoleArn": self.role.role_arn,
            "S3Uri": f"s3://{model_data_bucket.bucket_name}/{prefix}/",
        }
        if model_kms_key is not None:
            properties["KmsKeyId"] = model_kms_key.key_arn
        if tags:
            properties["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        self.resource = handle.resource(
            self,
            "Resource",
            resource_type="Custom::BedrockImportedModel",
            properties=properties,
            service_timeout=timeout,
        )
        self.resource.node.add_dependency(self.role)
        self.imported_model_name = name
        self.imported_model_arn: str = self.resource.get_att_string("ImportedModelArn")
        """ARN of the imported model: the ``modelId`` of InvokeModel (and Converse, except GPT-OSS models)."""
        Annotations.of(self).add_info(
            "Imported models are billed in Custom Model Units per 5-minute window while active, and for storage "
            "until deleted."
        )

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the imported model (InvokeModel, InvokeModelWithResponseStream)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            resource_arns=[self.imported_model_arn],
        )

    def _grant_provider(self, role: iam.IRole, stack: Stack, model_kms_key: kms.IKey | None) -> None:
        jobs = stack.format_arn(service="bedrock", resource="model-import-job", resource_name="*")
        models = stack.format_arn(service="bedrock", resource="imported-model", resource_name="*")
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["bedrock:CreateModelImportJob", "bedrock:ListModelImportJobs"], resources=["*"]
            )
        )
        role.add_to_principal_policy(iam.PolicyStatement(actions=["bedrock:GetModelImportJob"], resources=[jobs]))
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["bedrock:GetImportedModel", "bedrock:DeleteImportedModel"], resources=[models])
        )
        self.role.grant_pass_role(role)
        for arn, reason in (
            (
                "*",
                "CreateModelImportJob and ListModelImportJobs have no resource type in the Service Authorization "
                "Reference: they are granted on '*'.",
            ),
            (
                jobs,
                "Import job ARNs end in an id Bedrock generates when the job starts: scoped to this account's "
                "and Region's import jobs.",
            ),
            (
                models,
                "Imported model ARNs end in an id Bedrock generates: scoped to this account's and Region's "
                "imported models.",
            ),
        ):
            nag.acknowledge(role, nag.iam5_resource_finding(self, arn), reason)
        if model_kms_key is not None:
            model_kms_key.grant(role, "kms:DescribeKey", "kms:CreateGrant")
