"""The model customization workflows, as synthesized, run in moto's Step Functions interpreter.

Two renderings: the default app's workflows (dataset validator first, no hooks) and a library workflow with
success hooks and no validator. Each runs through success, job failure, a request Bedrock rejects
(ValidationException) and throttling; the assertions read the execution history, the notifications and
moto's Bedrock backend (exactly one job, never a second one).
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
from aws_cdk import aws_stepfunctions as sfn
from moto.bedrock.models import bedrock_backends

from bedrock_ops.customization.workflow import CustomizationHyperparameters, ModelCustomizationWorkflow
from bedrock_ops.data.training_bucket import TrainingDataBucket
from bedrock_ops.models.facts import CustomizationType
from bedrock_ops.serving import promotion
from infra.app import cdk_json_context
from tests.gates.asl import AslEngine, Execution, JobPlan, Stack, asl_engine, stacks_of, subscribe_queue
from tests.gates.fake_bedrock import BesideMoto, FakeBedrock
from tests.support import ACCOUNT, REGION

ROOT = Path(__file__).resolve().parents[2]
APP_STACK = "bedrock-ops-default-customization"
DATA_STACK = "bedrock-ops-default-data"
HOOKS_STACK = "AslGateHooks"
JOB = "service-desk-chat-0123456789ab"
FAILURE = "Max sum of input and output token length exceeds total limit"


@pytest.fixture(scope="module")
def app_stacks(default_assembly: Any) -> dict[str, Stack]:
    return stacks_of(default_assembly)


@pytest.fixture(scope="module")
def hooks_stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Stack]:
    """A library workflow with two success hooks (the second reads the model ARN) and no validator."""
    app = App(context=cdk_json_context(), outdir=str(tmp_path_factory.mktemp("hooks.out")))
    stack = CdkStack(app, HOOKS_STACK, env=Environment(account=ACCOUNT, region=REGION))
    ModelCustomizationWorkflow(
        stack,
        "Chat",
        base_model_id="amazon.titan-text-express-v1",
        customization_type=CustomizationType.FINE_TUNING,
        data_bucket=TrainingDataBucket(stack, "Data"),
        training_data_key="training/chat/train.jsonl",
        validation_data_keys=["validation/chat/validation.jsonl"],
        custom_model_name="chat-model",
        hyperparameters=CustomizationHyperparameters(epoch_count=2, batch_size=1),
        success_hooks=[
            sfn.Pass(stack, "FirstHook", result=sfn.Result.from_object({"ran": True}), result_path="$.firstHook"),
            sfn.Pass(
                stack, "ProvisionHook", parameters={"modelArn.$": "$.report.customModelArn"}, result_path="$.provision"
            ),
        ],
        start_on_deploy=False,
    )
    return stacks_of(app.synth())


@pytest.fixture
def app_engine(app_stacks: dict[str, Stack], monkeypatch: pytest.MonkeyPatch) -> Iterator[AslEngine]:
    with asl_engine(app_stacks, monkeypatch) as engine:
        # service-desk-chat serves behind a stable endpoint (config serving:): its record as the stack's
        # Custom::BedrockStableEndpoint leaves it after Create, and a Bedrock with deployments beside moto's jobs.
        engine.bedrock_stub_client = BesideMoto(
            FakeBedrock(polls_until_in_service=1), boto3.client("bedrock", region_name=REGION)
        )
        stack = engine.deployment.stack(APP_STACK)
        (parameter,) = stack.logical_ids("AWS::SSM::Parameter")
        config = promotion.EndpointConfig(name="service-desk-chat", base_model_id="amazon.nova-micro-v1:0")
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=str(stack.resources[parameter]["Properties"]["Name"]),
            Value=promotion.Record(endpoint_kind="deployment", endpoint=config).dumps(),
            Type="String",
            Overwrite=True,
        )
        yield engine


@pytest.fixture
def hooks_engine(hooks_stacks: dict[str, Stack], monkeypatch: pytest.MonkeyPatch) -> Iterator[AslEngine]:
    with asl_engine(hooks_stacks, monkeypatch) as engine:
        yield engine


def _app_machine(engine: AslEngine, *, upload: bool = True, training_lines: list[str] | None = None) -> str:
    """The service-desk-chat workflow of the default app, with its training data in moto's bucket."""
    stack = engine.deployment.stack(APP_STACK)
    (logical_id,) = stack.logical_ids("AWS::StepFunctions::StateMachine", "servicedeskchat")
    arn = engine.state_machine(APP_STACK, logical_id)
    data = engine.deployment.stack(DATA_STACK)
    (bucket_id,) = data.logical_ids("AWS::S3::Bucket", "TrainingDataBucket")
    bucket = engine.deployment.resolve(data, {"Ref": bucket_id})
    if upload:
        lines = training_lines or (ROOT / "examples/datasets/converse-single-turn/train.jsonl").read_text().splitlines()
        boto3.client("s3", region_name=REGION).put_object(
            Bucket=bucket, Key="training/service-desk-nova/train.jsonl", Body="\n".join(lines).encode()
        )
    return arn


