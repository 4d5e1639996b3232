"""Serve a trained model: an on-demand custom model deployment of a fine-tuned Nova Micro, invoked by a Lambda
role, a copy of the same model in us-west-2, and an open-weight model imported from S3."""

from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import BedrockKmsKey, CustomModelDeployment, ImportedModel, ModelCopy, TrainingDataBucket

MODEL_ARN = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/abcdefghijkl"

app = App()
stack = Stack(app, "ServeTrained", env=Environment(account="123456789012", region="us-east-1"))
deployment = CustomModelDeployment(stack, "Chat", model=MODEL_ARN, deployment_name="support-chat")
invoker = iam.Role(stack, "Invoker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
deployment.grant_invoke(invoker)
deployment.metric_invocation_server_errors().create_alarm(stack, "ServerErrors", threshold=1, evaluation_periods=1)
ModelCopy(stack, "West", source_model=MODEL_ARN, target_regions=["us-west-2"], target_model_name="support-chat")
key = BedrockKmsKey(stack, "Key")
weights = TrainingDataBucket(stack, "Weights", encryption_key=key)
imported = ImportedModel(
    stack, "Llama", model_data_bucket=weights.bucket, model_data_prefix="models/llama-3-8b-ft/", model_data_key=key
)
imported.grant_invoke(invoker)
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
