"""A KMS key, a training data bucket and the Bedrock service roles that use them."""

from aws_cdk import App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import BedrockJobType, BedrockKmsKey, BedrockServiceRole, TrainingDataBucket

app = App()
stack = Stack(app, "TrainingData", env=Environment(region="us-east-1"))
key = BedrockKmsKey(stack, "Key")
data = TrainingDataBucket(stack, "Data", encryption_key=key)
BedrockServiceRole(stack, "CustomizationRole", data_bucket=data, custom_model_key=key)
BedrockServiceRole(stack, "EvaluationRole", job_type=BedrockJobType.EVALUATION, data_bucket=data)
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
