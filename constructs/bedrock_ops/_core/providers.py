"""One CDK ``Provider`` per stack per kind of custom resource, however many resources use it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import CfnResource, CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr

from bedrock_ops._core import nag
from bedrock_ops._core.functions import HandlerFunction
from constructs import Construct


class ProviderHandle(Construct):
    """The singleton provider of one kind of custom resource in a stack (see :func:`singleton_provider`).

    Add what the handler may do to :attr:`on_event_role` (shared with ``is_complete``), then create
    resources with :meth:`resource`.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        handler: str,
        description: str,
        is_complete: bool,
        query_interval: Duration,
        total_timeout: Duration,
        timeout: Duration,
        environment: Mapping[str, str] | None,
        code: lambda_.Code | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.on_event_function = HandlerFunction(
            self,
            "OnEvent",
            handler=handler,
            description=description,
            timeout=timeout,
            environment=environment,
            code=code,
        )
        self.on_event_role: iam.Role = self.on_event_function.role
        self.is_complete_function: HandlerFunction | None = None
        if is_complete:
            self.is_complete_function = HandlerFunction(
                self,
                "IsComplete",
                handler=handler,
                description=f"{description} (completion check)",
                entry="index.is_complete",
                timeout=timeout,
                environment=environment,
                role=self.on_event_role,
                code=code,
            )

        # The framework's own functions get a role and log group of ours: the default role carries the
        # AWSLambdaBasicExecutionRole managed policy.
        framework_logs = logs.LogGroup(
            self, "FrameworkLogs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.DESTROY
        )
        # Two roles: one shared by all three framework functions makes a dependency cycle through the waiter.
        framework_roles = [
            iam.Role(
                self,
                role_id,
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"CDK provider framework ({what}) for: {description}"[:1000],
            )
            for role_id, what in (("FrameworkOnEventRole", "onEvent"), ("FrameworkWaiterRole", "waiter"))
        ][: 2 if is_complete else 1]
        for role in framework_roles:
            framework_logs.grant_write(role)
        self.provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=self.on_event_function.function,
            is_complete_handler=self.is_complete_function.function if self.is_complete_function else None,
            query_interval=query_interval if is_complete else None,
            total_timeout=total_timeout if is_complete else None,
            framework_on_event_role=framework_roles[0],
            framework_complete_and_timeout_role=framework_roles[1] if is_complete else None,
            log_group=framework_logs,
            disable_waiter_state_machine_logging=False if is_complete else None,
            waiter_state_machine_log_options=(
                cr.LogOptions(
                    destination=logs.LogGroup(
                        self,
                        "WaiterLogs",
                        retention=logs.RetentionDays.ONE_YEAR,
                        removal_policy=RemovalPolicy.DESTROY,
                    ),
                    level=sfn.LogLevel.ALL,
                    include_execution_data=False,
                )
                if is_complete
                else None
            ),
        )
        self._acknowledge_framework_findings(framework_roles, framework_logs)

    @property
    def service_token(self) -> str:
        """The token that ``CustomResource(service_token=...)`` needs."""
        return self.provider.service_token

    def resource(
        self,
        scope: Construct,
        id: str,
        *,
        resource_type: str,
        properties: Mapping[str, Any],
        service_timeout: Duration = Duration.minutes(5),
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> CustomResource:
        """A custom resource served by this provider.

        :param resource_type: ``Custom::Something``.
        :param properties: the resource properties the handler receives.
        :param service_timeout: how long CloudFormation waits for the provider before it fails the resource,
            1 s-1 h (default: 5 minutes, so that a crashed handler fails the stack in minutes, not an hour).
        """
        seconds = int(service_timeout.to_seconds())
        if not 1 <= seconds <= 3600:
            raise ValueError(f"service_timeout must be 1-3600 seconds, got {seconds}")
        resource = CustomResource(
            scope,
            id,
            service_token=self.service_token,
            resource_type=resource_type,
            properties=dict(properties),
            removal_policy=removal_policy,
        )
        # Rendered as a number: the `service_timeout` prop renders a string, which CloudFormation's
        # validation warns about (W9003).
        cfn = resource.node.default_child
        assert isinstance(cfn, CfnResource)
        cfn.add_property_override("ServiceTimeout", seconds)
        return resource

    def _acknowledge_framework_findings(self, framework_roles: list[iam.Role], framework_logs: logs.LogGroup) -> None:
        handlers = [self.on_event_function]
        if self.is_complete_function is not None:
            handlers.append(self.is_complete_function)
        framework_fns = [
            child
            for child in self.provider.node.children
            if isinstance(child, lambda_.Function) and child.node.id.startswith("framework-")
        ]
        policies = [role.node.try_find_child("DefaultPolicy") for role in framework_roles]
        waiter = self.provider.node.try_find_child("waiter-state-machine")
        if waiter is not None:
            waiter_role = waiter.node.try_find_child("Role")
            assert waiter_role is not None
            policies.append(waiter_role.node.try_find_child("DefaultPolicy"))
            nag.acknowledge(
                waiter,
                "AwsSolutions-SF2",
                "The CDK provider framework's waiter only invokes the isComplete Lambda on a schedule; the "
                "Provider API offers no tracing switch, and the handlers themselves run with X-Ray active.",
            )
        for policy in policies:
            assert policy is not None
            for fn in [*(h.function for h in handlers), *framework_fns]:
                nag.acknowledge(
                    policy,
                    nag.iam5_resource_finding(self, f"{fn.function_arn}:*"),
                    "The CDK provider framework may invoke the handler's versions and aliases "
                    "(lambda:InvokeFunction on <function arn>:*); the grant names this one function.",
                )
            nag.acknowledge(
                policy,
                nag.iam5_resource_finding(self, f"{framework_logs.log_group_arn}:*"),
                "The framework functions write to log streams named at run time inside their own log group.",
            )
            nag.acknowledge(
                policy,
                "AwsSolutions-IAM5[Resource::*]",
                "CloudWatch Logs vended-log delivery for the waiter state machine (logs:CreateLogDelivery and "
                "related) and X-Ray support no resource-level permissions.",
            )


def singleton_provider(
    scope: Construct,
    *,
    kind: str,
    handler: str,
    description: str,
    is_complete: bool = False,
    query_interval: Duration = Duration.seconds(30),
    total_timeout: Duration = Duration.minutes(30),
    timeout: Duration = Duration.minutes(5),
    environment: Mapping[str, str] | None = None,
    code: lambda_.Code | None = None,
) -> ProviderHandle:
    """Return the provider for custom resources of ``kind`` in ``scope``'s stack, creating it on first use.

    :param kind: a short PascalCase name, unique per kind of resource (e.g. ``"ProvisionedThroughput"``).
    :param handler: the folder under ``lambda/`` whose ``index.py`` has ``on_event`` (and ``is_complete``).
    :param is_complete: whether the provider polls ``index.is_complete`` until the work is done.
    :param query_interval: how often ``is_complete`` is called (default: 30 s).
    :param total_timeout: how long the provider waits before it fails the resource (default: 30 min;
        CloudFormation itself gives up after one hour).
    :param timeout: the timeout of each handler invocation (default: 5 minutes).
    :param environment: environment variables of the handler functions.
    :param code: the handlers' code (default: the ``lambda/<handler>`` folder as an asset).
    """
    if not kind.isidentifier():
        raise ValueError(f"kind must be a PascalCase identifier such as 'ProvisionedThroughput', got {kind!r}")
    stack = Stack.of(scope)
    construct_id = f"BedrockOps{kind}Provider"
    existing = stack.node.try_find_child(construct_id)
    if existing is not None:
        if not isinstance(existing, ProviderHandle):
            raise ValueError(f"{construct_id} already exists in {stack.stack_name} and is not a provider")
        return existing
    return ProviderHandle(
        stack,
        construct_id,
        handler=handler,
        description=description,
        is_complete=is_complete,
        query_interval=query_interval,
        total_timeout=total_timeout,
        timeout=timeout,
        environment=environment,
        code=code,
    )
