"""Train and serve in one stack: data -> validate -> train -> serve -> observe.

The local dataset is validated at synth and uploaded on deploy (with ``start_on_deploy=True`` the workflow's
deploy-time trigger would wait for that upload: it depends on it). After a successful job the new Nova Micro
model is promoted behind a stable endpoint (an on-demand custom model deployment: created the first time, its
model swapped in place on every retrain, the previous model kept for ``bedrock-ops rollback``) and announced on
the endpoint's topic; the endpoint's record (an SSM parameter, named in a stack output) says which model serves.
Fleet alarms watch every ModelId, the endpoint's included, although its ARN exists only at run time. Nothing
billable starts on deploy (``start_on_deploy=False``): start a job with
``bedrock-ops train --state-machine-arn <the state machine's ARN>``.
"""

from pathlib import Path

from aws_cdk import App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import (
    BedrockMonitoring,
    CustomizationType,
    LocalDataset,
    LocalDatasets,
    ModelCustomizationWorkflow,
    StableEndpoint,
    TrainingDataBucket,
)

SAMPLES = Path(__file__).resolve().parent / "datasets"
NOVA_MICRO = "amazon.nova-micro-v1:0"

app = App(context={"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True})
stack = Stack(app, "TrainAndServe", env=Environment(region="us-east-1"))
data = TrainingDataBucket(stack, "Data")
LocalDatasets(
    stack,
    "Datasets",
    data_bucket=data,
    datasets=[LocalDataset(name="desk", path=SAMPLES / "converse-single-turn" / "train.jsonl", base_model=NOVA_MICRO)],
)
endpoint = StableEndpoint(stack, "DeskChat", base_model_id=NOVA_MICRO, endpoint_name="desk-chat")
ModelCustomizationWorkflow(
    stack,
    "Desk",
    base_model_id=NOVA_MICRO,
    customization_type=CustomizationType.FINE_TUNING,
    data_bucket=data,
    training_data_key="training/desk/train.jsonl",
    training_data_file=SAMPLES / "converse-single-turn" / "train.jsonl",
    custom_model_name="desk",
    serving=endpoint,
    start_on_deploy=False,
)
BedrockMonitoring(stack, "Monitoring", alarm_emails=["ml-oncall@example.com"])
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
