"""Reinforcement fine-tuning as code: Nova 2 Lite learns multiplication from a reward function, not from answers.

The reward function is the user's code (``examples/rewards/multiplication.py``), tried at synth on 20 records of
the local dataset (a failing grader fails ``cdk synth``); a second grader, the model-as-judge template, shows the
judge's IAM. Try the grader on the whole dataset first with
``bedrock-ops grade --reward-function examples/rewards/multiplication.py --dataset examples/datasets/rft/train.jsonl``,
then buy the job on purpose with ``bedrock-ops train --state-machine-arn <the state machine's ARN>``.
"""

from aws_cdk import App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import (
    BedrockKmsKey,
    DatasetValidator,
    ReinforcementFineTuningWorkflow,
    RewardFunction,
    RewardTemplate,
    RftHyperparameters,
    TrainingDataBucket,
)

app = App()
stack = Stack(app, "ReinforcementFineTuning", env=Environment(region="us-east-1"))
key = BedrockKmsKey(stack, "Key")
data = TrainingDataBucket(stack, "Data", encryption_key=key)
validator = DatasetValidator(stack, "Validator", data_bucket=data, base_model="amazon.nova-micro-v1:0")
grader = RewardFunction(
    stack,
    "MultiplicationReward",
    code="examples/rewards/multiplication.py",
    dry_run_dataset="examples/datasets/rft/train.jsonl",  # tried at synth against the reference answers
)
RewardFunction(
    stack,
    "JudgeReward",
    template=RewardTemplate.MODEL_AS_JUDGE,
    judge_model_id="us.amazon.nova-pro-v1:0",
    rubric="The exact product, as a bare number, scores 10; anything else scores 0.",
)
ReinforcementFineTuningWorkflow(
    stack,
    "Multiplication",
    base_model_id="amazon.nova-2-lite-v1:0",
    reward_function=grader,
    data_bucket=data,
    training_data_key="training/rft/train.jsonl",
    training_data_file="examples/datasets/rft/train.jsonl",  # RFT record rules checked at synth
    custom_model_name="nova2-multiplication",
    hyperparameters=RftHyperparameters(epoch_count=2, batch_size=64, reasoning_effort="low"),
    custom_model_key=key,
    dataset_validator=validator,  # the uploaded dataset is checked with the RFT rules before the job is bought
)
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
