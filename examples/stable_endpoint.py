"""A stable endpoint that new custom models are promoted into: an on-demand deployment for fine-tuned Nova Micro
models and a provisioned throughput for Titan Text Express ones, a state machine that promotes the model it is
given (wait until Active, notify), an application role that may invoke whichever model is current, and an alarm
on server errors over every ModelId (the endpoint's ARN is known only at run time)."""

from aws_cdk import Acknowledgment, App, Environment, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import StableEndpoint

app = App()
stack = Stack(app, "StableEndpoints", env=Environment(account="123456789012", region="us-east-1"))
chat = StableEndpoint(stack, "Chat", base_model_id="amazon.nova-micro-v1:0", endpoint_name="support-chat")
summaries = StableEndpoint(
    stack,
    "Summaries",
    base_model_id="amazon.titan-text-express-v1",
    model_units=1,
    custom_model_removal_policy=RemovalPolicy.DESTROY,
)
app_role = iam.Role(stack, "AppRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
chat.grant_invoke(app_role)
chat.grant_read_record(app_role)  # the application reads the current endpoint ARN from the record
summaries.grant_invoke(app_role)
chat.metric_invocation_server_errors().create_alarm(stack, "ServerErrors", threshold=1, evaluation_periods=1)

machine_logs = logs.LogGroup(stack, "PromotionLogs", removal_policy=RemovalPolicy.DESTROY)
machine = sfn.StateMachine(
    stack,
    "PromoteChat",
    definition_body=sfn.DefinitionBody.from_chainable(
        chat.promotion_chain(stack, "Promote", model_arn_path="$.modelArn", scores_path="$.scores")
    ),
    tracing_enabled=True,
    logs=sfn.LogOptions(destination=machine_logs, level=sfn.LogLevel.ALL),
)
Validations.of(machine.role.node.find_child("DefaultPolicy")).acknowledge(
    Acknowledgment(
        id="AwsSolutions-IAM5[Resource::*]",
        reason="X-Ray tracing of the state machine (xray:PutTraceSegments and related) supports no resource-level "
        "permissions",
    )
)
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
