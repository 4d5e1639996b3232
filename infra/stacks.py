"""The stacks of the default app, composed from ``bedrock_ops`` constructs and wired with grants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack

from bedrock_ops import (
    BedrockJobType,
    BedrockKmsKey,
    BedrockServiceRole,
    CustomizationType,
    DatasetSplit,
    DatasetValidator,
    GitHubOidcDeployRoles,
    LocalDataset,
    LocalDatasets,
    ModelAccess,
    ProvisionedThroughput,
    TrainingDataBucket,
    load_model_catalog,
    load_pricing_table,
)
from constructs import Construct
from infra.config import AppConfig, DatasetsConfig


class DataStack(Stack):
    """The secure data plane: the KMS key, the training data bucket and the Bedrock service roles."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        data = config.data
        removal = RemovalPolicy.RETAIN if data.removal_policy == "retain" else RemovalPolicy.DESTROY
        self.key = BedrockKmsKey(
            self, "DataKey", alias=data.key_alias or f"alias/{config.project_name}", removal_policy=removal
        )
        self.data_bucket = TrainingDataBucket(
            self,
            "TrainingData",
            encryption_key=self.key,
            bucket_name=data.bucket_name,
            removal_policy=removal,
            noncurrent_version_expiration=Duration.days(data.noncurrent_version_expiration_days),
            abort_incomplete_multipart_upload_after=Duration.days(data.abort_incomplete_upload_days),
            access_log_retention=Duration.days(data.access_log_retention_days),
        )
        self.local_datasets, self.dataset_validator = _datasets(self, self.data_bucket, config.datasets)
        self.customization_role = BedrockServiceRole(
            self, "CustomizationRole", data_bucket=self.data_bucket, custom_model_key=self.key
        )
        self.evaluation_role = BedrockServiceRole(
            self,
            "EvaluationRole",
            job_type=BedrockJobType.EVALUATION,
            data_bucket=self.data_bucket,
            custom_model_key=self.key,
        )
        CfnOutput(self, "TrainingDataBucketName", value=self.data_bucket.bucket_name)
        CfnOutput(self, "DataKeyArn", value=self.key.key_arn)
        CfnOutput(self, "CustomizationRoleArn", value=self.customization_role.role_arn)
        CfnOutput(self, "EvaluationRoleArn", value=self.evaluation_role.role_arn)


def _datasets(
    scope: Construct, data_bucket: TrainingDataBucket, config: DatasetsConfig
) -> tuple[LocalDatasets | None, DatasetValidator | None]:
    """Validate the local datasets (an invalid one stops the synth), upload them, watch the bucket."""
    local = [
        LocalDataset(
            name=d.name,
            path=Path(d.path),
            base_model=d.base_model,
            customization_type=CustomizationType.parse(d.task),
            split=DatasetSplit(d.split),
        )
        for d in config.local
    ]
    uploads = (
        LocalDatasets(
            scope, "LocalDatasets", data_bucket=data_bucket, datasets=local, registry_file=config.model_registry_file
        )
        if local
        else None
    )
    validator = None
    if config.validator.enabled:
        validator = DatasetValidator(
            scope,
            "DatasetValidator",
            data_bucket=data_bucket,
            base_model=config.validator.base_model,
            customization_type=CustomizationType.parse(config.validator.task),
            registry_file=config.model_registry_file,
            max_errors=config.validator.max_errors,
        )
        for dataset in local:  # objects under a local dataset's name are checked against its own model
            validator.add_dataset(
                dataset.name, base_model=dataset.base_model, customization_type=dataset.customization_type
            )
    return uploads, validator


class ModelServingStack(Stack):
    """Model access for the configured foundation models and, when enabled, a provisioned throughput."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        access = config.model_access
        self.model_access: ModelAccess | None = None
        if access.enabled:
            self.model_access = ModelAccess(
                self,
                "ModelAccess",
                models=access.models,
                use_case_form=access.use_case_form.form_data() if access.use_case_form else None,
                revoke_agreement_on_delete=access.revoke_agreement_on_delete,
                model_catalog=load_model_catalog(access.catalog_file),
            )
        pt = config.provisioned_throughput
        self.provisioned_throughput: ProvisionedThroughput | None = None
        if pt.enabled:
            self.provisioned_throughput = ProvisionedThroughput(
                self,
                "ProvisionedThroughput",
                model=pt.model_id,
                base_model_id=pt.base_model_id,
                model_units=pt.model_units,
                commitment=pt.commitment,
                provisioned_model_name=pt.name or f"{config.project_name}-pt",
                acknowledge_commitment_cost=pt.acknowledge_commitment_cost,
                pricing_table=load_pricing_table(pt.pricing_file),
                model_catalog=load_model_catalog(pt.catalog_file),
            )
            CfnOutput(self, "ProvisionedModelArn", value=self.provisioned_throughput.provisioned_model_arn)


class GitHubDeployStack(Stack):
    """The GitHub OIDC provider and the roles the GitHub Actions workflow assumes to diff and deploy."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        github = config.github
        assert github is not None
        self.roles = GitHubOidcDeployRoles(
            self, "GitHub", repository=github.repository, branch=github.branch, provider_arn=github.provider_arn
        )
        CfnOutput(self, "DeployRoleArn", value=self.roles.deploy_role.role_arn)
        CfnOutput(self, "DiffRoleArn", value=self.roles.diff_role.role_arn)
