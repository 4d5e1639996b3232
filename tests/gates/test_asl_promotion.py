"""StableEndpoint.promotion_chain, as synthesized, run in moto's Step Functions interpreter.

A small state machine made of the chain alone; the promoter Lambda runs in-process against a stateful Bedrock
(tests/gates/fake_bedrock.py) and moto's SSM (the record) and SNS (the notice). First promotion creates the
endpoint, the second swaps the model in place and keeps the previous one, promoting the current model changes
nothing, an endpoint that goes Failed fails the execution with Bedrock's message, and a retried promotion
buys nothing twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_cdk import App, Duration, Environment, RemovalPolicy
from aws_cdk import Stack as CdkStack
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from botocore.exceptions import ClientError

from bedrock_ops.serving import promotion
from bedrock_ops.serving.stable_endpoint import StableEndpoint
from infra.app import cdk_json_context
from tests.gates.asl import AslEngine, Execution, Stack, asl_engine, stacks_of, subscribe_queue
from tests.gates.fake_bedrock import FakeBedrock
from tests.support import ACCOUNT, REGION

STACK = "AslGatePromotion"
BASE_ARN = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-micro-v1:0:128k"
MODEL_A = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k/aaaaaaaaaaaa"
MODEL_B = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k/bbbbbbbbbbbb"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Stack], str, str]:
    app = App(context=cdk_json_context(), outdir=str(tmp_path_factory.mktemp("promotion.out")))
    stack = CdkStack(app, STACK, env=Environment(account=ACCOUNT, region=REGION))
    endpoint = StableEndpoint(stack, "Chat", base_model_id="amazon.nova-micro-v1:0", endpoint_name="support-chat")
    chain = endpoint.promotion_chain(
        stack, "Serve", model_arn_path="$.modelArn", scores_path="$.scores", poll_interval=Duration.seconds(30)
    )
    log_group = logs.LogGroup(stack, "Logs", removal_policy=RemovalPolicy.DESTROY)
    sfn.StateMachine(
        stack,
        "Promotion",
        definition_body=sfn.DefinitionBody.from_chainable(chain),
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL),
    )
    stacks = stacks_of(app.synth())
    machine = stacks[STACK].logical_ids("AWS::StepFunctions::StateMachine", "Promotion")
    topic = stacks[STACK].logical_ids("AWS::SNS::Topic", "Notices")
    return stacks, machine[0], topic[0]


@pytest.fixture
def bedrock() -> FakeBedrock:
    fake = FakeBedrock(polls_until_in_service=1)
    fake.custom_models.update({MODEL_A: BASE_ARN, MODEL_B: BASE_ARN})
    return fake


@pytest.fixture
def engine(
    built: tuple[dict[str, Stack], str, str], bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AslEngine]:
    stacks, _, _ = built
    with asl_engine(stacks, monkeypatch) as gate:
        gate.bedrock_stub_client = bedrock
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=parameter_name(stacks), Value=configured_record(), Type="String"
        )
        yield gate


def parameter_name(stacks: dict[str, Stack]) -> str:
    (logical_id,) = stacks[STACK].logical_ids("AWS::SSM::Parameter")
    return str(stacks[STACK].resources[logical_id]["Properties"]["Name"])


def configured_record() -> str:
    """The record as the stack's Custom::BedrockStableEndpoint leaves it after Create."""
    config = promotion.EndpointConfig(name="support-chat", base_model_id="amazon.nova-micro-v1:0")
    return promotion.Record(endpoint_kind="deployment", endpoint=config).dumps()


def record(stacks: dict[str, Stack]) -> dict[str, Any]:
    value = boto3.client("ssm", region_name=REGION).get_parameter(Name=parameter_name(stacks))["Parameter"]["Value"]
    return dict(json.loads(value))


def run(engine: AslEngine, built: tuple[dict[str, Stack], str, str], model_arn: str) -> Execution:
    _, machine, _ = built
    arn = engine.state_machine(STACK, machine)
    return engine.run(arn, {"modelArn": model_arn, "scores": {"accuracy": 0.91}}, name=f"run-{uuid.uuid4().hex[:12]}")