def _hooks_machine(engine: AslEngine) -> str:
    stack = engine.deployment.stack(HOOKS_STACK)
    (logical_id,) = stack.logical_ids("AWS::StepFunctions::StateMachine")
    return engine.state_machine(HOOKS_STACK, logical_id)


def _topic(engine: AslEngine, stack_name: str) -> str:
    stack = engine.deployment.stack(stack_name)
    (topic_id,) = stack.logical_ids("AWS::SNS::Topic", "Notifications")
    return str(engine.deployment.resolve(stack, {"Ref": topic_id}))


def _run(engine: AslEngine, arn: str, job_name: str = JOB) -> Execution:
    return engine.run(arn, {"jobName": job_name, "customModelName": job_name, "trigger": "deploy"})


def _jobs() -> dict[str, Any]:
    return dict(bedrock_backends[ACCOUNT][REGION].model_customization_jobs)


# ------------------------------------------------------------------------------------ default app


def test_app_workflow_success_validates_trains_and_notifies(app_engine: AslEngine) -> None:
    arn = _app_machine(app_engine)
    notifications = subscribe_queue(_topic(app_engine, APP_STACK))

    execution = _run(app_engine, arn)

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.states_entered == [
        "Start", "ValidateDataset", "DatasetValid", "CreateJob", "DescribeJobResult", "JobCompleted",
        "Promote", "StartWaiting", "FirstStatus", "EndpointActive?", "WaitForEndpoint", "CountPoll", "KeepCount",
        "EndpointStatus", "EndpointActive?", "NotifyPromotion", "NotifySuccess",
    ]  # fmt: skip
    assert execution.state_output("ValidateDataset")["validation"]["status"] == "passed"
    job = execution.state_output("CreateJob")["job"]
    assert job["Status"] == "Completed"
    assert job["OutputModelArn"] == _jobs()[JOB].output_model_arn
    assert list(_jobs()) == [JOB]  # one job, never a second one
    assert app_engine.jobs.count("CreateModelCustomizationJob") == 1
    (message,) = notifications()
    assert message["Subject"] == f"Bedrock customization {JOB} succeeded"
    assert json.loads(message["Message"])["customModelArn"] == _jobs()[JOB].output_model_arn


