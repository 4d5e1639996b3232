"""Bedrock model evaluation jobs: automatic on a built-in dataset, and LLM-as-a-judge with a metric of your own."""

from aws_cdk import App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import (
    BuiltinDataset,
    EvaluationDataset,
    EvaluationTaskType,
    JudgeMetric,
    ModelEvaluation,
    TrainingDataBucket,
)

app = App()
stack = Stack(app, "ModelEvaluation", env=Environment(region="us-east-1"))
data = TrainingDataBucket(stack, "Data")
ModelEvaluation(
    stack,
    "TitanQa",
    data_bucket=data,
    models=["amazon.titan-text-express-v1"],
    datasets=[EvaluationDataset(builtin=BuiltinDataset.BOOLQ, task_type=EvaluationTaskType.QUESTION_AND_ANSWER)],
)
ModelEvaluation(
    stack,
    "SupportAnswersJudged",
    data_bucket=data,
    models=["amazon.nova-lite-v1:0"],
    evaluator_model="amazon.nova-pro-v1:0",
    judge_metrics=[
        JudgeMetric(
            "FollowsRunbook",
            "Does the answer {{prediction}} to {{prompt}} follow the IT runbook? Answer yes or no.",
            rating_scale=[("Follows the runbook", 1.0), ("Does not", 0.0)],
        )
    ],
    datasets=[EvaluationDataset(key="support/prompts.jsonl", metric_names=["Builtin.Correctness", "FollowsRunbook"])],
)
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
