"""lambda/evaluation_job: starts jobs without waiting, stops running jobs on delete, polls and notifies.

Bedrock evaluation jobs are not in moto, so every call goes through botocore's Stubber, which checks the
parameters against the installed service model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.support import load_handler

JOB_ARN = "arn:aws:bedrock:us-east-1:123456789012:evaluation-job/abcdef123456"
ROLE_ARN = "arn:aws:iam::123456789012:role/EvaluationRole"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:evaluations"
REQUEST_ID = "6d5b1a8e-3c9f-4d0e-9a8b-2f1e0c7d6b5a"
REQUEST: dict[str, Any] = {
    "roleArn": ROLE_ARN,
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
    "inferenceConfig": {"models": [{"bedrockModel": {"modelIdentifier": "amazon.titan-text-express-v1"}}]},
    "outputDataConfig": {"s3Uri": "s3://data-bucket/evaluation/results/"},
}


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    module = load_handler("evaluation_job")
    sleeps: list[float] = []
    monkeypatch.setattr(module.clients.retry, "sleep", sleeps.append)
    module.sleeps = sleeps  # type: ignore[attr-defined]
    yield module


@pytest.fixture
def stubs(handler: ModuleType) -> Iterator[dict[str, Stubber]]:
    stubbers = {}
    for service in ("bedrock", "sns", "events"):
        client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        handler.clients.override(service, client)
        stubbers[service] = Stubber(client)
        stubbers[service].activate()
    yield stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def _event(request_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "RequestId": REQUEST_ID,
        "LogicalResourceId": "Evaluation",
        "ResourceType": "Custom::BedrockEvaluationJob",
        "ResourceProperties": {
            "ServiceToken": "arn:token",
            "JobNamePrefix": "nightly-eval",
            "Request": REQUEST,
        },
        **extra,
    }


def _job(status: str) -> dict[str, Any]:
    return {
        "jobName": "nightly-eval-1234abcd",
        "status": status,
        "jobArn": JOB_ARN,
        "roleArn": ROLE_ARN,
        "jobType": "Automated",
        "evaluationConfig": REQUEST["evaluationConfig"],
        "inferenceConfig": REQUEST["inferenceConfig"],
        "outputDataConfig": REQUEST["outputDataConfig"],
        "creationTime": "2026-11-28T10:00:00Z",
    }


def _no_job_yet(stubs: dict[str, Stubber], name: str | None = None) -> None:
    expected = None if name is None else {"nameContains": name, "maxResults": 100}
    # The service model says jobSummaries has at least one item: an empty answer omits the key.
    stubs["bedrock"].add_response("list_evaluation_jobs", {}, expected)


def test_create_starts_the_job_named_after_the_request_with_an_idempotency_token(
    handler: ModuleType, stubs: dict[str, Stubber]
) -> None:
    name = handler.job_name("nightly-eval", REQUEST)
    _no_job_yet(stubs, name)
    stubs["bedrock"].add_response(
        "create_evaluation_job",
        {"jobArn": JOB_ARN},
        {**REQUEST, "jobName": name, "clientRequestToken": REQUEST_ID},
    )
    result = handler.on_event(_event("Create"), None)
    assert result == {"PhysicalResourceId": JOB_ARN, "Data": {"JobArn": JOB_ARN, "JobName": name}}


def test_job_name_fits_the_api_pattern_for_a_long_prefix(handler: ModuleType) -> None:
    name = handler.job_name("a" * 70, REQUEST)
    assert len(name) == 63
    assert name.startswith("a" * 54 + "-")


def test_one_request_names_one_job_and_another_request_another(handler: ModuleType) -> None:
    other = {**REQUEST, "outputDataConfig": {"s3Uri": "s3://data-bucket/evaluation/other/"}}
    assert handler.job_name("p", REQUEST) == handler.job_name("p", json.loads(json.dumps(REQUEST)))
    assert handler.job_name("p", REQUEST) != handler.job_name("p", other)


def test_create_finds_the_job_this_request_already_started(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    name = handler.job_name("nightly-eval", REQUEST)
    summary = {
        "jobArn": JOB_ARN,
        "jobName": name,
        "status": "InProgress",
        "creationTime": "2026-11-28T10:00:00Z",
        "jobType": "Automated",
        "evaluationTaskTypes": ["Summarization"],
    }
    stubs["bedrock"].add_response("list_evaluation_jobs", {"jobSummaries": [summary]})
    assert handler.on_event(_event("Create"), None)["PhysicalResourceId"] == JOB_ARN


def test_create_refuses_to_reuse_the_name_of_a_stopped_job(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    name = handler.job_name("nightly-eval", REQUEST)
    summary = {
        "jobArn": JOB_ARN,
        "jobName": name,
        "status": "Stopped",
        "creationTime": "2026-11-28T10:00:00Z",
        "jobType": "Automated",
        "evaluationTaskTypes": ["Summarization"],
    }
    stubs["bedrock"].add_response("list_evaluation_jobs", {"jobSummaries": [summary]})
    with pytest.raises(RuntimeError, match=r"already exists and is Stopped; .*change job_name"):
        handler.on_event(_event("Create"), None)


def test_update_of_only_the_service_token_keeps_the_job(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    old = {**_event("Create")["ResourceProperties"], "ServiceToken": "arn:old-token"}
    result = handler.on_event(_event("Update", PhysicalResourceId=JOB_ARN, OldResourceProperties=old), None)
    assert result["PhysicalResourceId"] == JOB_ARN


def test_create_failure_raises_with_the_api_message(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    _no_job_yet(stubs)
    stubs["bedrock"].add_client_error(
        "create_evaluation_job", "ValidationException", "The evaluator model is not supported", 400
    )
    with pytest.raises(RuntimeError, match="ValidationException: The evaluator model is not supported"):
        handler.on_event(_event("Create"), None)


def test_create_retries_throttling_with_backoff(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    _no_job_yet(stubs)
    stubs["bedrock"].add_client_error("create_evaluation_job", "ThrottlingException", "slow down", 400)
    stubs["bedrock"].add_client_error("create_evaluation_job", "ThrottlingException", "slow down", 400)
    stubs["bedrock"].add_response("create_evaluation_job", {"jobArn": JOB_ARN}, None)
    assert handler.on_event(_event("Create"), None)["PhysicalResourceId"] == JOB_ARN
    assert handler.sleeps == [2, 4]


def test_throttling_gives_up_after_max_attempts(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    _no_job_yet(stubs)
    for _ in range(handler.clients.retry.max_attempts):
        stubs["bedrock"].add_client_error("create_evaluation_job", "ThrottlingException", "slow down", 400)
    with pytest.raises(RuntimeError, match="ThrottlingException"):
        handler.on_event(_event("Create"), None)
    assert len(handler.sleeps) == handler.clients.retry.max_attempts - 1


def test_update_starts_a_new_job_with_a_new_physical_id(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    new_arn = JOB_ARN.replace("abcdef123456", "zyxwvu654321")
    _no_job_yet(stubs)
    stubs["bedrock"].add_response("create_evaluation_job", {"jobArn": new_arn}, None)
    result = handler.on_event(_event("Update", PhysicalResourceId=JOB_ARN, OldResourceProperties={}), None)
    assert result["PhysicalResourceId"] == new_arn


def test_delete_stops_a_running_job(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    stubs["bedrock"].add_response("get_evaluation_job", _job("InProgress"), {"jobIdentifier": JOB_ARN})
    stubs["bedrock"].add_response("stop_evaluation_job", {}, {"jobIdentifier": JOB_ARN})
    assert handler.on_event(_event("Delete", PhysicalResourceId=JOB_ARN), None) == {"PhysicalResourceId": JOB_ARN}


def test_delete_keeps_a_completed_job(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    stubs["bedrock"].add_response("get_evaluation_job", _job("Completed"), {"jobIdentifier": JOB_ARN})
    handler.on_event(_event("Delete", PhysicalResourceId=JOB_ARN), None)  # no stop call is stubbed


def test_delete_succeeds_when_the_job_is_gone(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    stubs["bedrock"].add_client_error("get_evaluation_job", "ResourceNotFoundException", "no such job", 404)
    assert handler.on_event(_event("Delete", PhysicalResourceId=JOB_ARN), None) == {"PhysicalResourceId": JOB_ARN}


def test_delete_tolerates_a_job_that_ended_before_the_stop(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    stubs["bedrock"].add_response("get_evaluation_job", _job("InProgress"), {"jobIdentifier": JOB_ARN})
    stubs["bedrock"].add_client_error("stop_evaluation_job", "ConflictException", "job is not running", 409)
    handler.on_event(_event("Delete", PhysicalResourceId=JOB_ARN), None)


def test_delete_after_a_failed_create_makes_no_call(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    # The provider framework reports the request id as physical id when Create failed.
    assert handler.on_event(_event("Delete", PhysicalResourceId=REQUEST_ID), None) == {"PhysicalResourceId": REQUEST_ID}


def test_delete_propagates_access_denied(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    stubs["bedrock"].add_client_error("get_evaluation_job", "AccessDeniedException", "denied", 403)
    with pytest.raises(Exception, match="AccessDeniedException"):
        handler.on_event(_event("Delete", PhysicalResourceId=JOB_ARN), None)


POLL_EVENT = {"jobArn": JOB_ARN, "topicArn": TOPIC_ARN, "ruleName": "eval-poller"}


def test_poll_does_nothing_while_the_job_runs(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    stubs["bedrock"].add_response("get_evaluation_job", _job("InProgress"), {"jobIdentifier": JOB_ARN})
    assert handler.poll(POLL_EVENT, None) == {"status": "InProgress", "notified": False}


def test_poll_publishes_the_outcome_and_disables_its_rule(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    job = {**_job("Failed"), "failureMessages": ["Dataset not found"]}
    stubs["bedrock"].add_response("get_evaluation_job", job, {"jobIdentifier": JOB_ARN})
    expected = {
        "jobArn": JOB_ARN,
        "jobName": "nightly-eval-1234abcd",
        "status": "Failed",
        "jobType": "Automated",
        "outputS3Uri": "s3://data-bucket/evaluation/results/",
        "failureMessages": ["Dataset not found"],
    }
    stubs["sns"].add_response(
        "publish",
        {"MessageId": "m-1"},
        {
            "TopicArn": TOPIC_ARN,
            "Subject": "Bedrock evaluation job nightly-eval-1234abcd Failed",
            "Message": json.dumps(expected),
        },
    )
    stubs["events"].add_response("disable_rule", {}, {"Name": "eval-poller"})
    assert handler.poll(POLL_EVENT, None) == {"status": "Failed", "notified": True}


def test_poll_disables_its_rule_when_the_job_is_gone(handler: ModuleType, stubs: dict[str, Stubber]) -> None:
    stubs["bedrock"].add_client_error("get_evaluation_job", "ResourceNotFoundException", "no such job", 404)
    stubs["events"].add_response("disable_rule", {}, {"Name": "eval-poller"})
    assert handler.poll(POLL_EVENT, None) == {"status": "NotFound", "notified": False}


def test_unknown_request_type_is_rejected(handler: ModuleType) -> None:
    with pytest.raises(ValueError, match="unknown RequestType 'Replace'"):
        handler.on_event(_event("Replace"), None)


def test_create_restores_numbers_that_cloudformation_turned_into_strings(
    handler: ModuleType, stubs: dict[str, Stubber]
) -> None:
    judge = {
        "automated": {
            "datasetMetricConfigs": [{"taskType": "General", "dataset": {"name": "p.jsonl"}, "metricNames": ["Tone"]}],
            "customMetricConfig": {
                "customMetrics": [
                    {
                        "customMetricDefinition": {
                            "name": "Tone",
                            "instructions": "Rate {{prediction}}",
                            "ratingScale": [{"definition": "Polite", "value": {"floatValue": "1"}}],
                        }
                    }
                ],
                "evaluatorModelConfig": {"bedrockEvaluatorModels": [{"modelIdentifier": "amazon.nova-pro-v1:0"}]},
            },
        }
    }
    event = _event("Create")
    event["ResourceProperties"]["Request"] = {**REQUEST, "evaluationConfig": judge}
    expected = json.loads(json.dumps(event["ResourceProperties"]["Request"]))
    scale = expected["evaluationConfig"]["automated"]["customMetricConfig"]["customMetrics"][0]
    scale["customMetricDefinition"]["ratingScale"][0]["value"]["floatValue"] = 1.0
    _no_job_yet(stubs)
    stubs["bedrock"].add_response(
        "create_evaluation_job",
        {"jobArn": JOB_ARN},
        {**expected, "jobName": handler.job_name("nightly-eval", expected), "clientRequestToken": REQUEST_ID},
    )
    assert handler.on_event(event, None)["PhysicalResourceId"] == JOB_ARN