def test_app_workflow_job_failure_notifies_and_fails_with_the_failure_message(app_engine: AslEngine) -> None:
    arn = _app_machine(app_engine)
    notifications = subscribe_queue(_topic(app_engine, APP_STACK))
    app_engine.jobs.plan = JobPlan(status="Failed", failure_message=FAILURE, after_polls=3)

    execution = _run(app_engine, arn)

    assert execution.status == "FAILED"
    assert (execution.error, execution.cause) == ("CustomizationFailed", FAILURE)
    assert execution.states_entered[-4:] == [
        "DescribeJobResult",
        "JobCompleted",
        "NotifyFailure",
        "CustomizationFailed",
    ]
    ((error, cause),) = execution.task_errors()
    assert error == "States.TaskFailed"  # a failed .sync job fails the task with the job's description
    assert json.loads(cause)["FailureMessage"] == FAILURE
    assert app_engine.jobs.polls[JOB] == 3
    report = execution.state_output("DescribeJobResult")["report"]
    assert (report["status"], report["succeeded"]) == ("Failed", False)
    (message,) = notifications()
    assert message["Subject"] == f"Bedrock customization {JOB} failed (Failed)"
    assert json.loads(message["Message"])["failureMessage"] == FAILURE
    assert list(_jobs()) == [JOB]


def test_app_workflow_stopped_job_takes_the_failure_path(app_engine: AslEngine) -> None:
    arn = _app_machine(app_engine)
    app_engine.jobs.plan = JobPlan(status="Stopped", failure_message="", after_polls=1)

    execution = _run(app_engine, arn)

    assert execution.status == "FAILED"
    assert execution.error == "CustomizationFailed"
    assert "NotifyFailure" in execution.states_entered
    assert "NotifySuccess" not in execution.states_entered
    assert execution.state_output("DescribeJobResult")["report"]["status"] == "Stopped"


def test_app_workflow_rejected_request_takes_the_failure_path_without_retrying(app_engine: AslEngine) -> None:
    arn = _app_machine(app_engine)
    notifications = subscribe_queue(_topic(app_engine, APP_STACK))
    bad_name = "service_desk_chat_0123456789ab"  # '_' is outside the API's jobName pattern

    execution = _run(app_engine, arn, bad_name)

    assert execution.status == "FAILED"
    ((error, cause),) = execution.task_errors()
    assert error == "Bedrock.ValidationException"
    assert f"Value '{bad_name}' at 'jobName' failed to satisfy constraint" in cause
    assert execution.error == "CustomizationFailed"
    assert f"Value '{bad_name}' at 'jobName'" in execution.cause  # the reason reaches the execution
    assert execution.state_output("DescribeJobResult")["report"]["status"] == "NotCreated"
    assert app_engine.jobs.count("CreateModelCustomizationJob") == 1  # a validation error is not retried
    assert _jobs() == {}
    assert app_engine.clock.sleeps == []
    (message,) = notifications()
    assert "failed (NotCreated)" in message["Subject"]


def test_app_workflow_retries_throttling_on_create_and_starts_one_job(app_engine: AslEngine) -> None:
    arn = _app_machine(app_engine)
    app_engine.jobs.fail_next("CreateModelCustomizationJob", "ThrottlingException", "Rate exceeded", 429, times=2)

    execution = _run(app_engine, arn)

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert [e for e, _ in execution.task_errors()] == ["Bedrock.ThrottlingException"] * 2
    assert app_engine.jobs.count("CreateModelCustomizationJob") == 3
    assert app_engine.jobs.count("CreateModelCustomizationJob", succeeded=True) == 1
    assert list(_jobs()) == [JOB]  # retrying the create call never starts a second job
    assert app_engine.clock.sleeps[:2] == [30.0, 60.0]  # IntervalSeconds 30, BackoffRate 2
    assert execution.states_entered.count("CreateJob") == 1  # retries stay inside the state


def test_app_workflow_gives_up_after_four_throttled_retries(app_engine: AslEngine) -> None:
    arn = _app_machine(app_engine)
    app_engine.jobs.fail_next("CreateModelCustomizationJob", "ThrottlingException", "Rate exceeded", 429, times=5)

    execution = _run(app_engine, arn)

    assert execution.status == "FAILED"
    assert app_engine.jobs.count("CreateModelCustomizationJob") == 5  # 1 attempt + MaxAttempts 4
    assert app_engine.clock.sleeps[:4] == [30.0, 60.0, 120.0, 240.0]
    assert execution.error == "CustomizationFailed"
    assert "Rate exceeded" in execution.cause
    assert _jobs() == {}


