"""The evaluation gate's states (``EvaluationGate.gate_chain``), synthesized in a test stack with Pass states as
``on_pass`` / ``on_fail``, run in moto's Step Functions interpreter.

Behind the gate's Lambda function stands the stateful fake Bedrock (``tests/gates/fake_bedrock.py``: requests
validated against botocore's model, ``clientRequestToken`` idempotency), scripted here to end each job after a
number of ``GetEvaluationJob`` calls and, when it completes, to write the job's per-record results to moto's S3
in the documented layout (``<output>/<job name>/<job uuid>/models/.../<file uuid>_output.jsonl``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment
from aws_cdk import Stack as CdkStack
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import AwsSolutionsChecks

from bedrock_ops._core import nag
from bedrock_ops.data.training_bucket import TrainingDataBucket
from bedrock_ops.evaluation.gate import EvaluationGate
from bedrock_ops.evaluation.types import BuiltinDataset, EvaluationDataset
from infra.app import cdk_json_context
from tests.gates.asl import AslEngine, Execution, Stack, asl_engine, stacks_of
from tests.gates.fake_bedrock import FakeBedrock, ScriptedEvaluations
from tests.support import ACCOUNT, REGION, run_cfn_lint

STACK = "AslEvaluationGate"
MODEL = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/abcdefghijkl"
PASSING = {"Accuracy": 0.72, "Toxicity": 0.04, "Robustness": 0.1}


def _build(app: App) -> CdkStack:
    """Two gates on one bucket: the 24-hour default timeout (``Machine``) and a 15-minute one (``ShortMachine``)."""
    stack = CdkStack(app, STACK, env=Environment(account=ACCOUNT, region=REGION))
    data = TrainingDataBucket(stack, "Data")
    for prefix, timeout in (("", Duration.hours(24)), ("Short", Duration.minutes(15))):
        gate = EvaluationGate(
            stack,
            f"{prefix}Gate",
            datasets=[EvaluationDataset(builtin=BuiltinDataset.GIGAWORD)],
            thresholds={"Builtin.Accuracy": 0.6, "Builtin.Toxicity": 0.1},
            output_bucket=data.bucket,
            output_prefix=f"evaluation/{prefix.lower() or 'gate'}/",
            must_beat_current=True,
            timeout=timeout,
        )
        chain = gate.gate_chain(
            stack,
            f"{prefix}Evaluate",
            model_arn_path="$.model.arn",
            current_scores_path="$.endpoint.currentScores",
            on_pass=sfn.Pass(stack, f"{prefix}Promote"),
            on_fail=sfn.Pass(stack, f"{prefix}Reject"),
        )
        machine = sfn.StateMachine(stack, f"{prefix}Machine", definition_body=sfn.DefinitionBody.from_chainable(chain))
        nag.acknowledge(
            machine.role.node.find_child("DefaultPolicy"),
            nag.iam5_resource_finding(stack, f"{gate.function.function_arn}:*"),
            "A test state machine invoking the gate's function (any version of that one function).",
        )
        nag.acknowledge(machine, "AwsSolutions-SF1", "A test state machine, never deployed: no logging needed.")
        nag.acknowledge(machine, "AwsSolutions-SF2", "A test state machine, never deployed: no tracing needed.")
    return stack


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[App, dict[str, Stack], Path]:
    out = tmp_path_factory.mktemp("gate.out")
    app = App(context=cdk_json_context(), outdir=str(out))
    _build(app)
    AwsSolutionsChecks(app)
    assembly = app.synth()
    return app, stacks_of(assembly), out


@pytest.fixture
def engine(
    synthesized: tuple[App, dict[str, Stack], Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[AslEngine, ScriptedEvaluations]]:
    with asl_engine(synthesized[1], monkeypatch) as running:
        bedrock = ScriptedEvaluations(FakeBedrock(), results=PASSING)
        running.bedrock_stub_client = bedrock
        yield running, bedrock


def _run(engine: AslEngine, execution_input: Mapping[str, Any], machine: str = "Machine") -> Execution:
    stack = engine.deployment.stack(STACK)
    (logical_id,) = (i for i in stack.logical_ids("AWS::StepFunctions::StateMachine") if i.startswith(machine))
    return engine.run(engine.state_machine(STACK, logical_id), execution_input)


def _input(current: Mapping[str, float] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"model": {"arn": MODEL}}
    if current is not None:
        document["endpoint"] = {"currentScores": dict(current)}
    return document


def test_a_model_meeting_every_threshold_goes_to_on_pass_with_its_scores(
    engine: tuple[AslEngine, ScriptedEvaluations],
) -> None:
    asl, bedrock = engine

    execution = _run(asl, _input())

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.states_entered[-2:] == ["EvaluatePassed", "Promote"]
    gate = execution.output["gate"]
    assert gate["passed"] is True and gate["reasons"] == []
    assert gate["scores"]["Builtin.Accuracy"] == pytest.approx(0.72)
    assert gate["scores"]["Builtin.Toxicity"] == pytest.approx(0.04)
    (job,) = bedrock.fake.started_jobs()
    assert gate["jobArn"] == job.arn
    assert job.request["inferenceConfig"]["models"][0]["bedrockModel"]["modelIdentifier"] == MODEL
    assert asl.clock.sleeps.count(300.0) == 2  # Wait states of the bounded loop, one per check


def test_a_score_below_its_threshold_goes_to_on_fail_with_the_value_and_bound(
    engine: tuple[AslEngine, ScriptedEvaluations],
) -> None:
    asl, bedrock = engine
    bedrock.results = {"Accuracy": 0.5, "Toxicity": 0.3}

    execution = _run(asl, _input())

    assert execution.status == "SUCCEEDED"
    assert execution.states_entered[-1] == "Reject"
    gate = execution.output["gate"]
    assert gate["passed"] is False
    assert gate["reasons"] == [
        "Builtin.Accuracy 0.5 is below the threshold 0.6 (higher is better)",
        "Builtin.Toxicity 0.3 is above the threshold 0.1 (lower is better)",
    ]


def test_a_model_not_better_than_the_current_one_goes_to_on_fail(engine: tuple[AslEngine, ScriptedEvaluations]) -> None:
    asl, _ = engine

    execution = _run(asl, _input({"Builtin.Accuracy": 0.8, "Builtin.Toxicity": 0.04}))

    assert execution.states_entered[-1] == "Reject"
    (reason,) = execution.output["gate"]["reasons"]
    assert reason == "Builtin.Accuracy 0.72 is worse than the current model's 0.8"


def test_a_model_better_than_the_current_one_passes(engine: tuple[AslEngine, ScriptedEvaluations]) -> None:
    asl, _ = engine

    execution = _run(asl, _input({"Builtin.Accuracy": 0.65, "Builtin.Toxicity": 0.05}))

    assert execution.states_entered[-1] == "Promote"
    assert execution.output["gate"]["passed"] is True


def test_a_failed_evaluation_job_goes_to_on_fail_with_its_failure_message(
    engine: tuple[AslEngine, ScriptedEvaluations],
) -> None:
    asl, bedrock = engine
    bedrock.outcome, bedrock.failure, bedrock.after_polls = "Failed", "The model is not available", 3

    execution = _run(asl, _input())

    assert execution.status == "SUCCEEDED"
    assert execution.states_entered[-2:] == ["EvaluateNotPassed", "Reject"]
    gate = execution.output["gate"]
    assert gate["passed"] is False and gate["scores"] == {}
    (job,) = bedrock.fake.started_jobs()
    assert gate["reasons"] == [f"evaluation job {job.name} Failed: The model is not available"]
    assert "EvaluateScore" not in execution.states_entered


def test_a_retried_start_does_not_start_a_second_job(engine: tuple[AslEngine, ScriptedEvaluations]) -> None:
    asl, bedrock = engine
    bedrock.lose_creates = 5  # every attempt of the handler's own retries: the state itself is retried

    execution = _run(asl, _input())

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.states_entered[-1] == "Promote"
    assert [error for error, _ in execution.task_errors()] == ["BedrockUnavailable"]
    assert asl.lambdas.count("index.handler") >= 2
    creates = [params for method, params in bedrock.fake.calls if method == "create_evaluation_job"]
    assert len(creates) == 6 and len({c["clientRequestToken"] for c in creates}) == 1
    assert len(bedrock.fake.started_jobs()) == 1  # one billed job


def test_a_job_still_running_at_the_timeout_is_stopped_and_fails_the_gate(
    engine: tuple[AslEngine, ScriptedEvaluations],
) -> None:
    asl, bedrock = engine
    bedrock.after_polls = 10_000

    execution = _run(asl, _input(), "ShortMachine")

    assert execution.states_entered[-1] == "ShortReject"
    (job,) = bedrock.fake.started_jobs()
    assert job.status == "Stopping"
    assert bedrock.polls[job.arn] == 3  # 15 minutes / 5 minutes
    (reason,) = execution.output["gate"]["reasons"]
    assert reason.startswith(f"evaluation job {job.name} still InProgress after 3 checks")


def test_a_custom_model_arn_goes_to_on_fail_without_starting_a_job(
    engine: tuple[AslEngine, ScriptedEvaluations],
) -> None:
    asl, bedrock = engine

    execution = _run(asl, {"model": {"arn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/chat/abcdefghijkl"}})

    assert execution.states_entered[-2:] == ["EvaluateNotPassed", "Reject"]
    (reason,) = execution.output["gate"]["reasons"]
    assert "cannot be evaluated" in reason and "provisioned-model" in reason
    assert bedrock.fake.started_jobs() == []


def test_the_gate_test_stack_is_nag_and_cfn_lint_clean(synthesized: tuple[App, dict[str, Stack], Path]) -> None:
    app, _, out = synthesized
    assert AwsSolutionsChecks(app).validate_scope(app).violations == []
    result = run_cfn_lint(*sorted(out.glob("*.template.json")))
    assert result.stdout == "" and result.returncode == 0, result.stdout
