"""Compose with what exists already: an imported data bucket and key, an existing provisioned throughput, custom
model and invocation logging configuration (``from_*`` importers). The IAM gate checks every statement here."""

from aws_cdk import Acknowledgment, App, Environment, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import (
    BedrockServiceRole,
    BuiltinDataset,
    CustomModel,
    CustomModelDeployment,
    DatasetValidator,
    EvaluationDataset,
    InvocationLogging,
    ModelCustomizationWorkflow,
    ModelEvaluation,
    ProvisionedThroughput,
)

ACCOUNT, REGION = "123456789012", "us-east-1"
app = App()
stack = Stack(app, "ExistingResources", env=Environment(account=ACCOUNT, region=REGION))

# The platform team's bucket and key (created in another stack or by hand): the same prefixes and grants as a
# TrainingDataBucket (training/, validation/, output/, evaluation/; DataPrefixes to choose others).
bucket = s3.Bucket.from_bucket_name(stack, "TeamData", "team-ml-data")
key = kms.Key.from_key_arn(stack, "TeamKey", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab")

BedrockServiceRole(stack, "EvaluationRole", job_type="evaluation-job", data_bucket=bucket, data_bucket_key=key)
DatasetValidator(stack, "Validator", data_bucket=bucket, data_bucket_key=key, base_model="amazon.nova-micro-v1:0")
ModelCustomizationWorkflow(
    stack,
    "Chat",
    base_model_id="amazon.nova-micro-v1:0",
    customization_type="fine-tuning",
    data_bucket=bucket,
    data_bucket_key=key,
    training_data_key="training/chat/train.jsonl",
    custom_model_name="chat",
    start_on_deploy=False,
)
ModelEvaluation(
    stack,
    "Eval",
    data_bucket=bucket,
    data_bucket_key=key,
    models=["amazon.titan-text-express-v1"],
    datasets=[EvaluationDataset(builtin=BuiltinDataset.BOOLQ)],
)

# Serving and logging that exist already: grants and metrics, nothing bought or reconfigured.
app_role = iam.Role(stack, "AppRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
throughput = ProvisionedThroughput.from_provisioned_model_arn(
    stack, "Throughput", f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/abcdefgh1234"
)
throughput.grant_invoke(app_role)
model = CustomModel.from_custom_model_arn(
    stack, "ChatModel", f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k/abcdefgh1234"
)
CustomModelDeployment(stack, "ChatDeployment", model=model, deployment_name="chat").grant_invoke(app_role)
logging = InvocationLogging.from_logging_attributes(
    stack, "OrgLogging", log_group_name="/org/bedrock/invocations", bucket_name="org-bedrock-logs", key_prefix="bedrock"
)
logging.grant_read_logs(app_role)
# The reads are the logging configuration's own log group and key prefix; the wildcards are CDK's read grants
# (Bucket.grant_read, LogGroup.grant_read) and the object keys Bedrock writes at run time.
policy = app_role.node.find_child("DefaultPolicy")
for finding, reason in {
    "AwsSolutions-IAM5[Action::s3:GetObject*]": "Bucket.grant_read: object reads (versions, tags) under the prefix",
    "AwsSolutions-IAM5[Action::s3:GetBucket*]": "Bucket.grant_read: bucket metadata of the one log bucket",
    "AwsSolutions-IAM5[Action::s3:List*]": "Bucket.grant_read: listing the one log bucket",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::org-bedrock-logs/bedrock/*]": "Bedrock names the log "
    "objects at run time, under the configuration's key prefix",
    f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:{REGION}:{ACCOUNT}:log-group:/org/bedrock/invocations:*]": (
        "the streams of the one invocation log group"
    ),
}.items():
    Validations.of(policy).acknowledge(Acknowledgment(id=finding, reason=reason))

Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
