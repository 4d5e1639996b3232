"""``RewardFunction`` and ``ReinforcementFineTuningWorkflow``: the grader, its grants, the .sync RFT job request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from bedrock_ops import (
    ReinforcementFineTuningWorkflow,
    RewardFunction,
    RewardTemplate,
    RftHyperparameters,
    TrainingDataBucket,
)
from tests.support import new_stack

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "examples" / "datasets" / "rft" / "train.jsonl"
CODE = ROOT / "examples" / "rewards" / "multiplication.py"
NOVA2 = "amazon.nova-2-lite-v1:0"


def workflow(stack: Stack, **props: Any) -> ReinforcementFineTuningWorkflow:
    grader = props.pop("reward_function", None) or RewardFunction(
        stack, "Grader", template=RewardTemplate.NUMERIC_TOLERANCE
    )
    defaults: dict[str, Any] = {
        "base_model_id": NOVA2,
        "reward_function": grader,
        "data_bucket": TrainingDataBucket(stack, "Data"),
        "training_data_key": "training/rft/train.jsonl",
        "custom_model_name": "nova2-math",
    }
    return ReinforcementFineTuningWorkflow(stack, "Rft", **{**defaults, **props})


def definition(stack: Stack) -> dict[str, Any]:
    machine = next(iter(Template.from_stack(stack).find_resources("AWS::StepFunctions::StateMachine").values()))
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    parsed: dict[str, Any] = json.loads("".join(p if isinstance(p, str) else "TOKEN" for p in parts))
    return parsed


def test_the_job_state_is_the_sync_integration_with_the_rft_request() -> None:
    stack = new_stack()
    wf = workflow(
        stack, hyperparameters=RftHyperparameters(epoch_count=3, learning_rate=1e-5, reasoning_effort="medium")
    )
    state = definition(stack)["States"]["CreateJob"]
    assert state["Resource"] == "arn:aws:states:::bedrock:createModelCustomizationJob.sync"
    params = state["Parameters"]
    assert params["CustomizationType"] == "REINFORCEMENT_FINE_TUNING"
    assert params["BaseModelIdentifier"] == "amazon.nova-2-lite-v1:0:256k"
    assert params["CustomizationConfig"]["RftConfig"]["HyperParameters"] == {
        "EpochCount": 3,
        "LearningRate": 1e-05,
        "ReasoningEffort": "medium",
    }
    assert "LambdaArn" in params["CustomizationConfig"]["RftConfig"]["GraderConfig"]["LambdaGrader"]
    assert wf.hyperparameters == {"epochCount": 3, "learningRate": 1e-05, "reasoningEffort": "medium"}


def test_the_customization_role_alone_may_invoke_the_grader() -> None:
    stack = new_stack()
    wf = workflow(stack)
    template = Template.from_stack(stack)
    invokes = [
        name
        for name, policy in template.find_resources("AWS::IAM::Policy").items()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "lambda:InvokeFunction"
    ]
    role_policy = stack.get_logical_id(wf.service_role.role.node.find_child("DefaultPolicy").node.default_child)  # type: ignore[arg-type]
    assert invokes == [role_policy]
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": "lambda:InvokeFunction",
                            "Effect": "Allow",
                            "Resource": {"Fn::GetAtt": [Match.string_like_regexp("^GraderFunction"), "Arn"]},
                        }
                    ]
                )
            }
        },
    )
    template.resource_count_is("AWS::Lambda::Permission", 0)


def test_an_imported_lambda_can_be_the_grader() -> None:
    stack = new_stack()
    imported = lambda_.Function.from_function_arn(
        stack, "Mine", "arn:aws:lambda:us-east-1:123456789012:function:my-grader"
    )
    workflow(stack, reward_function=imported)
    assert definition(stack)["States"]["CreateJob"]["Parameters"]["CustomizationConfig"]["RftConfig"][
        "GraderConfig"
    ] == {"LambdaGrader": {"LambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:my-grader"}}


def test_a_model_without_rft_is_refused() -> None:
    with pytest.raises(ValueError, match=r"amazon.nova-micro-v1:0 does not support REINFORCEMENT_FINE_TUNING"):
        workflow(new_stack(), base_model_id="amazon.nova-micro-v1:0")


def test_a_hyperparameter_out_of_range_names_it_the_model_and_the_range() -> None:
    with pytest.raises(ValueError, match=r"batchSize for amazon.nova-2-lite-v1:0 must be 16-512, got 8"):
        workflow(new_stack(), hyperparameters=RftHyperparameters(batch_size=8))


def test_reasoning_effort_is_one_of_the_documented_levels() -> None:
    with pytest.raises(ValueError, match=r"reasoningEffort .* must be one of low, medium, high, got 'max'"):
        workflow(new_stack(), hyperparameters=RftHyperparameters(reasoning_effort="max"))


def test_a_region_without_rft_is_refused() -> None:
    from aws_cdk import App, Environment

    stack = Stack(App(), "West", env=Environment(account="123456789012", region="us-west-2"))
    with pytest.raises(ValueError, match="runs in us-east-1, not in this stack's Region us-west-2"):
        workflow(stack)


def test_the_local_dataset_is_checked_at_synth(tmp_path: Path) -> None:
    bad = tmp_path / "rft.jsonl"
    bad.write_text(json.dumps({"messages": [{"role": "user", "content": "q"}]}) + "\n")
    with pytest.raises(
        ValueError, match=r"training_data_file .*rft.jsonl: 2 errors: line 1: reference_answer: required"
    ):
        workflow(new_stack(), training_data_file=bad)


def test_prompts_are_checked_against_max_prompt_length(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exceeds maxPromptLength 2"):
        workflow(new_stack(), training_data_file=DATASET, hyperparameters=RftHyperparameters(max_prompt_length=2))


def test_data_keys_must_be_under_the_prefixes_the_role_reads() -> None:
    with pytest.raises(ValueError, match=r"data key 'rft/train.jsonl' must start with 'training/'"):
        workflow(new_stack(), training_data_key="rft/train.jsonl")


def test_the_state_machine_carries_the_name_tags_bedrock_ops_train_reads() -> None:
    stack = new_stack()
    workflow(stack)
    tags = next(iter(Template.from_stack(stack).find_resources("AWS::StepFunctions::StateMachine").values()))[
        "Properties"
    ]["Tags"]
    assert {"Key": "bedrock-ops:model-name-prefix", "Value": "nova2-math"} in tags


def test_reward_function_timeout_defaults_to_five_minutes_and_stops_at_fifteen() -> None:
    stack = new_stack()
    RewardFunction(stack, "G", template=RewardTemplate.EXACT_MATCH)
    Template.from_stack(stack).has_resource_properties(
        "AWS::Lambda::Function", {"Timeout": 300, "Handler": "index.lambda_handler"}
    )
    with pytest.raises(ValueError, match="timeout must be 1 second-15 minutes"):
        RewardFunction(stack, "Slow", template=RewardTemplate.EXACT_MATCH, timeout=Duration.minutes(16))


def test_reward_function_takes_a_template_or_code_not_both() -> None:
    with pytest.raises(ValueError, match="give exactly one of template= and code="):
        RewardFunction(new_stack(), "G", template=RewardTemplate.EXACT_MATCH, code=CODE)


def test_template_settings_reach_the_function_environment() -> None:
    stack = new_stack()
    RewardFunction(stack, "G", template=RewardTemplate.REGEX, pattern=r"^\d+$")
    Template.from_stack(stack).has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": Match.object_like({"REWARD_TEMPLATE": "regex", "REWARD_CONFIG": '{"pattern":"^\\\\d+$"}'})
            }
        },
    )


def test_the_judge_may_invoke_its_model_only() -> None:
    stack = new_stack()
    RewardFunction(stack, "Judge", template=RewardTemplate.MODEL_AS_JUDGE, judge_model_id="amazon.nova-pro-v1:0")
    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": "bedrock:InvokeModel",
                            "Effect": "Allow",
                            "Resource": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0",
                        }
                    ]
                )
            }
        },
    )


def test_the_judge_model_must_be_known() -> None:
    with pytest.raises(ValueError, match=r"judge_model_id 'amazon.nova-pr-v1:0' is not a known"):
        RewardFunction(new_stack(), "J", template=RewardTemplate.MODEL_AS_JUDGE, judge_model_id="amazon.nova-pr-v1:0")


def test_user_code_is_staged_beside_the_handler_and_each_grader_gets_its_own_asset() -> None:
    stack = new_stack()
    RewardFunction(stack, "Code", code=CODE)
    RewardFunction(stack, "Template", template=RewardTemplate.EXACT_MATCH)
    keys = {
        f["Properties"]["Code"]["S3Key"]
        for f in Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    }
    assert len(keys) == 2  # before the staging fix both functions shared the first one's asset


def test_the_dry_run_grades_the_local_dataset_at_synth() -> None:
    grader = RewardFunction(new_stack(), "Code", code=CODE, dry_run_dataset=DATASET, dry_run_samples=5)
    assert grader.dry_run_report is not None and grader.dry_run_report.scores == [1.0] * 5


def test_a_failing_dry_run_fails_synth_with_the_lines(tmp_path: Path) -> None:
    code = tmp_path / "broken.py"
    code.write_text("def reward(response, sample):\n    raise KeyError('answer')\n")
    with pytest.raises(ValueError, match="failed the dry run: line 1: the reward function raised KeyError"):
        RewardFunction(new_stack(), "Code", code=code, dry_run_dataset=DATASET)


def test_the_judge_has_no_dry_run() -> None:
    with pytest.raises(ValueError, match="MODEL_AS_JUDGE template calls Bedrock and cannot run at synth"):
        RewardFunction(
            new_stack(),
            "J",
            template=RewardTemplate.MODEL_AS_JUDGE,
            judge_model_id="amazon.nova-pro-v1:0",
            dry_run_dataset=DATASET,
        )


def test_the_general_workflow_refuses_rft() -> None:
    from bedrock_ops import CustomizationType, ModelCustomizationWorkflow

    stack = new_stack()
    with pytest.raises(ValueError, match="use ReinforcementFineTuningWorkflow"):
        ModelCustomizationWorkflow(
            stack,
            "W",
            base_model_id=NOVA2,
            customization_type=CustomizationType.REINFORCEMENT_FINE_TUNING,
            data_bucket=TrainingDataBucket(stack, "D"),
            training_data_key="training/x.jsonl",
            custom_model_name="x",
        )


def test_a_dataset_validator_needs_the_training_key_under_a_dataset_name() -> None:
    from aws_cdk import App, Environment, Stack

    from bedrock_ops import DatasetValidator, RewardFunction, RewardTemplate, TrainingDataBucket
    from bedrock_ops.customization.rft import ReinforcementFineTuningWorkflow

    stack = Stack(App(), "Rft", env=Environment(account="123456789012", region="us-east-1"))
    data = TrainingDataBucket(stack, "Data")
    validator = DatasetValidator(stack, "Validator", data_bucket=data, base_model="amazon.nova-micro-v1:0")
    reward = RewardFunction(stack, "Reward", template=RewardTemplate.EXACT_MATCH)
    with pytest.raises(ValueError, match=r"with a dataset_validator the key goes under 'training/<dataset>/'"):
        ReinforcementFineTuningWorkflow(
            stack,
            "Job",
            base_model_id="amazon.nova-2-lite-v1:0",
            reward_function=reward,
            data_bucket=data,
            training_data_key="training/train.jsonl",
            custom_model_name="m",
            dataset_validator=validator,
        )
