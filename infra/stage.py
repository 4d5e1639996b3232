"""The stacks of one environment (dev, prod, ...), grouped in a Stage so that the same code deploys to each."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stage, Tags

from constructs import Construct
from infra.config import AppConfig, PipelineConfig
from infra.stacks import CustomizationStack, DataStack, GitHubDeployStack, ModelServingStack, ObservabilityStack


def environment_of(config: AppConfig | PipelineConfig) -> Environment:
    """The CDK environment of an app or pipeline configuration (account unset: the CLI's current account)."""
    return Environment(account=config.environment.account, region=config.environment.region)


class BedrockOpsStage(Stage):
    """Every stack the configuration asks for, in one environment (account and Region of the config)."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.config = config
        self.data = DataStack(
            self,
            "data",
            config=config,
            stack_name=f"{config.project_name}-{config.environment.name}-data",
            description="cdk-bedrock-ops: KMS key, training data bucket and Bedrock service roles",
        )
        self.customization: CustomizationStack | None = None
        if config.customization.enabled and config.customization.jobs:
            self.customization = CustomizationStack(
                self,
                "customization",
                config=config,
                data=self.data,
                stack_name=f"{config.project_name}-{config.environment.name}-customization",
                description="cdk-bedrock-ops: model customization jobs run by Step Functions",
            )
        self.observability = ObservabilityStack(
            self,
            "observability",
            config=config,
            stack_name=f"{config.project_name}-{config.environment.name}-observability",
            description="cdk-bedrock-ops: model invocation logging, alarms and dashboards",
        )
        self.models: ModelServingStack | None = None
        if config.model_access.enabled or config.provisioned_throughput.enabled:
            self.models = ModelServingStack(
                self,
                "models",
                config=config,
                stack_name=f"{config.project_name}-{config.environment.name}-models",
                description="cdk-bedrock-ops: model access and provisioned throughput",
            )
        self.github: GitHubDeployStack | None = None
        if config.github is not None:
            self.github = GitHubDeployStack(
                self,
                "github",
                config=config,
                stack_name=f"{config.project_name}-{config.environment.name}-github",
                description="cdk-bedrock-ops: GitHub Actions OIDC provider and deploy/diff roles",
            )
        Tags.of(self).add("project", config.project_name)
        Tags.of(self).add("environment", config.environment.name)
        for key, value in config.tags.items():
            Tags.of(self).add(key, value)
