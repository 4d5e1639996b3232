"""The reinforcement fine-tuning workflow, as synthesized, run in moto's Step Functions interpreter.

Two renderings of ``ReinforcementFineTuningWorkflow``, each with the dataset validator as its first state: one with
a template grader (``RewardTemplate.EXACT_MATCH``) and one with the user's own grader code. Each runs through
success, job failure and an invalid dataset; the ``.sync`` request is validated against the botocore model by the
harness (``tests.gates.asl``), and the grader's ARN is read back from the request Bedrock received.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_cdk import App, Environment
from aws_cdk import Stack as CdkStack
from moto.bedrock.models import bedrock_backends

from bedrock_ops.customization.reward_function import RewardFunction, RewardTemplate
from bedrock_ops.customization.rft import ReinforcementFineTuningWorkflow, RftHyperparameters
from bedrock_ops.data.training_bucket import TrainingDataBucket
from bedrock_ops.data.validator import DatasetValidator
from infra.app import cdk_json_context
from tests.gates.asl import AslEngine, Execution, JobPlan, Stack, asl_engine, stacks_of, subscribe_queue
from tests.support import ACCOUNT, REGION

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "examples" / "datasets" / "rft" / "train.jsonl"
USER_GRADER = ROOT / "examples" / "rewards" / "multiplication.py"
KEY = "training/rft/train.jsonl"
JOB = "nova2-multiplication-rft-0123456789ab"
GRADERS = {"template": "AslGateRftTemplate", "user": "AslGateRftUser"}


def _stack(app: App, name: str, grader: str) -> None:
    stack = CdkStack(app, name, env=Environment(account=ACCOUNT, region=REGION))
    data = TrainingDataBucket(stack, "Data")
    validator = DatasetValidator(stack, "Validator", data_bucket=data, base_model="amazon.nova-micro-v1:0")
    reward = (
        RewardFunction(stack, "Reward", template=RewardTemplate.EXACT_MATCH)
        if grader == "template"
        else RewardFunction(stack, "Reward", code=USER_GRADER)
    )
    ReinforcementFineTuningWorkflow(
        stack,
        "Rft",
        base_model_id="amazon.nova-2-lite-v1:0",
        reward_function=reward,
        data_bucket=data,
        training_data_key=KEY,
        custom_model_name="nova2-multiplication",
        hyperparameters=RftHyperparameters(epoch_count=2, batch_size=64, reasoning_effort="low"),
        dataset_validator=validator,
    )


@pytest.fixture(scope="module")
def rft_stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Stack]:
    app = App(context=cdk_json_context(), outdir=str(tmp_path_factory.mktemp("rft.out")))
    for grader, name in GRADERS.items():
        _stack(app, name, grader)
    return stacks_of(app.synth())


@pytest.fixture
def engine(rft_stacks: dict[str, Stack], monkeypatch: pytest.MonkeyPatch) -> Iterator[AslEngine]:
    with asl_engine(rft_stacks, monkeypatch) as engine:
        yield engine


def _machine(engine: AslEngine, stack_name: str, lines: list[str] | None = None) -> str:
    stack = engine.deployment.stack(stack_name)
    (logical_id,) = stack.logical_ids("AWS::StepFunctions::StateMachine", "Rft")
    arn = engine.state_machine(stack_name, logical_id)
    (bucket_id,) = stack.logical_ids("AWS::S3::Bucket", "DataBucket")
    bucket = engine.deployment.resolve(stack, {"Ref": bucket_id})
    body = "\n".join(lines if lines is not None else DATASET.read_text(encoding="utf-8").splitlines()) + "\n"
    boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key=KEY, Body=body.encode())
    return arn


def _topic(engine: AslEngine, stack_name: str) -> str:
    stack = engine.deployment.stack(stack_name)
    (topic_id,) = stack.logical_ids("AWS::SNS::Topic", "RftNotifications")
    return str(engine.deployment.resolve(stack, {"Ref": topic_id}))


def _grader_arn(engine: AslEngine, stack_name: str) -> str:
    stack = engine.deployment.stack(stack_name)
    (function_id,) = stack.logical_ids("AWS::Lambda::Function", "RewardGrader")
    return str(engine.deployment.resolve(stack, {"Fn::GetAtt": [function_id, "Arn"]}))


def _run(engine: AslEngine, arn: str) -> Execution:
    return engine.run(arn, {"jobName": JOB, "customModelName": JOB})


def _jobs() -> dict[str, Any]:
    return dict(bedrock_backends[ACCOUNT][REGION].model_customization_jobs)


@pytest.mark.parametrize("grader", sorted(GRADERS))
def test_job_succeeds_after_validation_and_success_is_notified(engine: AslEngine, grader: str) -> None:
    name = GRADERS[grader]
    arn = _machine(engine, name)
    notifications = subscribe_queue(_topic(engine, name))

    execution = _run(engine, arn)

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.states_entered == ["ValidateDataset", "DatasetValid", "CreateJob", "NotifySuccess"]
    validation = execution.state_output("ValidateDataset")["validation"]
    assert (validation["status"], validation["records"]) == ("passed", 120)
    assert list(_jobs()) == [JOB] and _jobs()[JOB].customization_type == "REINFORCEMENT_FINE_TUNING"
    (message,) = notifications()
    assert message["Subject"] == "Bedrock reinforcement fine-tuning job completed"
    assert json.loads(message["Message"])["job"]["Status"] == "Completed"


@pytest.mark.parametrize("grader", sorted(GRADERS))
def test_the_graders_arn_reaches_a_valid_create_request(engine: AslEngine, grader: str) -> None:
    name = GRADERS[grader]
    execution = _run(engine, _machine(engine, name))

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    (call,) = [c for c in engine.jobs.calls if c.operation == "CreateModelCustomizationJob"]
    assert call.error == ""  # the harness validated the request against botocore's model
    rft = call.params["customizationConfig"]["rftConfig"]
    assert rft["graderConfig"]["lambdaGrader"]["lambdaArn"] == _grader_arn(engine, name)
    assert rft["hyperParameters"] == {"epochCount": 2, "batchSize": 64, "reasoningEffort": "low"}
    assert call.params["customizationType"] == "REINFORCEMENT_FINE_TUNING"
    assert call.params["baseModelIdentifier"] == "amazon.nova-2-lite-v1:0:256k"


@pytest.mark.parametrize("grader", sorted(GRADERS))
def test_job_failure_is_notified_and_fails_the_execution(engine: AslEngine, grader: str) -> None:
    name = GRADERS[grader]
    arn = _machine(engine, name)
    notifications = subscribe_queue(_topic(engine, name))
    engine.jobs.plan = JobPlan(status="Failed", failure_message="reward function timed out", after_polls=2)

    execution = _run(engine, arn)

    assert execution.status == "FAILED"
    assert execution.error == "RftJobFailed"
    assert execution.states_entered[-3:] == ["CreateJob", "NotifyFailure", "JobFailed"]
    (message,) = notifications()
    assert message["Subject"] == "Bedrock reinforcement fine-tuning job failed"
    error = json.loads(message["Message"])["error"]
    assert error["Error"] == "States.TaskFailed"
    assert json.loads(error["Cause"])["FailureMessage"] == "reward function timed out"


@pytest.mark.parametrize("grader", sorted(GRADERS))
def test_an_invalid_rft_dataset_is_rejected_before_any_job(engine: AslEngine, grader: str) -> None:
    name = GRADERS[grader]
    lines = DATASET.read_text(encoding="utf-8").splitlines()
    lines[4] = json.dumps({"messages": [{"role": "user", "content": "2 x 3?"}]})  # no reference_answer
    arn = _machine(engine, name, lines)
    notifications = subscribe_queue(_topic(engine, name))

    execution = _run(engine, arn)

    assert execution.status == "FAILED"
    assert execution.states_entered == [
        "ValidateDataset",
        "DatasetValid",
        "DatasetInvalid",
        "NotifyFailure",
        "JobFailed",
    ]
    validation = execution.state_output("ValidateDataset")["validation"]
    assert (validation["status"], validation["errors"]) == ("failed", 1)
    assert engine.jobs.count("CreateModelCustomizationJob") == 0
    assert _jobs() == {}
    (message,) = notifications()
    error = json.loads(message["Message"])["error"]
    assert error["Error"] == "DatasetInvalid" and '"status":"failed"' in error["Cause"].replace(" ", "")
