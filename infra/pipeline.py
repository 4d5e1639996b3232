"""The GitOps pipeline: CDK Pipelines, self-mutating, source from a CodeStar (CodeConnections) connection.

The synth step runs the project's own `make test` before it synthesizes; the stages follow the pipeline
configuration in order (dev, then prod after a manual approval).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_s3 as s3

from bedrock_ops import BedrockKmsKey
from bedrock_ops._core import buckets
from bedrock_ops._core.nag import acknowledge, iam5_resource_finding
from constructs import Construct
from infra.config import ROOT, ConfigError, PipelineConfig, load_config
from infra.stage import BedrockOpsStage, environment_of

SYNTH_COMMANDS = ("make test", "make synth-pipeline PIPELINE={pipeline_file}")


class PipelineStack(Stack):
    """A self-mutating CodePipeline that tests, synthesizes and deploys every configured environment."""

    def __init__(self, scope: Construct, id: str, *, config: PipelineConfig, pipeline_file: str, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        source = pipelines.CodePipelineSource.connection(
            config.source.repository, config.source.branch, connection_arn=config.source.connection_arn
        )
        self.synth_step = pipelines.ShellStep(
            "Synth",
            input=source,
            install_commands=["n 22 >/dev/null 2>&1 || true", "python3.11 --version", "node --version"],
            commands=[c.format(pipeline_file=pipeline_file) for c in SYNTH_COMMANDS],
            primary_output_directory="cdk.out",
        )
        key = BedrockKmsKey(self, "ArtifactKey", description="cdk-bedrock-ops pipeline artifacts")
        access_logs = buckets.access_log_bucket(
            self,
            "ArtifactAccessLogs",
            destination_of="the pipeline artifact bucket",
            removal_policy=RemovalPolicy.RETAIN,
        )
        artifacts = buckets.kms_bucket(
            self,
            "Artifacts",
            encryption_key=key,
            access_logs=access_logs,
            access_log_prefix="artifacts/",
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30))],
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=config.name,
            synth=self.synth_step,
            self_mutation=True,
            artifact_bucket=artifacts,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=codebuild.LinuxBuildImage.STANDARD_7_0,
                    compute_type=codebuild.ComputeType.MEDIUM,
                ),
                timeout=Duration.minutes(60),
            ),
        )
        for stage in config.stages:
            stage_file = ROOT / stage.config
            stage_config = load_config(stage_file)
            if stage_config.environment.account is None:
                raise ConfigError(
                    f"{stage_file}: environment.account: a pipeline stage needs an explicit 12-digit account (got None)"
                )
            name = stage_config.environment.name
            pre = [pipelines.ManualApprovalStep(f"PromoteTo-{name}")] if stage.manual_approval else []
            self.pipeline.add_stage(
                BedrockOpsStage(self, name, config=stage_config, env=environment_of(stage_config)), pre=pre
            )
        # Build now rather than at synthesis, so that cdk-nag and the acknowledgments below see the pipeline.
        self.pipeline.build_pipeline()
        self._acknowledge_pipeline_findings(artifacts)

    def _acknowledge_pipeline_findings(self, artifacts: s3.Bucket) -> None:
        """CDK Pipelines' own grants, each finding acknowledged with why it is as narrow as it can be."""
        artifact_reason = (
            "CDK Pipelines grants its roles read/write on the pipeline's own artifact bucket; artifact object "
            "names are generated per execution, and the bucket holds nothing else."
        )
        for action in ("s3:Abort*", "s3:DeleteObject*", "s3:GetBucket*", "s3:GetObject*", "s3:List*"):
            acknowledge(self.pipeline, f"AwsSolutions-IAM5[Action::{action}]", artifact_reason)
        acknowledge(self.pipeline, iam5_resource_finding(self, artifacts.arn_for_objects("*")), artifact_reason)
        for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
            acknowledge(
                self.pipeline,
                f"AwsSolutions-IAM5[Action::{action}]",
                "CDK Pipelines encrypts artifacts with the pipeline's own artifact key; the grant names that key.",
            )
        for project in (c for c in self.pipeline.node.find_all() if isinstance(c, codebuild.Project)):
            self._acknowledge_codebuild_output(
                f"{project.project_name}:*",
                f"{project.project_name}-*",
                "CodeBuild names log streams and report groups at run time; the grant is scoped to this "
                "one build project's log group and report groups.",
            )
        self._acknowledge_codebuild_output(
            "*",
            "*",
            "The asset-publishing role of CDK Pipelines serves one CodeBuild project per asset, named at "
            "synthesis; it writes only CodeBuild logs and reports of this account and Region.",
        )
        acknowledge(
            self.pipeline,
            f"AwsSolutions-IAM5[Resource::arn:*:iam::{self.account}:role/*]",
            "Self-mutation assumes the CDK bootstrap roles of this account, whose names carry the Region; CDK "
            "Pipelines conditions the statement on the aws-cdk:bootstrap-role resource tag.",
        )
        acknowledge(
            self.pipeline,
            "AwsSolutions-IAM5[Resource::*]",
            "Self-mutation calls cloudformation:DescribeStacks and s3:ListBucket the way the CDK CLI does; these "
            "read-only calls are not scoped by the CLI's own policy either.",
        )

    def _acknowledge_codebuild_output(self, log_group_suffix: str, report_group: str, reason: str) -> None:
        """Acknowledge the wildcard on CodeBuild's ``/aws/codebuild/<suffix>`` logs and ``<report_group>``."""
        for arn in (
            self.format_arn(
                service="logs",
                resource="log-group",
                resource_name=f"/aws/codebuild/{log_group_suffix}",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            ),
            self.format_arn(service="codebuild", resource="report-group", resource_name=report_group),
        ):
            acknowledge(self.pipeline, iam5_resource_finding(self, arn), reason)
