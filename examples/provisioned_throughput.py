"""Model access for Nova Lite and a no-commitment provisioned throughput of one model unit for Titan Express."""

from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import Commitment, ModelAccess, ProvisionedThroughput

app = App()
stack = Stack(app, "Serving", env=Environment(region="us-east-1"))
ModelAccess(stack, "Access", models=["amazon.nova-lite-v1:0"])
throughput = ProvisionedThroughput(
    stack,
    "Throughput",
    model="amazon.titan-text-express-v1:0:8k",
    model_units=1,
    commitment=Commitment.NO_COMMITMENT,
)
invoker = iam.Role(stack, "Invoker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
throughput.grant_invoke(invoker)
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
