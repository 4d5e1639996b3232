"""The stacks of the default app, composed from ``bedrock_ops`` constructs and wired with grants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack

from bedrock_ops import (
    BedrockJobType,
    BedrockKmsKey,
    BedrockServiceRole,
    CustomizationHyperparameters,
    CustomizationType,
    GitHubOidcDeployRoles,
    ModelAccess,
    ModelCustomizationWorkflow,
    ProvisionedThroughput,
    TrainingDataBucket,
    load_model_catalog,
    load_pricing_table,
)
from constructs import Construct
from infra.config import AppConfig

ROOT = Path(__file__).resolve().parent.parent


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


class CustomizationStack(Stack):
    """One Step Functions workflow per configured model customization job, notifying one topic."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, data: DataStack, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.workflows: list[ModelCustomizationWorkflow] = []
        for job in config.customization.jobs:
            workflow = ModelCustomizationWorkflow(
                self,
                job.name,
                base_model_id=job.base_model,
                customization_type=CustomizationType(job.customization_type),
                data_bucket=data.data_bucket,
                training_data_key=job.training_data_key,
                validation_data_keys=job.validation_data_keys,
                training_data_file=ROOT / job.training_data_file if job.training_data_file else None,
                custom_model_name=job.name,
                hyperparameters=CustomizationHyperparameters.from_api(job.hyperparameters),
                teacher_model_id=job.teacher_model,
                max_response_length=job.max_response_length,
                custom_model_key=data.key,
                service_role=data.customization_role,
                tags=job.tags,
                topic=self.workflows[0].topic if self.workflows else None,
                removal_policy=RemovalPolicy.DESTROY if job.removal_policy == "destroy" else RemovalPolicy.RETAIN,
                start_on_deploy=job.start_on_deploy,
                start_on_new_data=job.start_on_new_data,
                timeout=Duration.hours(job.timeout_hours),
            )
            self.workflows.append(workflow)
            CfnOutput(
                self,
                f"{job.name}StateMachineArn",
                value=workflow.state_machine.state_machine_arn,
                description=f"Start a {job.name} job by hand: make train STATE_MACHINE_ARN=<this>",
            )
        if self.workflows:
            CfnOutput(self, "NotificationTopicArn", value=self.workflows[0].topic.topic_arn)


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
