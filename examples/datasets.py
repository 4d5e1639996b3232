"""Datasets validated before anything trains: at synth time (LocalDatasets) and when they land in S3
(DatasetValidator). An invalid local file stops this app's synthesis with the file, line and reason."""

from pathlib import Path

from aws_cdk import App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import (
    CustomizationType,
    DatasetSplit,
    DatasetValidator,
    LocalDataset,
    LocalDatasets,
    TrainingDataBucket,
)

SAMPLES = Path(__file__).resolve().parent / "datasets"

app = App()
stack = Stack(app, "Datasets", env=Environment(region="us-east-1"))
data = TrainingDataBucket(stack, "Data")

# Uploaded on deploy to training/support/train.jsonl and validation/support/validation.jsonl.
LocalDatasets(
    stack,
    "Local",
    data_bucket=data,
    datasets=[
        LocalDataset(
            name="support", path=SAMPLES / "converse-single-turn" / "train.jsonl", base_model="amazon.nova-micro-v1:0"
        ),
        LocalDataset(
            name="support",
            path=SAMPLES / "converse-single-turn" / "validation.jsonl",
            base_model="amazon.nova-micro-v1:0",
            split=DatasetSplit.VALIDATION,
        ),
    ],
)

# Every object created under training/ or validation/ is validated against Nova Micro; keys under
# training/haiku/ and validation/haiku/ against Claude 3 Haiku. Subscribe to `validator.topic` for failures.
validator = DatasetValidator(stack, "Validator", data_bucket=data, base_model="amazon.nova-micro-v1:0:128k")
validator.add_dataset(
    "haiku", base_model="anthropic.claude-3-haiku-20240307-v1:0", customization_type=CustomizationType.FINE_TUNING
)

Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
