"""The train -> serve journey (issue 13), as synthesized, run in moto's Step Functions interpreter.

One stack: a data bucket, a ``ModelCustomizationWorkflow`` with ``serving=StableEndpoint(...)``. The job runs in
moto's Bedrock backend (the .sync integration emulated by tests/gates/asl.py), the promoter Lambda in-process
against the stateful fake Bedrock (deployments) and moto's SSM (the record). A successful job is promoted behind
the endpoint; a retrain swaps the model in place and keeps the previous one; a rollback (the same promotion code
the CLI runs) moves the endpoint back; a failed job promotes nothing and buys nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_cdk import App, Environment
from aws_cdk import Stack as CdkStack

from bedrock_ops import ModelCustomizationWorkflow, StableEndpoint, TrainingDataBucket
from bedrock_ops.models.facts import CustomizationType
from bedrock_ops.serving import promotion
from infra.app import cdk_json_context
from tests.gates.asl import (
    AslEngine,
    Execution,
    JobPlan,
    Stack,
    asl_engine,
    stacks_of,
    subscribe_queue,
    trained_model_arn,
)
from tests.gates.fake_bedrock import BesideMoto, FakeBedrock
from tests.support import ACCOUNT, REGION

STACK = "AslGateServingJourney"
NOVA = "amazon.nova-micro-v1:0"
BASE_ARN = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-micro-v1:0:128k"


def _model_arn(name: str) -> str:
    """The custom model a job named ``name`` trains from Nova Micro (128k), as the harness names it."""
    return trained_model_arn(name, "amazon.nova-micro-v1:0:128k")


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Stack]:
    app = App(context=cdk_json_context(), outdir=str(tmp_path_factory.mktemp("journey.out")))
    stack = CdkStack(app, STACK, env=Environment(account=ACCOUNT, region=REGION))
    endpoint = StableEndpoint(stack, "Endpoint", base_model_id=NOVA, endpoint_name="desk-chat")
    ModelCustomizationWorkflow(
        stack,
        "Chat",
        base_model_id=NOVA,
        customization_type=CustomizationType.FINE_TUNING,
        data_bucket=TrainingDataBucket(stack, "Data"),
        training_data_key="training/desk/train.jsonl",
        custom_model_name="desk",
        serving=endpoint,
        start_on_deploy=False,
    )
    return stacks_of(app.synth())


@pytest.fixture
def bedrock() -> FakeBedrock:
    fake = FakeBedrock(polls_until_in_service=1)
    fake.custom_models.update({_model_arn(name): BASE_ARN for name in ("desk-1", "desk-2", "desk-3")})
    return fake


@pytest.fixture
def engine(stacks: dict[str, Stack], bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch) -> Iterator[AslEngine]:
    with asl_engine(stacks, monkeypatch) as gate:
        gate.bedrock_stub_client = BesideMoto(bedrock, boto3.client("bedrock", region_name=REGION))
        # The record as the stack's Custom::BedrockStableEndpoint leaves it after Create.
        config = promotion.EndpointConfig(name="desk-chat", base_model_id=NOVA)
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=_parameter(stacks),
            Value=promotion.Record(endpoint_kind="deployment", endpoint=config).dumps(),
            Type="String",
            Overwrite=True,
        )
        yield gate


def _parameter(stacks: dict[str, Stack]) -> str:
    (logical_id,) = stacks[STACK].logical_ids("AWS::SSM::Parameter")
    return str(stacks[STACK].resources[logical_id]["Properties"]["Name"])


def _record(stacks: dict[str, Stack]) -> dict[str, Any]:
    value = boto3.client("ssm", region_name=REGION).get_parameter(Name=_parameter(stacks))["Parameter"]["Value"]
    return dict(json.loads(value))


def _train(engine: AslEngine, stacks: dict[str, Stack], name: str) -> Execution:
    (machine,) = stacks[STACK].logical_ids("AWS::StepFunctions::StateMachine", "Chat")
    arn = engine.state_machine(STACK, machine)
    return engine.run(arn, {"jobName": name, "customModelName": name, "trigger": "manual"}, name=name)


def _topic(engine: AslEngine, stacks: dict[str, Stack], hint: str) -> str:
    (logical_id,) = stacks[STACK].logical_ids("AWS::SNS::Topic", hint)
    return str(engine.deployment.resolve(stacks[STACK], {"Ref": logical_id}))


def test_a_trained_model_is_promoted_behind_a_new_endpoint_and_announced(
    engine: AslEngine, stacks: dict[str, Stack], bedrock: FakeBedrock
) -> None:
    notices = subscribe_queue(_topic(engine, stacks, "Notices"))
    execution = _train(engine, stacks, "desk-1")
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    entered = execution.states_entered
    assert entered.index("JobCompleted") < entered.index("Promote") < entered.index("NotifySuccess")
    (deployment,) = bedrock.live_deployments()
    assert deployment.model_arn == _model_arn("desk-1") and deployment.name == "desk-chat"
    saved = _record(stacks)
    assert saved["endpointArn"] == deployment.arn and saved["currentModelArn"] == _model_arn("desk-1")
    (notice,) = notices()
    assert json.loads(notice["Message"])["endpointArn"] == deployment.arn


def test_a_retrain_swaps_the_model_in_place_and_keeps_the_previous_one_for_rollback(
    engine: AslEngine, stacks: dict[str, Stack], bedrock: FakeBedrock
) -> None:
    assert _train(engine, stacks, "desk-1").status == "SUCCEEDED"
    endpoint_arn = _record(stacks)["endpointArn"]
    execution = _train(engine, stacks, "desk-2")
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    (deployment,) = bedrock.live_deployments()
    assert deployment.arn == endpoint_arn and deployment.model_arn == _model_arn("desk-2")
    saved = _record(stacks)
    assert (saved["currentModelArn"], saved["previousModelArn"]) == (_model_arn("desk-2"), _model_arn("desk-1"))
    assert [op for op, _ in bedrock.calls].count("create_custom_model_deployment") == 1

    # Rollback: the promoter's own task, as `bedrock-ops rollback` plans and applies it.
    (promoter,) = stacks[STACK].logical_ids("AWS::Lambda::Function", "PromoterOnEventFunction")
    promoter_arn = engine.deployment.resolve(stacks[STACK], {"Fn::GetAtt": [promoter, "Arn"]})
    answer = engine.lambdas.call(str(promoter_arn), {"action": "rollback"})
    assert answer["currentModelArn"] == _model_arn("desk-1") and answer["endpointArn"] == endpoint_arn
    statuses = [engine.lambdas.call(str(promoter_arn), {"action": "status"})["status"] for _ in range(3)]
    assert statuses[-1] == "Active", statuses  # the swap completes as the promotion chain's status loop sees it
    (deployment,) = bedrock.live_deployments()
    assert deployment.model_arn == _model_arn("desk-1")
    assert _record(stacks)["previousModelArn"] == _model_arn("desk-2")


def test_a_failed_job_promotes_nothing_and_buys_nothing(
    engine: AslEngine, stacks: dict[str, Stack], bedrock: FakeBedrock
) -> None:
    notifications = subscribe_queue(_topic(engine, stacks, "Notifications"))
    engine.jobs.plan = JobPlan(status="Failed", failure_message="Insufficient training data", after_polls=1)
    execution = _train(engine, stacks, "desk-3")
    assert execution.status == "FAILED"
    assert "Promote" not in execution.states_entered
    assert bedrock.live_deployments() == [] and bedrock.calls == []
    assert _record(stacks)["endpointArn"] is None
    (message,) = notifications()
    assert "failed" in message["Subject"]
