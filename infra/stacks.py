"""The stacks of the default app, composed from ``bedrock_ops`` constructs and wired with grants."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack

from bedrock_ops import (
    BedrockJobType,
    BedrockKmsKey,
    BedrockServiceRole,
    GitHubOidcDeployRoles,
    ModelAccess,
    ModelEvaluation,
    ProvisionedThroughput,
    TrainingDataBucket,
    load_model_catalog,
    load_pricing_table,
)
from constructs import Construct
from infra.config import AppConfig


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
        self.evaluations = add_evaluations(self, config, self.data_bucket)


def add_evaluations(stack: Stack, config: AppConfig, data_bucket: TrainingDataBucket) -> list[ModelEvaluation]:
    """The configured Bedrock model evaluation jobs, on ``data_bucket``'s ``evaluation/`` prefix.

    They live in the bucket's stack: the bucket's prefix grants are acknowledged there (across stacks, the
    cdk-nag finding ids depend on how references are exported). Each job starts when the stack deploys and
    publishes its outcome to its SNS topic (the ``<Name>TopicArn`` output: subscribe to it).
    """
    evaluations = []
    for spec in config.evaluations:
        construct_id = "Evaluation" + "".join(part.capitalize() for part in spec.name.split("-"))
        evaluation = ModelEvaluation(
            stack,
            construct_id,
            data_bucket=data_bucket,
            job_name=spec.name,
            models=spec.models_spec(),
            datasets=[d.to_dataset() for d in spec.datasets],
            evaluator_model=spec.evaluator_model,
            flow_definition_arn=spec.flow_definition_arn,
            human_metrics=spec.human_metrics_spec(),
            human_instructions=spec.human_instructions,
            judge_metrics=spec.judge_metrics_spec(),
            inference_params=spec.inference_params,
            description=spec.description,
            poll_interval=Duration.minutes(spec.poll_interval_minutes),
            run_id=spec.run_id,
        )
        evaluations.append(evaluation)
        CfnOutput(stack, f"{construct_id}JobArn", value=evaluation.job_arn)
        CfnOutput(stack, f"{construct_id}TopicArn", value=evaluation.topic.topic_arn)
    return evaluations


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
