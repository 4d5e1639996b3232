"""lambda/evaluation_gate: the threshold logic, reading the documented output format (moto S3), starting jobs
idempotently and checking them (the stateful fake Bedrock, which validates requests against botocore's model)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.gates import seams
from tests.gates.fake_bedrock import FakeBedrock, client_error
from tests.support import ACCOUNT, REGION, load_handler

gate = load_handler("evaluation_gate")

FORMAT = {
    "result_suffix": "_output.jsonl",
    "scores_key": "automatedEvaluationResult",
    "score_list": "scores",
    "score_name": "metricName",
    "score_value": "result",
}
DIRECTIONS = {"Builtin.Accuracy": "higher", "Builtin.Toxicity": "lower"}
THRESHOLDS = {"Builtin.Accuracy": 0.6, "Builtin.Toxicity": 0.1}
MODEL = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/abcdefghijkl"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/gate"
REQUEST = {
    "roleArn": ROLE,
    "applicationType": "ModelEvaluation",
    "evaluationConfig": {
        "automated": {
            "datasetMetricConfigs": [
                {
                    "taskType": "Summarization",
                    "dataset": {"name": "Builtin.Gigaword"},
                    "metricNames": ["Builtin.Accuracy", "Builtin.Toxicity"],
                }
            ]
        }
    },
    "inferenceConfig": {"models": [{"bedrockModel": {"modelIdentifier": "placeholder.model-v1:0"}}]},
    "outputDataConfig": {"s3Uri": "s3://gate-bucket/evaluation/gate/"},
}


def _start_event(**overrides: Any) -> dict[str, Any]:
    return {
        "action": "start",
        "request": REQUEST,
        "modelArn": MODEL,
        "executionId": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:m:run-1",
        "jobNamePrefix": "gate",
        "maxPolls": 3,
        "evaluableResources": ["foundation-model", "provisioned-model", "imported-model"],
        **overrides,
    }


@pytest.fixture
def bedrock() -> Iterator[FakeBedrock]:
    fake = FakeBedrock()
    with seams.install(gate, bedrock=fake):
        yield fake


# ------------------------------------------------------------------------------------------ thresholds


def test_a_higher_is_better_metric_below_its_bound_fails_with_value_and_bound() -> None:
    passed, reasons = gate.judge({"Builtin.Accuracy": 0.5, "Builtin.Toxicity": 0.0}, THRESHOLDS, DIRECTIONS)
    assert not passed
    assert reasons == ["Builtin.Accuracy 0.5 is below the threshold 0.6 (higher is better)"]


def test_a_lower_is_better_metric_above_its_bound_fails_with_value_and_bound() -> None:
    passed, reasons = gate.judge({"Builtin.Accuracy": 0.9, "Builtin.Toxicity": 0.25}, THRESHOLDS, DIRECTIONS)
    assert not passed
    assert reasons == ["Builtin.Toxicity 0.25 is above the threshold 0.1 (lower is better)"]


def test_scores_on_their_bounds_pass() -> None:
    assert gate.judge({"Builtin.Accuracy": 0.6, "Builtin.Toxicity": 0.1}, THRESHOLDS, DIRECTIONS) == (True, [])


def test_a_thresholded_metric_missing_from_the_output_fails() -> None:
    passed, reasons = gate.judge({"Builtin.Accuracy": 0.9}, THRESHOLDS, DIRECTIONS)
    assert not passed
    assert reasons == ["Builtin.Toxicity: no score in the job's output (threshold 0.1, lower is better)"]


def test_must_beat_current_fails_a_model_worse_than_the_current_one_on_any_metric() -> None:
    scores = {"Builtin.Accuracy": 0.9, "Builtin.Toxicity": 0.08}
    current = {"Builtin.Accuracy": 0.8, "Builtin.Toxicity": 0.05}
    passed, reasons = gate.judge(scores, THRESHOLDS, DIRECTIONS, must_beat_current=True, current=current)
    assert not passed
    assert reasons == ["Builtin.Toxicity 0.08 is worse than the current model's 0.05"]


def test_must_beat_current_fails_a_model_equal_to_the_current_one() -> None:
    scores = {"Builtin.Accuracy": 0.8, "Builtin.Toxicity": 0.05}
    passed, reasons = gate.judge(scores, THRESHOLDS, DIRECTIONS, must_beat_current=True, current=dict(scores))
    assert not passed
    assert reasons[0].startswith("not better than the current model on any of Builtin.Accuracy, Builtin.Toxicity")


def test_must_beat_current_passes_a_model_better_on_one_metric_and_no_worse_on_the_others() -> None:
    scores = {"Builtin.Accuracy": 0.85, "Builtin.Toxicity": 0.05}
    current = {"Builtin.Accuracy": 0.8, "Builtin.Toxicity": 0.05}
    assert gate.judge(scores, THRESHOLDS, DIRECTIONS, must_beat_current=True, current=current) == (True, [])


def test_must_beat_current_without_current_scores_has_nothing_to_beat() -> None:
    scores = {"Builtin.Accuracy": 0.7, "Builtin.Toxicity": 0.05}
    assert gate.judge(scores, THRESHOLDS, DIRECTIONS, must_beat_current=True, current=None) == (True, [])
    assert gate.judge(scores, THRESHOLDS, DIRECTIONS, must_beat_current=True, current={}) == (True, [])


def test_path_value_reads_dotted_paths_and_answers_none_for_absent_steps() -> None:
    document = {"endpoint": {"currentScores": {"Builtin.Accuracy": 0.7}}}
    assert gate.path_value(document, "$.endpoint.currentScores") == {"Builtin.Accuracy": 0.7}
    assert gate.path_value(document, "$.endpoint.missing.deeper") is None
    assert gate.path_value({"endpoint": "a string"}, "$.endpoint.currentScores") is None
    assert gate.path_value(document, "") is None


# ------------------------------------------------------------------------------------------ output format


def _record(**scores: float | None) -> str:
    entries = [{"metricName": name, "result": value} for name, value in scores.items()]
    return json.dumps({"automatedEvaluationResult": {"scores": entries}, "inputRecord": {"prompt": "p"}})


def test_aggregate_averages_each_metric_over_records_and_reads_unprefixed_names() -> None:
    lines = [("f", _record(Accuracy=0.5, Toxicity=0.1)), ("f", _record(Accuracy=0.7, Toxicity=None)), ("f", "")]
    scores = gate.aggregate(lines, FORMAT, set(DIRECTIONS))
    assert scores == pytest.approx({"Builtin.Accuracy": 0.6, "Builtin.Toxicity": 0.1})


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        json.dumps({"inputRecord": {}}),
        json.dumps({"automatedEvaluationResult": {"scores": "high"}}),
        json.dumps({"automatedEvaluationResult": {"scores": [{"metricName": "Accuracy", "result": "0.5"}]}}),
    ],
)
def test_aggregate_names_the_file_and_line_of_a_malformed_record(line: str) -> None:
    with pytest.raises(gate.MalformedOutput, match=r"s3://b/k line 2: not an evaluation result record"):
        gate.aggregate([("s3://b/k", _record(Accuracy=0.5)), ("s3://b/k", line)], FORMAT, set(DIRECTIONS))


@mock_aws
def test_score_reads_every_result_file_of_the_job_and_applies_the_gate() -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="gate-bucket")
    base = "evaluation/gate/gate-1234abcd/uuid/models/m/taskTypes/Summarization/datasets/Builtin.Gigaword/"
    s3.put_object(Bucket="gate-bucket", Key=f"{base}a_output.jsonl", Body=_record(Accuracy=0.8, Toxicity=0.02))
    s3.put_object(Bucket="gate-bucket", Key=f"{base}b_output.jsonl", Body=_record(Accuracy=0.6, Toxicity=0.04))
    s3.put_object(Bucket="gate-bucket", Key="evaluation/gate/other-job/x_output.jsonl", Body=_record(Accuracy=0.0))
    gate.clients.clear()

    result = gate.handler(
        {
            "action": "score",
            "jobArn": "arn:job",
            "jobName": "gate-1234abcd",
            "outputS3Uri": "s3://gate-bucket/evaluation/gate/",
            "thresholds": THRESHOLDS,
            "directions": DIRECTIONS,
            "mustBeatCurrent": True,
            "currentScoresPath": "$.endpoint.currentScores",
            "input": {"endpoint": {"currentScores": {"Builtin.Accuracy": 0.65, "Builtin.Toxicity": 0.05}}},
            "format": FORMAT,
        },
        None,
    )

    assert result["passed"] is True, result["reasons"]
    assert result["scores"] == pytest.approx({"Builtin.Accuracy": 0.7, "Builtin.Toxicity": 0.03})
    assert result["jobArn"] == "arn:job"


@mock_aws
def test_score_fails_the_gate_on_a_malformed_output_file() -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="gate-bucket")
    s3.put_object(Bucket="gate-bucket", Key="evaluation/gate/job/u/x_output.jsonl", Body=b'{"scores": []}')
    gate.clients.clear()

    result = gate.score(
        {
            "jobArn": "arn:job",
            "jobName": "job",
            "outputS3Uri": "s3://gate-bucket/evaluation/gate",
            "thresholds": THRESHOLDS,
            "directions": DIRECTIONS,
            "format": FORMAT,
        }
    )

    assert result["passed"] is False and result["scores"] == {}
    (reason,) = result["reasons"]
    assert reason.startswith("s3://gate-bucket/evaluation/gate/job/u/x_output.jsonl line 1: not an evaluation result")


@mock_aws
def test_score_fails_the_gate_when_the_job_wrote_no_result_files() -> None:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="gate-bucket")
    gate.clients.clear()
    result = gate.score(
        {
            "jobArn": "arn:job",
            "jobName": "job",
            "outputS3Uri": "s3://gate-bucket/evaluation/gate/",
            "thresholds": THRESHOLDS,
            "directions": DIRECTIONS,
            "format": FORMAT,
        }
    )
    assert result["reasons"] == ["s3://gate-bucket/evaluation/gate/job/: no *_output.jsonl result files"]


# ------------------------------------------------------------------------------------------ start / check


def test_start_names_the_model_and_derives_name_and_token_from_the_execution(bedrock: FakeBedrock) -> None:
    first = gate.handler(_start_event(), None)
    again = gate.handler(_start_event(), None)  # a retried state: the same token, the same job

    assert first["started"] is True and again["jobArn"] == first["jobArn"]
    (job,) = bedrock.started_jobs()
    assert job.request["inferenceConfig"]["models"][0]["bedrockModel"]["modelIdentifier"] == MODEL
    assert job.name == first["jobName"] and job.name.startswith("gate-")
    other = gate.handler(_start_event(executionId="arn:aws:states:us-east-1:1:execution:m:run-2"), None)
    assert other["jobArn"] != first["jobArn"] and len(bedrock.started_jobs()) == 2


def test_start_finds_the_job_a_lost_response_started_under_another_token(bedrock: FakeBedrock) -> None:
    first = gate.start(_start_event())
    bedrock.evaluation_jobs[first["jobArn"]].token = "another-token"  # e.g. a token Bedrock no longer remembers

    again = gate.start(_start_event())

    assert again["started"] is True and again["jobArn"] == first["jobArn"]
    assert len(bedrock.started_jobs()) == 1


def test_start_refuses_a_custom_model_arn_without_calling_bedrock(bedrock: FakeBedrock) -> None:
    result = gate.start(_start_event(modelArn=f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/chat/abcdefghijkl"))
    assert result["started"] is False and result["passed"] is False
    assert "cannot be evaluated" in result["reasons"][0]
    assert bedrock.calls == []


def test_start_raises_bedrock_unavailable_after_its_own_retries(bedrock: FakeBedrock) -> None:
    class Unavailable:
        def create_evaluation_job(self, **_: Any) -> dict[str, Any]:
            raise client_error("ServiceUnavailableException", "down", "CreateEvaluationJob")

    gate.clients.override("bedrock", Unavailable())
    with pytest.raises(gate.BedrockUnavailable, match="ServiceUnavailableException"):
        gate.start(_start_event())


def test_check_reports_a_failed_job_with_its_failure_messages(bedrock: FakeBedrock) -> None:
    started = gate.start(_start_event())
    bedrock.evaluation_jobs[started["jobArn"]].status = "Failed"

    result = gate.handler({"action": "check", **started}, None)

    assert result["status"] == "Failed" and result["passed"] is False
    assert result["reasons"] == [f"evaluation job {started['jobName']} Failed: no failure message"]


def test_check_counts_polls_and_stops_a_job_still_running_at_max_polls(bedrock: FakeBedrock) -> None:
    state = gate.start(_start_event(maxPolls=2))
    first = gate.check(state)
    assert (first["status"], first["polls"]) == ("InProgress", 1)

    second = gate.check(first)

    assert second["status"] == "TimedOut" and second["passed"] is False
    assert bedrock.evaluation_jobs[state["jobArn"]].status == "Stopping"


def test_check_hands_a_completed_jobs_output_location_on(bedrock: FakeBedrock) -> None:
    state = gate.start(_start_event())
    bedrock.evaluation_jobs[state["jobArn"]].status = "Completed"
    result = gate.check(state)
    assert (result["status"], result["outputS3Uri"]) == ("Completed", "s3://gate-bucket/evaluation/gate/")


def test_an_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError, match="action must be start, check or score, got 'promote'"):
        gate.handler({"action": "promote"}, None)
