"""Model customization as code: a distillation job (Nova Pro teaches Nova Micro) run by Step Functions.

Redeploying an unchanged definition starts nothing; changing it (or re-uploading the prompts) starts one
new job. Start one by hand with ``bedrock-ops train --state-machine-arn <the state machine's ARN>``.
"""

from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import (
    BedrockKmsKey,
    CustomizationHyperparameters,
    CustomizationType,
    ModelCustomizationWorkflow,
    TrainingDataBucket,
)

app = App()
stack = Stack(app, "ModelCustomization", env=Environment(region="us-east-1"))
key = BedrockKmsKey(stack, "Key")
data = TrainingDataBucket(stack, "Data", encryption_key=key)
distilled = ModelCustomizationWorkflow(
    stack,
    "DistilledServiceDesk",
    base_model_id="amazon.nova-micro-v1:0",  # sent as amazon.nova-micro-v1:0:128k, the documented id
    customization_type=CustomizationType.DISTILLATION,
    teacher_model_id="amazon.nova-pro-v1:0",  # a documented teacher of Nova Micro (checked at synth)
    max_response_length=1000,
    data_bucket=data,
    training_data_key="training/distillation/prompts.jsonl",
    training_data_file="examples/datasets/distillation/prompts.jsonl",  # format checked at synth
    custom_model_name="service-desk-distilled",
    hyperparameters=CustomizationHyperparameters(epoch_count=2, learning_rate=0.00001),
    custom_model_key=key,
    # Runs after a successful job; the new model's ARN is at $.report.customModelArn.
    success_hooks=[sfn.Pass(stack, "EvaluateHere", result_path=sfn.JsonPath.DISCARD)],
)
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
