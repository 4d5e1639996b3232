"""Model access checks for Nova Lite and Llama 3.1 8B (whose agreement is accepted in advance), and a no-commitment
provisioned throughput of one model unit for Titan Express's 8k context variant."""

from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import Commitment, ModelAccess, ProvisionedThroughput

app = App()
stack = Stack(app, "Serving", env=Environment(region="us-east-1"))
ModelAccess(stack, "Access", models=["amazon.nova-lite-v1:0", "meta.llama3-1-8b-instruct-v1:0"], accept_agreements=True)
throughput = ProvisionedThroughput(
    stack,
    "Throughput",
    model="amazon.titan-text-express-v1:0:8k",  # a context variant: a plain id fails with the variants to buy
    model_units=1,
    commitment=Commitment.NO_COMMITMENT,
)
invoker = iam.Role(stack, "Invoker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
throughput.grant_invoke(invoker)
ModelAccess.grant_marketplace_subscription(invoker)  # the first invocation of a third-party model subscribes
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
