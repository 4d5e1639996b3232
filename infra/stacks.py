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
    LocalDataset,
    LocalDatasets,
    TrainingDataBucket,
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
