"""BatchInference's state machine, as synthesized, run in moto's Step Functions interpreter.

The workflow validates the input with the dataset validator first, starts ``CreateModelInvocationJob`` through the
AWS SDK integration, polls ``GetModelInvocationJob`` on a Wait loop and publishes the outcome. moto has no model
invocation jobs: the harness answers them (``tests.gates.asl.InvocationJobs``), validating each request against the
botocore model, and scripts their outcome.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_cdk import App, Duration, Environment
from aws_cdk import Stack as CdkStack

from bedrock_ops.batch.workflow import BatchInference
from bedrock_ops.data.training_bucket import TrainingDataBucket
from bedrock_ops.data.validator import DatasetValidator
from infra.app import cdk_json_context
from tests.gates.asl import AslEngine, Execution, InvocationPlan, Stack, asl_engine, stacks_of, subscribe_queue
from tests.support import ACCOUNT, REGION

STACK = "AslGateBatch"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
KEY = "batch/input/nightly.jsonl"
JOB = "nightly-2026-12-01"


def _record(i: int) -> str:
    messages = [{"role": "user", "content": f"Summarise ticket {i}."}]
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": messages}
    return json.dumps({"recordId": f"T{i:010d}", "modelInput": body})


@pytest.fixture(scope="module")
def batch_stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Stack]:
    app = App(context=cdk_json_context(), outdir=str(tmp_path_factory.mktemp("batch.out")))
    stack = CdkStack(app, STACK, env=Environment(account=ACCOUNT, region=REGION))
    data = TrainingDataBucket(stack, "Data")
    validator = DatasetValidator(stack, "Validator", data_bucket=data, base_model="amazon.nova-micro-v1:0")
    BatchInference(
        stack,
        "Batch",
        bucket=data.bucket,
        models=[HAIKU],
        poll_interval=Duration.minutes(10),
        job_timeout_hours=24,
        dataset_validator=validator,
    )
    return stacks_of(app.synth())


@pytest.fixture
def engine(batch_stacks: dict[str, Stack], monkeypatch: pytest.MonkeyPatch) -> Iterator[AslEngine]:
    with asl_engine(batch_stacks, monkeypatch) as engine:
        yield engine


def _bucket(engine: AslEngine) -> str:
    stack = engine.deployment.stack(STACK)
    (bucket_id,) = stack.logical_ids("AWS::S3::Bucket", "DataBucket")
    return str(engine.deployment.resolve(stack, {"Ref": bucket_id}))


def _machine(engine: AslEngine, lines: list[str] | None = None) -> str:
    stack = engine.deployment.stack(STACK)
    (logical_id,) = stack.logical_ids("AWS::StepFunctions::StateMachine", "Batch")
    arn = engine.state_machine(STACK, logical_id)
    body = "\n".join(lines if lines is not None else [_record(i) for i in range(3)]) + "\n"
    boto3.client("s3", region_name=REGION).put_object(Bucket=_bucket(engine), Key=KEY, Body=body.encode())
    return arn


def _notifications(engine: AslEngine) -> Any:
    stack = engine.deployment.stack(STACK)
    (topic_id,) = stack.logical_ids("AWS::SNS::Topic", "BatchNotifications")
    return subscribe_queue(str(engine.deployment.resolve(stack, {"Ref": topic_id})))


def _run(engine: AslEngine, arn: str) -> Execution:
    return engine.run(arn, {"jobName": JOB, "modelId": HAIKU, "inputUri": f"s3://{_bucket(engine)}/{KEY}"})


def test_valid_input_starts_one_job_waits_and_publishes_the_output_and_counts(engine: AslEngine) -> None:
    arn = _machine(engine)
    notifications = _notifications(engine)
    engine.jobs.invocations.plan = InvocationPlan(status="Completed", after_polls=3, records=3)

    execution = _run(engine, arn)

    assert execution.status == "SUCCEEDED", (execution.error, execution.task_errors(), engine.jobs.calls)
    assert execution.states_entered[:4] == ["ValidateInput", "InputValid?", "CreateModelInvocationJob", "WaitForJob"]
    assert execution.states_entered.count("GetModelInvocationJob") == 3
    assert execution.state_output("ValidateInput")["validation"]["status"] == "passed"
    (create,) = [c for c in engine.jobs.calls if c.operation == "CreateModelInvocationJob"]
    assert create.error == ""  # valid against botocore's CreateModelInvocationJob
    assert create.params["inputDataConfig"]["s3InputDataConfig"]["s3Uri"] == f"s3://{_bucket(engine)}/{KEY}"
    assert create.params["timeoutDurationInHours"] == 24
    assert engine.clock.sleeps.count(600.0) == 3  # poll_interval, before each GetModelInvocationJob
    (message,) = notifications()
    assert message["Subject"] == "Bedrock batch inference job Completed"
    report = json.loads(message["Message"])
    # The job's output location as the request gave it (moto's interpreter renders $$.Execution.Name in
    # States.Format as null, so the execution-name segment is not asserted here).
    output = create.params["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]
    assert report["outputUri"] == output and output.startswith(f"s3://{_bucket(engine)}/batch/output/")
    counts = {k: report["job"][k] for k in ("TotalRecordCount", "SuccessRecordCount", "ErrorRecordCount")}
    assert counts == {"TotalRecordCount": 3, "SuccessRecordCount": 3, "ErrorRecordCount": 0}
    assert len(engine.jobs.invocations.jobs) == 1


def test_invalid_input_is_rejected_before_any_job(engine: AslEngine) -> None:
    lines = [_record(i) for i in range(3)]
    lines[1] = json.dumps({"recordId": "T1", "modelInput": {"prompt": "no messages"}})
    arn = _machine(engine, lines)
    notifications = _notifications(engine)

    execution = _run(engine, arn)

    assert execution.status == "FAILED"
    assert execution.error == "BatchJobNotStarted"
    assert execution.states_entered == [
        "ValidateInput",
        "InputValid?",
        "InputInvalid",
        "NotifyStartFailed",
        "NotStarted",
    ]
    assert engine.jobs.count("CreateModelInvocationJob") == 0 and engine.jobs.invocations.jobs == {}
    (message,) = notifications()
    error = json.loads(message["Message"])
    assert error["Error"] == "InputInvalid" and json.loads(error["Cause"])["status"] == "failed"
    report = boto3.client("s3", region_name=REGION).get_object(Bucket=_bucket(engine), Key=KEY + ".validation.json")
    errors = json.loads(report["Body"].read())["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(2, "modelInput")]


@pytest.mark.parametrize(
    ("status", "message"),
    [("Failed", "Input file is malformed"), ("Stopped", ""), ("Expired", "Job timed out after 24 hours")],
)
def test_a_failed_stopped_or_timed_out_job_is_notified_and_fails_the_execution(
    engine: AslEngine, status: str, message: str
) -> None:
    arn = _machine(engine)
    notifications = _notifications(engine)
    engine.jobs.invocations.plan = InvocationPlan(status=status, message=message, after_polls=2)

    execution = _run(engine, arn)

    assert execution.status == "FAILED"
    assert execution.error == "BatchJobFailed"
    assert execution.states_entered[-4:] == ["Ended?", "Report", "Notify", "Succeeded?"] or execution.states_entered[
        -5:-1
    ] == ["Ended?", "Report", "Notify", "Succeeded?"]
    (note,) = notifications()
    assert note["Subject"] == f"Bedrock batch inference job {status}"
    report = json.loads(note["Message"])
    assert report["status"] == status and report["job"].get("Message", "") == message
    assert len(engine.jobs.invocations.jobs) == 1


def test_throttling_on_create_is_retried_without_a_second_job(engine: AslEngine) -> None:
    arn = _machine(engine)
    engine.jobs.fail_next("CreateModelInvocationJob", "ThrottlingException", "Rate exceeded", 429, times=2)

    execution = _run(engine, arn)

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert [e for e, _ in execution.task_errors()] == ["Bedrock.ThrottlingException"] * 2
    assert engine.jobs.count("CreateModelInvocationJob") == 3
    assert engine.jobs.count("CreateModelInvocationJob", succeeded=True) == 1
    assert len(engine.jobs.invocations.jobs) == 1  # a throttled call created no job, the retry exactly one
    assert execution.states_entered.count("CreateModelInvocationJob") == 1


def test_throttling_on_polling_is_retried(engine: AslEngine) -> None:
    arn = _machine(engine)
    engine.jobs.fail_next("GetModelInvocationJob", "ThrottlingException", "Rate exceeded", 429, times=1)

    execution = _run(engine, arn)

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert engine.jobs.count("GetModelInvocationJob", succeeded=False) == 1
    assert len(engine.jobs.invocations.jobs) == 1
