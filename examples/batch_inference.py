"""Example: a batch inference workflow over the training data bucket (synthesized by tests/app/test_examples.py).

Start a job with ``bedrock-ops batch --state-machine-arn <BatchStateMachineArn> --model <id> --input s3://...``.
"""

from aws_cdk import App, CfnOutput, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import BatchInference, DatasetValidator, TrainingDataBucket

app = App(context={"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True})
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
stack = Stack(app, "BatchInference", env=Environment(account="123456789012", region="us-east-1"))
data = TrainingDataBucket(stack, "Data")
validator = DatasetValidator(stack, "Validator", data_bucket=data, base_model="amazon.nova-micro-v1:0")
batch = BatchInference(
    stack,
    "Batch",
    bucket=data.bucket,
    models=["anthropic.claude-3-haiku-20240307-v1:0", "us.amazon.nova-micro-v1:0"],
    input_prefix="batch/input/",
    output_prefix="batch/output/",
    job_timeout_hours=48,
    dataset_validator=validator,  # input that breaks the batch-records rules never starts a job
)
CfnOutput(stack, "BatchStateMachineArn", value=batch.state_machine_arn)
CfnOutput(stack, "BatchTopicArn", value=batch.topic.topic_arn)
app.synth()
