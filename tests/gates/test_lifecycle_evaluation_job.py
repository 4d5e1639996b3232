"""Custom::BedrockEvaluationJob through CloudFormation's whole lifecycle, against a stateful Bedrock.

Every evaluation job is billed (it invokes the models): an Update that does not change the job request (a new
service token, a replayed request), a rollback, or a retried delivery must start nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.gates.fake_bedrock import FakeBedrock
from tests.gates.lifecycle import CREATE_FAILED, Lifecycle, Resource
from tests.gates.seams import install
from tests.support import load_handler

handler = load_handler("evaluation_job")
REQUEST: dict[str, Any] = {
    "roleArn": "arn:aws:iam::123456789012:role/EvaluationRole",
    "applicationType": "ModelEvaluation",
    "evaluationConfig": {
        "automated": {
            "datasetMetricConfigs": [
                {
                    "taskType": "QuestionAndAnswer",
                    "dataset": {"name": "Builtin.BoolQ"},
                    "metricNames": ["Builtin.Accuracy", "Builtin.Robustness"],
                }
            ]
        }
    },
    "inferenceConfig": {"models": [{"bedrockModel": {"modelIdentifier": "amazon.titan-text-express-v1"}}]},
    "outputDataConfig": {"s3Uri": "s3://data-bucket/evaluation/results/"},
}
PROPS: dict[str, Any] = {"JobNamePrefix": "nightly-eval", "Request": REQUEST}
OTHER_MODEL = {
    **PROPS,
    "Request": {
        **REQUEST,
        "inferenceConfig": {"models": [{"bedrockModel": {"modelIdentifier": "amazon.nova-micro-v1:0"}}]},
    },
}


@pytest.fixture
def bedrock() -> Iterator[FakeBedrock]:
    fake = FakeBedrock()
    with install(handler, bedrock=fake):
        yield fake


@pytest.fixture
def cfn() -> Lifecycle:
    return Lifecycle(handler, resource_type="Custom::BedrockEvaluationJob")


def test_create_starts_one_job(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    outcome = cfn.create(PROPS)
    assert outcome.ok, outcome.reason
    assert [job.arn for job in bedrock.started_jobs()] == [outcome.physical_id]


def test_a_create_delivered_twice_starts_one_job(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    event = cfn.event("Create", PROPS, request_id="same-request")
    assert cfn.send(event).ok and cfn.send(dict(event)).ok
    assert len(bedrock.started_jobs()) == 1


def test_an_update_that_changes_only_the_service_token_starts_nothing(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    cfn.service_token = "arn:aws:lambda:us-east-1:123456789012:function:provider-v2"
    updated, _ = cfn.stack_update(resource, PROPS)
    assert updated.physical_id == resource.physical_id
    assert len(bedrock.started_jobs()) == 1


def test_a_changed_request_starts_a_new_job_and_the_cleanup_stops_the_old_one(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    resource = cfn.deploy(PROPS)
    updated, _ = cfn.stack_update(resource, OTHER_MODEL)
    assert updated.physical_id != resource.physical_id
    old, new = bedrock.started_jobs()
    assert (old.status, new.status) == ("Stopping", "InProgress")


def test_update_rollback_returns_to_the_original_job_and_starts_nothing_more(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    resource = cfn.deploy(PROPS)
    forward, rollback = cfn.failed_stack_update(resource, OTHER_MODEL)
    assert rollback.ok, rollback.reason
    assert rollback.physical_id == resource.physical_id
    assert len(bedrock.started_jobs()) == 2
    assert bedrock.evaluation_jobs[resource.physical_id].status == "InProgress"
    assert bedrock.evaluation_jobs[forward.physical_id].status == "Stopping"


def test_a_rejected_create_starts_nothing_and_its_delete_is_ignored(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    outcome = cfn.create({**PROPS, "Request": {**REQUEST, "roleArn": "not-an-arn"}})
    assert not outcome.ok
    assert outcome.physical_id == CREATE_FAILED
    assert cfn.delete(Resource(PROPS, CREATE_FAILED)).ok
    assert bedrock.started_jobs() == []


def test_deleting_twice_stops_the_job_once(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    assert cfn.delete(resource).ok and cfn.delete(resource).ok
    assert [job.status for job in bedrock.started_jobs()] == ["Stopping"]


def test_a_new_run_id_runs_the_same_request_again(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    updated, _ = cfn.stack_update(resource, {**PROPS, "RunId": "2026-12-02"})
    assert updated.physical_id != resource.physical_id
    assert len(bedrock.started_jobs()) == 2
