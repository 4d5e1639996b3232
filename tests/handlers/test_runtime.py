"""The handler runtime (lambda/_runtime): clients, retry, JSON logs, CloudFormation properties, errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from _runtime.cfn import PropertyError, dispatch, from_json, to_bool, to_choice, to_float, to_int
from _runtime.clients import Clients
from _runtime.errors import error_code, error_message
from _runtime.logs import Log
from _runtime.retry import Retry, RetryingClients

AVAILABILITY = {
    "modelId": "amazon.nova-lite-v1:0",
    "agreementAvailability": {"status": "AVAILABLE"},
    "authorizationStatus": "AUTHORIZED",
    "entitlementAvailability": "AVAILABLE",
    "regionAvailability": "AVAILABLE",
}


def _error(code: str, message: str = "no") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Operation")


@pytest.fixture
def stubbed(sleeps: list[float]) -> tuple[RetryingClients, Stubber]:
    clients = RetryingClients(retry=Retry(max_attempts=3, sleep=sleeps.append))
    client = boto3.client("bedrock", region_name="us-east-1")
    clients.override("bedrock", client)
    return clients, Stubber(client)


# --- paging -----------------------------------------------------------------------------------------


def test_items_follows_next_token_through_every_page_keeping_the_filters(
    stubbed: tuple[RetryingClients, Stubber], sleeps: list[float]
) -> None:
    clients, stub = stubbed
    summary = {
        "jobArn": "arn:aws:bedrock:us-east-1:123456789012:evaluation-job/abcdefghijkl",
        "jobName": "a",
        "status": "Completed",
        "creationTime": "2026-12-01T00:00:00Z",
        "jobType": "Automated",
        "evaluationTaskTypes": ["General"],
        "modelIdentifiers": [],
    }
    stub.add_response("list_evaluation_jobs", {"jobSummaries": [summary], "nextToken": "t1"}, {"nameContains": "a"})
    stub.add_client_error("list_evaluation_jobs", "ThrottlingException")
    stub.add_response(
        "list_evaluation_jobs",
        {"jobSummaries": [{**summary, "jobName": "ab"}]},
        {"nameContains": "a", "nextToken": "t1"},
    )
    with stub:
        names = [
            s["jobName"] for s in clients.items("bedrock", "list_evaluation_jobs", "jobSummaries", nameContains="a")
        ]
    assert names == ["a", "ab"] and len(sleeps) == 1  # each page through the retries
    stub.assert_no_pending_responses()


def test_items_takes_the_token_names_of_s3() -> None:
    clients = RetryingClients(retry=Retry(max_attempts=1))
    client = boto3.client("s3", region_name="us-east-1")
    clients.override("s3", client)
    stub = Stubber(client)
    stub.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": "p/1"}], "IsTruncated": True, "NextContinuationToken": "c1"},
        {"Bucket": "b", "Prefix": "p/"},
    )
    stub.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": "p/2"}], "IsTruncated": False},
        {"Bucket": "b", "Prefix": "p/", "ContinuationToken": "c1"},
    )
    with stub:
        objects = clients.items(
            "s3",
            "list_objects_v2",
            "Contents",
            token="ContinuationToken",
            next_token="NextContinuationToken",
            Bucket="b",
            Prefix="p/",
        )
        assert [o["Key"] for o in objects] == ["p/1", "p/2"]
    stub.assert_no_pending_responses()


# --- retry ------------------------------------------------------------------------------------------


def test_throttling_is_retried_then_the_answer_returned(
    stubbed: tuple[RetryingClients, Stubber], sleeps: list[float]
) -> None:
    clients, stub = stubbed
    stub.add_client_error("get_foundation_model_availability", "ThrottlingException")
    stub.add_client_error("get_foundation_model_availability", "ServiceUnavailableException")
    stub.add_response("get_foundation_model_availability", AVAILABILITY, {"modelId": "amazon.nova-lite-v1:0"})
    with stub:
        answer = clients.call("bedrock", "get_foundation_model_availability", modelId="amazon.nova-lite-v1:0")
    assert answer["authorizationStatus"] == "AUTHORIZED"
    assert len(sleeps) == 2
    stub.assert_no_pending_responses()


def test_a_non_retryable_error_is_raised_at_once(stubbed: tuple[RetryingClients, Stubber], sleeps: list[float]) -> None:
    clients, stub = stubbed
    stub.add_client_error("get_foundation_model_availability", "AccessDeniedException", "denied")
    with stub, pytest.raises(ClientError, match="AccessDeniedException"):
        clients.call("bedrock", "get_foundation_model_availability", modelId="amazon.nova-lite-v1:0")
    assert sleeps == []


def test_retrying_gives_up_after_the_attempt_limit(
    stubbed: tuple[RetryingClients, Stubber], sleeps: list[float]
) -> None:
    clients, stub = stubbed
    for _ in range(3):
        stub.add_client_error("get_foundation_model_availability", "TooManyRequestsException")
    with stub, pytest.raises(ClientError, match="TooManyRequestsException"):
        clients.call("bedrock", "get_foundation_model_availability", modelId="amazon.nova-lite-v1:0")
    assert len(sleeps) == 2
    stub.assert_no_pending_responses()


def test_extra_retry_codes_apply_to_one_call(sleeps: list[float]) -> None:
    answers: list[Any] = [_error("ValidationException"), "ok"]

    def flaky() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    retry = Retry(sleep=sleeps.append)
    with pytest.raises(ClientError):
        retry.call(flaky)
    answers.insert(0, _error("ValidationException"))
    assert retry.call(flaky, retry_codes=frozenset({"ValidationException"})) == "ok"
    assert len(sleeps) == 1


def test_backoff_doubles_up_to_the_cap_without_jitter() -> None:
    retry = Retry(base_delay=2.0, max_delay=20.0, jitter=False)
    assert [retry.delay(n) for n in range(1, 6)] == [2.0, 4.0, 8.0, 16.0, 20.0]


@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999999])
def test_jitter_keeps_each_wait_between_half_and_all_of_the_backoff(draw: float) -> None:
    retry = Retry(base_delay=1.0, max_delay=20.0, rand=lambda: draw)
    for attempt in range(1, 8):
        backoff = min(20.0, 2.0 ** (attempt - 1))
        assert backoff / 2 <= retry.delay(attempt) < backoff
    assert retry.delay(1) == pytest.approx(0.5 + draw / 2)


def test_at_least_one_attempt_is_required() -> None:
    with pytest.raises(ValueError, match="max_attempts must be >= 1, got 0"):
        Retry(max_attempts=0)


def test_find_answers_none_for_a_missing_resource(stubbed: tuple[RetryingClients, Stubber]) -> None:
    clients, stub = stubbed
    stub.add_client_error("get_custom_model", "ResourceNotFoundException")
    stub.add_client_error("get_custom_model", "ValidationException")
    with stub:
        assert clients.find("bedrock", "get_custom_model", modelIdentifier="m") is None
        with pytest.raises(ClientError, match="ValidationException"):
            clients.find("bedrock", "get_custom_model", modelIdentifier="m")


# --- clients ----------------------------------------------------------------------------------------


def test_clients_are_created_once_per_service_and_can_be_overridden() -> None:
    clients = Clients(max_attempts=8)
    first = clients.get("s3")
    assert clients.get("s3") is first
    # botocore reads max_attempts as retries after the first call: 8 retries, 9 calls in all.
    assert first.meta.config.retries == {"mode": "standard", "total_max_attempts": 9}
    replacement = boto3.client("s3", region_name="us-east-1")
    clients.override("s3", replacement)
    assert clients.get("s3") is replacement
    clients.clear()
    assert clients.get("s3") not in {first, replacement}


# --- logs -------------------------------------------------------------------------------------------


def test_each_log_call_writes_one_json_line(caplog: pytest.LogCaptureFixture) -> None:
    log = Log("bedrock_ops.test")
    with caplog.at_level(logging.INFO, logger="bedrock_ops.test"):
        log.info("started", job="a\nb", count=2)
        log.warning("odd", value={1, 2})
        log.error("failed", message_id=7)
    assert [r.levelno for r in caplog.records] == [logging.INFO, logging.WARNING, logging.ERROR]
    lines = [r.getMessage() for r in caplog.records]
    assert all("\n" not in line for line in lines)
    assert json.loads(lines[0]) == {"message": "started", "job": "a\nb", "count": 2}
    assert json.loads(lines[1]) == {"message": "odd", "value": "{1, 2}"}
    assert json.loads(lines[2])["message"] == "failed"


def test_log_level_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "warning")
    log = Log("bedrock_ops.quiet")
    with caplog.at_level(logging.NOTSET):
        log.info("hidden")
        log.warning("shown")
    assert [json.loads(r.getMessage())["message"] for r in caplog.records if r.name == "bedrock_ops.quiet"] == ["shown"]


# --- errors -----------------------------------------------------------------------------------------


def test_error_code_and_message_of_a_client_error() -> None:
    assert error_code(_error("ThrottlingException", "slow down")) == "ThrottlingException"
    assert error_message(_error("ThrottlingException", "slow down")) == "slow down"
    bare = ClientError({}, "Operation")
    assert error_code(bare) == ""
    assert error_message(bare) == str(bare)


# --- CloudFormation ---------------------------------------------------------------------------------


def test_dispatch_hands_each_request_type_to_its_function() -> None:
    seen: list[str] = []

    def handler(name: str) -> Any:
        def handle(event: Mapping[str, Any]) -> dict[str, Any]:
            seen.append(name)
            return {"PhysicalResourceId": name}

        return handle

    functions = {"on_create": handler("c"), "on_update": handler("u"), "on_delete": handler("d")}
    for request_type in ("Create", "Update", "Delete"):
        dispatch({"RequestType": request_type}, **functions)
    assert seen == ["c", "u", "d"]
    with pytest.raises(ValueError, match="unknown RequestType 'Replace'"):
        dispatch({"RequestType": "Replace"}, **functions)


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("FALSE", False), (True, True), (None, False)])
def test_booleans_arrive_as_strings(value: Any, expected: bool) -> None:
    assert to_bool(value, "Adopt", default=False) is expected


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: to_bool("yes", "Adopt"), "Adopt must be 'true' or 'false', got 'yes'"),
        (lambda: to_bool(None, "Adopt"), "Adopt is required: 'true' or 'false'"),
        (lambda: to_int("many", "ModelUnits", minimum=1), "ModelUnits must be an integer >= 1, got 'many'"),
        (lambda: to_int("0", "ModelUnits", minimum=1), "ModelUnits must be an integer >= 1, got 0"),
        (lambda: to_int("11", "Epochs", minimum=1, maximum=10), "Epochs must be an integer 1-10, got 11"),
        (lambda: to_int("", "Epochs", maximum=10), "Epochs is required: an integer <= 10"),
        (lambda: to_float("x", "floatValue"), "floatValue must be a number, got 'x'"),
        (lambda: to_choice("OneYear", "Term", ("OneMonth", "SixMonths")), "Term must be one of OneMonth, SixMonths"),
        (lambda: from_json({"a": 1}, "LoggingConfig"), "LoggingConfig must be a JSON string holding a dict, got dict"),
        (lambda: from_json("{", "LoggingConfig"), r"LoggingConfig must be a JSON string holding a dict, got '\{' \("),
        (lambda: from_json("[1]", "LoggingConfig"), "LoggingConfig must be a JSON string holding a dict, got a list"),
    ],
)
def test_a_bad_property_names_itself_the_value_and_what_is_allowed(call: Any, message: str) -> None:
    with pytest.raises(PropertyError, match=message):
        call()


def test_good_properties_are_typed() -> None:
    assert to_int("5", "ModelUnits", minimum=1) == 5
    assert to_int(None, "ModelUnits", default=1) == 1
    assert to_float("1e-5", "learningRate", minimum=0.0, maximum=1.0) == 1e-5
    assert to_choice("", "Term", ("NoCommitment", "OneMonth"), default="NoCommitment") == "NoCommitment"
    assert from_json('{"s3Config": {"bucketName": "b"}, "textDataDeliveryEnabled": true}', "LoggingConfig") == {
        "s3Config": {"bucketName": "b"},
        "textDataDeliveryEnabled": True,
    }
    assert from_json("[1, 2]", "Items", expect=list) == [1, 2]


def test_tag_changes_lists_keys_to_untag_and_tags_to_set() -> None:
    from _runtime.cfn import tag_changes

    old = [{"key": "team", "value": "ml"}, {"key": "gone", "value": "x"}, {"key": "same", "value": "1"}]
    new = [{"key": "team", "value": "platform"}, {"key": "same", "value": "1"}, {"key": "new", "value": "y"}]
    assert tag_changes(old, new) == (["gone"], [{"key": "new", "value": "y"}, {"key": "team", "value": "platform"}])


def test_replacement_name_fits_63_characters_and_is_the_same_on_every_retry() -> None:
    from _runtime.cfn import replacement_name

    event = {"StackId": "stack", "LogicalResourceId": "Endpoint", "RequestId": "r-1"}
    long_name = "x" * 80
    first = replacement_name(long_name, event, {"ModelUnits": 1})
    assert first == replacement_name(long_name, dict(event), {"ModelUnits": 1})
    assert len(first) == 63 and first.startswith("x" * 56 + "-")
    assert replacement_name("pt", event, {"ModelUnits": 2}) != replacement_name("pt", event, {"ModelUnits": 1})
    assert replacement_name("pt", {**event, "RequestId": "r-2"}, {"ModelUnits": 1}) != replacement_name(
        "pt", event, {"ModelUnits": 1}
    )
