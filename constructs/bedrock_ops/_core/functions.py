"""The Lambda functions behind the library's constructs, built one way: nag-clean and least privilege."""

from __future__ import annotations

from collections.abc import Mapping

import jsii
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from bedrock_ops._core import nag
from bedrock_ops._core.staging import handler_code
from constructs import Construct

#: The newest Python runtime aws-cdk-lib knows (cdk-nag AwsSolutions-L1 asks for the latest).
RUNTIME = lambda_.Runtime.PYTHON_3_14


@jsii.implements(iam.IGrantable)
class HandlerFunction(Construct):
    """A Python Lambda function from ``lambda/<handler>/index.py``.

    - the latest Python runtime, arm64, X-Ray active tracing;
    - its own log group (default retention one year) and a role with no managed policies: the role may
      write only to that log group (and X-Ray), add what the handler needs with grants or
      ``role.add_to_principal_policy``;
    - boto3 comes from the Lambda runtime, so assets stay small (stdlib + boto3 handlers); the asset is the
      handler's ``index.py`` with the handler runtime beside it, staged at synth (``_core.staging``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        handler: str,
        description: str,
        entry: str = "index.on_event",
        environment: Mapping[str, str] | None = None,
        timeout: Duration = Duration.minutes(1),
        memory_size: int = 256,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        code: lambda_.Code | None = None,
        role: iam.Role | None = None,
    ) -> None:
        """
        :param handler: the folder under ``lambda/`` holding ``index.py``.
        :param description: what the function does (shown in the console).
        :param entry: the ``module.function`` entry point (default: ``index.on_event``).
        :param environment: environment variables (default: none besides the log level).
        :param timeout: 1 s-15 min (default: 1 minute).
        :param memory_size: 128-10240 MB (default: 256).
        :param log_retention: how long logs are kept (default: one year).
        :param code: the code to run (default: ``lambda/<handler>/index.py`` and the handler runtime, staged).
        :param role: a role to share with a sibling function of the same handler (default: a new role).
        """
        super().__init__(scope, id)
        if not 128 <= memory_size <= 10240:
            raise ValueError(f"memory_size must be 128-10240 MB, got {memory_size}")
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY)
        self.role = role or iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {description}"[:1000],
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=entry,
            code=code or handler_code(handler),
            description=description,
            environment={"LOG_LEVEL": "INFO", **(environment or {})},
            timeout=timeout,
            memory_size=memory_size,
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
        )
        # X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions.
        policy = self.role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        nag.acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "xray:PutTraceSegments and xray:PutTelemetryRecords (added by active tracing) support no "
            "resource-level permissions; every other statement of this role names its resources.",
        )
        nag.acknowledge(
            policy,
            nag.iam5_resource_finding(self, f"{self.log_group.log_group_arn}:*"),
            "Lambda writes to log streams it names at run time inside its own log group; the grant is "
            "scoped to that one log group.",
        )

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The function's role."""
        return self.role.grant_principal

    @property
    def function_arn(self) -> str:
        """The function's ARN."""
        return self.function.function_arn
