"""Train -> evaluate -> serve (issue 13, item 2a), as synthesized, run in moto's Step Functions interpreter.

One stack: a data bucket, an ``EvaluationGate`` and a ``StableEndpoint(evaluation_gate=...)`` behind a
``ModelCustomizationWorkflow``. CreateEvaluationJob takes no custom model ARN, so each trained model is served for
its evaluation on a candidate provisioned throughput, which must be gone afterwards on every path: passed (then
promoted with its scores), not passed (not promoted, notified), the candidate failing, an aborted execution.
The job runs in moto's Bedrock backend, the promoters and the gate's function in-process against the stateful
fake Bedrock (throughputs, deployments, evaluation jobs writing their results to moto's S3) and moto's SSM.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_cdk import App, Environment
from aws_cdk import Stack as CdkStack

from bedrock_ops import (
    BuiltinDataset,
    EvaluationDataset,
    EvaluationGate,
    ModelCustomizationWorkflow,
    StableEndpoint,
    TrainingDataBucket,
)
from bedrock_ops.models.facts import CustomizationType
from bedrock_ops.serving import promotion
from infra.app import cdk_json_context
from tests.gates.asl import AslEngine, Execution, Stack, asl_engine, stacks_of, subscribe_queue, trained_model_arn
from tests.gates.fake_bedrock import BesideMoto, FakeBedrock, ScriptedEvaluations
from tests.support import ACCOUNT, REGION

STACK = "AslGateGatedServing"
NOVA = "amazon.nova-micro-v1:0"
BASE_ARN = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-micro-v1:0:128k"
PASSING = {"Accuracy": 0.72, "Toxicity": 0.04}
NAMES = ("desk-1", "desk-2", "desk-3")


def _model_arn(name: str) -> str:
    """The custom model a job named ``name`` trains from Nova Micro (128k), as the harness names it."""
    return trained_model_arn(name, "amazon.nova-micro-v1:0:128k")


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Stack]:
    app = App(context=cdk_json_context(), outdir=str(tmp_path_factory.mktemp("gated.out")))
    stack = CdkStack(app, STACK, env=Environment(account=ACCOUNT, region=REGION))
    data = TrainingDataBucket(stack, "Data")
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
        "Endpoint",
        base_model_id=NOVA,
        endpoint_name="desk-chat",
        evaluation_gate=gate,
        acknowledge_candidate_cost=True,
    )
    ModelCustomizationWorkflow(
        stack,
        "Chat",
        base_model_id=NOVA,
        customization_type=CustomizationType.FINE_TUNING,
        data_bucket=data,
        training_data_key="training/desk/train.jsonl",
        custom_model_name="desk",
        serving=endpoint,
        start_on_deploy=False,
    )
    return stacks_of(app.synth())


@pytest.fixture
def bedrock() -> ScriptedEvaluations:
    fake = FakeBedrock(polls_until_in_service=1)
    fake.custom_models.update({_model_arn(name): BASE_ARN for name in NAMES})
    return ScriptedEvaluations(fake, results=PASSING)


@pytest.fixture
def engine(
    stacks: dict[str, Stack], bedrock: ScriptedEvaluations, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AslEngine]:
    with asl_engine(stacks, monkeypatch) as gate:
        gate.bedrock_stub_client = BesideMoto(bedrock, boto3.client("bedrock", region_name=REGION))  # type: ignore[arg-type]
        # The records as the stack's two Custom::BedrockStableEndpoint resources leave them after Create.
        ssm = boto3.client("ssm", region_name=REGION)
        for hint, kind, name in (
            ("EndpointRecord", "deployment", "desk-chat"),
            ("CandidateRecord", "provisioned-throughput", "desk-chat-candidate"),
        ):
            config = promotion.EndpointConfig(name=name, base_model_id=NOVA)
            record = promotion.Record(endpoint_kind=kind, endpoint=config)
            ssm.put_parameter(Name=_parameter(stacks, hint), Value=record.dumps(), Type="String", Overwrite=True)
        yield gate


def _parameter(stacks: dict[str, Stack], hint: str) -> str:
    (logical_id,) = stacks[STACK].logical_ids("AWS::SSM::Parameter", hint)
    return str(stacks[STACK].resources[logical_id]["Properties"]["Name"])


def _record(stacks: dict[str, Stack], hint: str = "EndpointRecord") -> dict[str, Any]:
    name = _parameter(stacks, hint)
    return dict(json.loads(boto3.client("ssm", region_name=REGION).get_parameter(Name=name)["Parameter"]["Value"]))


def _train(engine: AslEngine, stacks: dict[str, Stack], name: str) -> Execution:
    (machine,) = stacks[STACK].logical_ids("AWS::StepFunctions::StateMachine", "Chat")
    arn = engine.state_machine(STACK, machine)
    return engine.run(arn, {"jobName": name, "customModelName": name, "trigger": "manual"}, name=name)


def _notices(engine: AslEngine, stacks: dict[str, Stack]) -> Any:
    (logical_id,) = stacks[STACK].logical_ids("AWS::SNS::Topic", "EndpointNotices")
    return subscribe_queue(str(engine.deployment.resolve(stacks[STACK], {"Ref": logical_id})))


def _function_arn(engine: AslEngine, stacks: dict[str, Stack], hint: str) -> str:
    (logical_id,) = stacks[STACK].logical_ids("AWS::Lambda::Function", hint)
    return str(engine.deployment.resolve(stacks[STACK], {"Fn::GetAtt": [logical_id, "Arn"]}))


def test_a_model_that_passes_is_evaluated_on_a_candidate_that_is_then_deleted_and_promoted_with_its_scores(
    engine: AslEngine, stacks: dict[str, Stack], bedrock: ScriptedEvaluations
) -> None:
    notices = _notices(engine, stacks)

    execution = _train(engine, stacks, "desk-1")

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    entered = execution.states_entered
    order = ["JobCompleted", "CandidatePromote", "GateStart", "ReleaseCandidate", "Promote", "NotifySuccess"]
    assert [entered.index(s) for s in order] == sorted(entered.index(s) for s in order)
    (candidate,) = bedrock.fake.purchases()
    assert (candidate.model_arn(), candidate.commitment, candidate.units) == (_model_arn("desk-1"), None, 1)
    assert candidate.deleted and bedrock.fake.live() == []  # nothing billed per hour is left
    (job,) = bedrock.fake.started_jobs()
    assert job.request["inferenceConfig"]["models"][0]["bedrockModel"]["modelIdentifier"] == candidate.arn
    (deployment,) = bedrock.fake.live_deployments()
    assert deployment.model_arn == _model_arn("desk-1")
    saved = _record(stacks)
    assert saved["currentModelArn"] == _model_arn("desk-1") and saved["endpointArn"] == deployment.arn
    assert saved["currentScores"] == pytest.approx({"Builtin.Accuracy": 0.72, "Builtin.Toxicity": 0.04})
    assert _record(stacks, "CandidateRecord")["endpointArn"] is None
    assert execution.output["evaluation"]["candidateEndpointArn"] == candidate.arn
    (notice,) = notices()
    assert "model promoted" in notice["Subject"]


def test_a_model_below_a_threshold_is_not_promoted_is_announced_and_leaves_nothing_billed(
    engine: AslEngine, stacks: dict[str, Stack], bedrock: ScriptedEvaluations
) -> None:
    notices = _notices(engine, stacks)
    bedrock.results = {"Accuracy": 0.5, "Toxicity": 0.04}

    execution = _train(engine, stacks, "desk-1")

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert "NotifyNotPromoted" in execution.states_entered and "Promote" not in execution.states_entered
    assert bedrock.fake.live() == [] and bedrock.fake.live_deployments() == []
    assert [op for op, _ in bedrock.fake.calls].count("create_custom_model_deployment") == 0
    saved = _record(stacks)
    assert saved["endpointArn"] is None and saved["currentModelArn"] is None
    (notice,) = notices()
    assert "not promoted" in notice["Subject"]
    message = json.loads(notice["Message"])
    assert message["modelArn"] == _model_arn("desk-1")
    assert message["reasons"] == ["Builtin.Accuracy 0.5 is below the threshold 0.6 (higher is better)"]


def test_a_retrain_must_beat_the_current_model_and_each_candidate_is_a_new_throughput_deleted_after_it(
    engine: AslEngine, stacks: dict[str, Stack], bedrock: ScriptedEvaluations
) -> None:
    assert _train(engine, stacks, "desk-1").status == "SUCCEEDED"
    endpoint_arn = _record(stacks)["endpointArn"]

    bedrock.results = {"Accuracy": 0.65, "Toxicity": 0.04}  # above the threshold, below desk-1's 0.72
    worse = _train(engine, stacks, "desk-2")
    assert worse.status == "SUCCEEDED", (worse.error, worse.cause)
    assert "Promote" not in worse.states_entered
    assert worse.output["evaluation"]["gate"]["reasons"] == [
        "Builtin.Accuracy 0.65 is worse than the current model's 0.72"
    ]
    assert _record(stacks)["currentModelArn"] == _model_arn("desk-1")

    bedrock.results = {"Accuracy": 0.8, "Toxicity": 0.03}
    better = _train(engine, stacks, "desk-3")
    assert better.status == "SUCCEEDED", (better.error, better.cause)
    saved = _record(stacks)
    assert (saved["currentModelArn"], saved["previousModelArn"]) == (_model_arn("desk-3"), _model_arn("desk-1"))
    assert saved["endpointArn"] == endpoint_arn  # swapped in place behind the same deployment
    assert saved["previousScores"] == pytest.approx({"Builtin.Accuracy": 0.72, "Builtin.Toxicity": 0.04})
    candidates = bedrock.fake.purchases()
    assert [c.model_arn() for c in candidates] == [_model_arn(n) for n in NAMES]
    assert len({c.name for c in candidates}) == 3 and all(c.deleted for c in candidates)


def test_a_candidate_that_fails_is_deleted_and_the_execution_fails_without_promoting(
    engine: AslEngine, stacks: dict[str, Stack], bedrock: ScriptedEvaluations
) -> None:
    bedrock.fake.failing_models.add(_model_arn("desk-1"))

    execution = _train(engine, stacks, "desk-1")

    assert (execution.status, execution.error) == ("FAILED", "CandidateEvaluationFailed")
    entered = execution.states_entered
    assert "ReleaseCandidateAfterError" in entered and "Promote" not in entered
    assert bedrock.fake.started_jobs() == []
    assert bedrock.fake.live() == [] and bedrock.fake.live_deployments() == []


def test_an_execution_that_stops_releases_the_candidate_through_its_rule(
    engine: AslEngine, stacks: dict[str, Stack], bedrock: ScriptedEvaluations
) -> None:
    template = stacks[STACK]
    (rule_id,) = template.logical_ids("AWS::Events::Rule", "ReleaseCandidate")
    rule = template.resources[rule_id]["Properties"]
    (machine,) = template.logical_ids("AWS::StepFunctions::StateMachine", "Chat")
    assert rule["EventPattern"]["detail"] == {
        "status": ["ABORTED", "TIMED_OUT", "FAILED"],
        "stateMachineArn": [{"Ref": machine}],
    }
    (target,) = rule["Targets"]
    (candidate_promoter,) = template.logical_ids("AWS::Lambda::Function", "CandidatePromoterOnEventFunction")
    assert target["Arn"] == {"Fn::GetAtt": [candidate_promoter, "Arn"]}

    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"] == {"detail-executionArn": "$.detail.executionArn"}

    def rule_input(execution_arn: str) -> Any:  # what EventBridge sends for that execution's status change
        return json.loads(transformer["InputTemplate"].replace("<detail-executionArn>", json.dumps(execution_arn)))

    # An execution stopped while its candidate was in service (bought for it by the candidate's promoter): the
    # rule's event for another execution leaves the candidate alone, the event for its own deletes it and keeps
    # the candidate's record usable for the next evaluation.
    stopped = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:chat:desk-1"
    promoter = _function_arn(engine, stacks, "CandidatePromoterOnEventFunction")
    engine.lambdas.call(promoter, {"action": "promote", "modelArn": _model_arn("desk-1"), "owner": stopped})
    assert len(bedrock.fake.live()) == 1
    other = engine.lambdas.call(promoter, rule_input(f"{stopped}-other"))
    assert other["released"] == [] and "serves execution" in other["skipped"] and len(bedrock.fake.live()) == 1
    answer = engine.lambdas.call(promoter, rule_input(stopped))
    assert bedrock.fake.live() == [] and answer["released"] == [bedrock.fake.purchases()[0].arn]
    assert engine.lambdas.call(promoter, rule_input(stopped)) == {"released": [], "kept": []}
    saved = _record(stacks, "CandidateRecord")
    assert saved["currentModelArn"] == _model_arn("desk-1") and saved["owner"] is None


def test_a_second_execution_leaves_the_candidate_of_the_first_alone_and_fails_saying_why(
    engine: AslEngine, stacks: dict[str, Stack], bedrock: ScriptedEvaluations
) -> None:
    first = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:chat:desk-1"
    promoter = _function_arn(engine, stacks, "CandidatePromoterOnEventFunction")
    engine.lambdas.call(promoter, {"action": "promote", "modelArn": _model_arn("desk-1"), "owner": first})
    (evaluating,) = bedrock.fake.live()

    execution = _train(engine, stacks, "desk-2")

    assert (execution.status, execution.error) == ("FAILED", "CandidateEvaluationFailed")
    assert "CandidateBusy" in execution.cause and first in execution.cause
    assert bedrock.fake.live() == [evaluating] and evaluating.model_arn() == _model_arn("desk-1")
    assert bedrock.fake.started_jobs() == [] and bedrock.fake.live_deployments() == []
    assert _record(stacks, "CandidateRecord")["owner"] == first