def test_the_first_promotion_creates_the_endpoint_and_announces_it(
    engine: AslEngine, built: tuple[dict[str, Stack], str, str], bedrock: FakeBedrock
) -> None:
    stacks, _, topic = built
    notices = subscribe_queue(engine.deployment.resolve(stacks[STACK], {"Ref": topic}))
    execution = run(engine, built, MODEL_A)
    assert execution.status == "SUCCEEDED", execution.cause
    (deployment,) = bedrock.live_deployments()
    assert deployment.model_arn == MODEL_A and deployment.name == "support-chat"
    saved = record(stacks)
    assert saved["endpointArn"] == deployment.arn
    assert saved["currentModelArn"] == MODEL_A and saved["previousModelArn"] is None
    assert saved["currentScores"] == {"accuracy": 0.91}
    (notice,) = notices()
    message = json.loads(notice["Message"])
    assert message["endpointArn"] == deployment.arn and message["currentModelArn"] == MODEL_A
    assert "WaitForEndpoint" in execution.states_entered


def test_the_second_promotion_swaps_the_model_in_place_and_keeps_the_previous_one(
    engine: AslEngine, built: tuple[dict[str, Stack], str, str], bedrock: FakeBedrock
) -> None:
    stacks, _, _ = built
    assert run(engine, built, MODEL_A).status == "SUCCEEDED"
    first_arn = record(stacks)["endpointArn"]
    execution = run(engine, built, MODEL_B)
    assert execution.status == "SUCCEEDED", execution.cause
    (deployment,) = bedrock.live_deployments()
    assert deployment.arn == first_arn and deployment.model_arn == MODEL_B
    saved = record(stacks)
    assert saved["endpointArn"] == first_arn
    assert saved["currentModelArn"] == MODEL_B and saved["previousModelArn"] == MODEL_A
    assert saved["previousScores"] == {"accuracy": 0.91}
    assert [op for op, _ in bedrock.calls].count("create_custom_model_deployment") == 1


def test_promoting_the_current_model_changes_nothing(
    engine: AslEngine, built: tuple[dict[str, Stack], str, str], bedrock: FakeBedrock
) -> None:
    stacks, _, _ = built
    assert run(engine, built, MODEL_A).status == "SUCCEEDED"
    before = record(stacks)
    calls = len(bedrock.calls)
    execution = run(engine, built, MODEL_A)
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.state_output("Promote")["promotion"]["changed"] is False
    assert record(stacks) == before
    writes = [op for op, _ in bedrock.calls[calls:] if not op.startswith("get")]
    assert writes == []


def test_an_endpoint_that_goes_failed_fails_the_execution_with_bedrocks_message(
    engine: AslEngine, built: tuple[dict[str, Stack], str, str], bedrock: FakeBedrock
) -> None:
    bedrock.failing_models.add(MODEL_A)
    execution = run(engine, built, MODEL_A)
    assert execution.status == "FAILED"
    assert execution.error == "PromotionFailed"
    assert "The custom model cannot be deployed for on-demand inference" in execution.cause


def test_a_retried_promotion_creates_nothing_twice(
    engine: AslEngine, built: tuple[dict[str, Stack], str, str], bedrock: FakeBedrock
) -> None:
    stacks, _, _ = built
    module = engine.lambdas.module("serving_promoter")
    ssm = module.clients.get("ssm")
    attempts = module.clients.retry.max_attempts

    class ThrottledWrites:
        """SSM that throttles the record write for longer than the handler retries: the task fails and the
        state machine's Retry runs it again."""

        def __init__(self) -> None:
            self.throttles = attempts

        def __getattr__(self, name: str) -> Any:
            return getattr(ssm, name)

        def put_parameter(self, **params: Any) -> Any:
            if self.throttles:
                self.throttles -= 1
                raise ClientError(
                    {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "PutParameter"
                )
            return ssm.put_parameter(**params)

    module.clients.override("ssm", ThrottledWrites())
    execution = run(engine, built, MODEL_A)
    assert execution.status == "SUCCEEDED", execution.cause
    assert [op for op, _ in bedrock.calls].count("create_custom_model_deployment") == 2
    assert len(bedrock.deployments) == 1
    assert record(stacks)["endpointArn"] == next(iter(bedrock.deployments))