def test_app_workflow_invalid_dataset_stops_before_any_job(app_engine: AslEngine) -> None:
    arn = _app_machine(app_engine, training_lines=['{"prompt": "not a conversation"}', "not json"])
    notifications = subscribe_queue(_topic(app_engine, APP_STACK))

    execution = _run(app_engine, arn)

    assert execution.status == "FAILED"
    assert execution.states_entered[:5] == [
        "Start",
        "ValidateDataset",
        "DatasetValid",
        "DatasetInvalid",
        "DescribeJobResult",
    ]
    assert "CreateJob" not in execution.states_entered
    assert execution.state_output("ValidateDataset")["validation"]["status"] == "failed"
    assert execution.error == "CustomizationFailed"
    assert execution.cause.startswith("DatasetInvalid: ")
    assert app_engine.jobs.count("CreateModelCustomizationJob") == 0
    assert _jobs() == {}
    assert any("failed (NotCreated)" in m["Subject"] for m in notifications())


# ------------------------------------------------------------------------------ library with hooks


def test_hooks_workflow_success_runs_hooks_with_the_model_arn(hooks_engine: AslEngine) -> None:
    arn = _hooks_machine(hooks_engine)
    notifications = subscribe_queue(_topic(hooks_engine, HOOKS_STACK))

    execution = _run(hooks_engine, arn, "chat-model-0123456789ab")

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.states_entered == [
        "Start", "CreateJob", "DescribeJobResult", "JobCompleted", "FirstHook", "ProvisionHook", "NotifySuccess",
    ]  # fmt: skip
    model_arn = _jobs()["chat-model-0123456789ab"].output_model_arn
    assert execution.output["provision"] == {"modelArn": model_arn}
    assert execution.output["firstHook"] == {"ran": True}
    (message,) = notifications()
    assert "succeeded" in message["Subject"]


def test_hooks_workflow_job_failure_skips_the_hooks(hooks_engine: AslEngine) -> None:
    arn = _hooks_machine(hooks_engine)
    hooks_engine.jobs.plan = JobPlan(status="Failed", failure_message=FAILURE)

    execution = _run(hooks_engine, arn, "chat-model-0123456789ab")

    assert (execution.status, execution.error, execution.cause) == ("FAILED", "CustomizationFailed", FAILURE)
    assert "FirstHook" not in execution.states_entered
    assert "ProvisionHook" not in execution.states_entered


def test_hooks_workflow_retries_throttling_then_runs_the_hooks(hooks_engine: AslEngine) -> None:
    arn = _hooks_machine(hooks_engine)
    hooks_engine.jobs.fail_next("CreateModelCustomizationJob", "ThrottlingException", "Rate exceeded", 429)

    execution = _run(hooks_engine, arn, "chat-model-0123456789ab")

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert hooks_engine.jobs.count("CreateModelCustomizationJob") == 2
    assert list(_jobs()) == ["chat-model-0123456789ab"]
    assert execution.output["provision"]["modelArn"] == _jobs()["chat-model-0123456789ab"].output_model_arn


def test_hooks_workflow_rejected_request_fails_without_hooks(hooks_engine: AslEngine) -> None:
    arn = _hooks_machine(hooks_engine)

    execution = _run(hooks_engine, arn, "x" * 64)  # jobName is at most 63 characters

    assert execution.status == "FAILED"
    assert [e for e, _ in execution.task_errors()] == ["Bedrock.ValidationException"]
    assert "Member must have length between 1 and 63" in execution.cause
    assert "FirstHook" not in execution.states_entered
    assert _jobs() == {}
