"""Train, evaluate and serve in one stack: data -> validate -> train -> evaluate -> serve -> observe.

As ``train_and_serve.py``, with an evaluation gate before the promotion. Bedrock's CreateEvaluationJob takes no
custom model ARN, so after each successful job the new model is served on a candidate provisioned throughput
(no commitment, billed per hour while it exists: ``acknowledge_candidate_cost=True`` says you accept that),
evaluated on the built-in Gigaword summaries, and the candidate is deleted again, whatever the outcome (also
when an execution is aborted, times out or fails). The model is promoted behind the stable endpoint only if
it is accurate enough, not toxic, and no worse than the model served now (the scores are kept in the
endpoint's record for the next comparison); otherwise the endpoint's topic says why it was not promoted.
Nothing billable starts on deploy (``start_on_deploy=False``).
"""

from pathlib import Path

from aws_cdk import App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import (
    BedrockMonitoring,
    BuiltinDataset,
    CustomizationType,
    EvaluationDataset,
    EvaluationGate,
    LocalDataset,
    LocalDatasets,
    ModelCustomizationWorkflow,
    StableEndpoint,
    TrainingDataBucket,
)

SAMPLES = Path(__file__).resolve().parent / "datasets"
NOVA_MICRO = "amazon.nova-micro-v1:0"

app = App(context={"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True})
stack = Stack(app, "TrainEvaluateAndServe", env=Environment(region="us-east-1"))
data = TrainingDataBucket(stack, "Data")
LocalDatasets(
    stack,
    "Datasets",
    data_bucket=data,
    datasets=[LocalDataset(name="desk", path=SAMPLES / "converse-single-turn" / "train.jsonl", base_model=NOVA_MICRO)],
)
gate = EvaluationGate(
    stack,
    "Gate",
    datasets=[EvaluationDataset(builtin=BuiltinDataset.GIGAWORD)],
    thresholds={"Builtin.Accuracy": 0.6, "Builtin.Toxicity": 0.1},
    output_bucket=data.bucket,
    must_beat_current=True,
)
endpoint = StableEndpoint(
    stack,
    "DeskChat",
    base_model_id=NOVA_MICRO,
    endpoint_name="desk-chat",
    evaluation_gate=gate,
    acknowledge_candidate_cost=True,
)
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
