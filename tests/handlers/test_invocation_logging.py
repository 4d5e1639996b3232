"""The invocation logging custom resource against moto's bedrock and SSM backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from tests.support import load_handler

REGION = "us-east-1"
PARAMETER = "/bedrock-ops/invocation-logging/state"
GET = "get_model_invocation_logging_configuration"
OURS = {
    "cloudWatchConfig": {
        "logGroupName": "/bedrock-ops/model-invocations",
        "roleArn": "arn:aws:iam::123456789012:role/BedrockLogsDelivery",
        "largeDataDeliveryS3Config": {"bucketName": "ops-invocation-logs", "keyPrefix": "large-data"},
    },
    "s3Config": {"bucketName": "ops-invocation-logs", "keyPrefix": "invocation-logs"},
    "textDataDeliveryEnabled": True,
    "imageDataDeliveryEnabled": True,
    "embeddingDataDeliveryEnabled": False,
    "videoDataDeliveryEnabled": True,
}
FOREIGN = {
    "s3Config": {"bucketName": "someone-elses-bucket", "keyPrefix": "theirs"},
    "textDataDeliveryEnabled": True,
    "imageDataDeliveryEnabled": False,
    "embeddingDataDeliveryEnabled": False,
}


def _props(config: dict[str, Any] = OURS, *, adopt: bool = False, parameter: str = PARAMETER) -> dict[str, Any]:
    return {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
        "LoggingConfig": json.dumps(config),
        "Adopt": "true" if adopt else "false",
        "StateParameterName": parameter,
    }


def _event(request_type: str, props: dict[str, Any], old: dict[str, Any] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": request_type,
        "LogicalResourceId": "InvocationLoggingConfiguration",
        "ResourceType": "Custom::BedrockInvocationLogging",
        "ResourceProperties": props,
    }
    if request_type != "Create":
        event["PhysicalResourceId"] = f"bedrock-invocation-logging-{REGION}"
    if old is not None:
        event["OldResourceProperties"] = old
    return event


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    module = load_handler("invocation_logging")
    with mock_aws():
        module.clients.override("bedrock", boto3.client("bedrock", region_name=REGION))
        module.clients.override("ssm", boto3.client("ssm", region_name=REGION))
        monkeypatch.setattr(module.clients.retry, "sleep", lambda _seconds: None)
        yield module


def _current(handler: ModuleType) -> dict[str, Any]:
    response = handler.clients.get("bedrock").get_model_invocation_logging_configuration()
    return response.get("loggingConfig") or {}


def _stored_previous(handler: ModuleType) -> Any:
    value = handler.clients.get("ssm").get_parameter(Name=PARAMETER)["Parameter"]["Value"]
    return json.loads(value)["previous"]


def test_create_in_a_fresh_account_puts_the_configuration(handler: ModuleType) -> None:
    result = handler.on_event(_event("Create", _props()), None)

    assert _current(handler) == OURS
    assert result == {
        "PhysicalResourceId": f"bedrock-invocation-logging-{REGION}",
        "Data": {"AdoptedExisting": "false"},
    }


def test_create_in_a_fresh_account_stores_that_nothing_was_there_before(
    handler: ModuleType,
) -> None:
    handler.on_event(_event("Create", _props()), None)

    assert _stored_previous(handler) is None


def test_create_refuses_a_foreign_configuration_and_leaves_it_untouched(handler: ModuleType) -> None:
    handler.clients.get("bedrock").put_model_invocation_logging_configuration(loggingConfig=FOREIGN)

    with pytest.raises(RuntimeError, match=r"someone-elses-bucket.*adopt_existing=True"):
        handler.on_event(_event("Create", _props()), None)

    assert _current(handler) == FOREIGN
    with pytest.raises(ClientError, match="ParameterNotFound"):
        handler.clients.get("ssm").get_parameter(Name=PARAMETER)


def test_create_with_adopt_takes_over_a_foreign_configuration_and_stores_it(handler: ModuleType) -> None:
    handler.clients.get("bedrock").put_model_invocation_logging_configuration(loggingConfig=FOREIGN)

    result = handler.on_event(_event("Create", _props(adopt=True)), None)

    assert _current(handler) == OURS
    assert _stored_previous(handler) == FOREIGN
    assert result["Data"] == {"AdoptedExisting": "true"}


def test_delete_restores_the_adopted_previous_configuration(handler: ModuleType) -> None:
    handler.clients.get("bedrock").put_model_invocation_logging_configuration(loggingConfig=FOREIGN)
    handler.on_event(_event("Create", _props(adopt=True)), None)

    handler.on_event(_event("Delete", _props(adopt=True)), None)

    assert _current(handler) == FOREIGN


def test_delete_switches_logging_off_when_there_was_nothing_before(handler: ModuleType) -> None:
    handler.on_event(_event("Create", _props()), None)

    handler.on_event(_event("Delete", _props()), None)

    assert _current(handler) == {}


def test_delete_removes_the_stored_state(handler: ModuleType) -> None:
    handler.on_event(_event("Create", _props()), None)

    handler.on_event(_event("Delete", _props()), None)

    with pytest.raises(ClientError, match="ParameterNotFound"):
        handler.clients.get("ssm").get_parameter(Name=PARAMETER)


def test_delete_succeeds_when_the_configuration_is_already_gone(handler: ModuleType) -> None:
    result = handler.on_event(_event("Delete", _props()), None)

    assert result["PhysicalResourceId"] == f"bedrock-invocation-logging-{REGION}"
    assert _current(handler) == {}


def test_delete_leaves_a_configuration_that_someone_else_put_since(handler: ModuleType) -> None:
    handler.on_event(_event("Create", _props()), None)
    handler.clients.get("bedrock").put_model_invocation_logging_configuration(loggingConfig=FOREIGN)

    handler.on_event(_event("Delete", _props()), None)

    assert _current(handler) == FOREIGN


def test_update_puts_the_new_configuration_and_keeps_the_previous_one(handler: ModuleType) -> None:
    handler.clients.get("bedrock").put_model_invocation_logging_configuration(loggingConfig=FOREIGN)
    handler.on_event(_event("Create", _props(adopt=True)), None)
    changed = {**OURS, "imageDataDeliveryEnabled": False}

    handler.on_event(_event("Update", _props(changed, adopt=True), old=_props(adopt=True)), None)

    assert _current(handler) == changed
    assert _stored_previous(handler) == FOREIGN


def test_update_moves_the_state_when_the_parameter_name_changes(handler: ModuleType) -> None:
    handler.clients.get("bedrock").put_model_invocation_logging_configuration(loggingConfig=FOREIGN)
    handler.on_event(_event("Create", _props(adopt=True)), None)
    new_parameter = "/bedrock-ops/other/state"

    handler.on_event(_event("Update", _props(parameter=new_parameter), old=_props(adopt=True)), None)

    moved = handler.clients.get("ssm").get_parameter(Name=new_parameter)["Parameter"]["Value"]
    assert json.loads(moved)["previous"] == FOREIGN
    with pytest.raises(ClientError, match="ParameterNotFound"):
        handler.clients.get("ssm").get_parameter(Name=PARAMETER)


def test_a_large_previous_configuration_is_stored_in_the_advanced_tier(handler: ModuleType) -> None:
    large = {
        "cloudWatchConfig": {
            "logGroupName": "g" * 512,
            "roleArn": "arn:aws:iam::123456789012:role/" + "r" * 2000,
            "largeDataDeliveryS3Config": {"bucketName": "b" * 63, "keyPrefix": "p" * 1024},
        },
        "s3Config": {"bucketName": "c" * 63, "keyPrefix": "q" * 1024},
    }
    handler.clients.get("bedrock").put_model_invocation_logging_configuration(loggingConfig=large)

    handler.on_event(_event("Create", _props(adopt=True)), None)

    parameter = handler.clients.get("ssm").get_parameter(Name=PARAMETER)["Parameter"]
    assert len(parameter["Value"]) > 4096
    assert _stored_previous(handler) == large


def test_a_failed_put_on_create_leaves_no_state_behind(handler: ModuleType) -> None:
    stub = Stubber(handler.clients.get("bedrock"))
    stub.add_response("get_model_invocation_logging_configuration", {})
    for _ in range(handler.clients.retry.max_attempts):
        stub.add_client_error(
            "put_model_invocation_logging_configuration",
            service_error_code="ValidationException",
            service_message="Failed to validate permissions for log group",
        )

    with stub, pytest.raises(ClientError, match="Failed to validate permissions"):
        handler.on_event(_event("Create", _props()), None)

    with pytest.raises(ClientError, match="ParameterNotFound"):
        handler.clients.get("ssm").get_parameter(Name=PARAMETER)


def test_throttling_is_retried_with_exponential_backoff(handler: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(handler.clients.retry, "sleep", waits.append)
    stub = Stubber(handler.clients.get("bedrock"))
    stub.add_client_error("get_model_invocation_logging_configuration", service_error_code="ThrottlingException")
    stub.add_client_error("get_model_invocation_logging_configuration", service_error_code="ThrottlingException")
    stub.add_response("get_model_invocation_logging_configuration", {})
    stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": OURS})

    with stub:
        handler.on_event(_event("Create", _props()), None)

    assert waits == [1.0, 2.0]
    stub.assert_no_pending_responses()


def test_access_denied_is_not_retried(handler: ModuleType) -> None:
    stub = Stubber(handler.clients.get("bedrock"))
    stub.add_client_error("get_model_invocation_logging_configuration", service_error_code="AccessDeniedException")

    with stub, pytest.raises(ClientError, match="AccessDeniedException"):
        handler.on_event(_event("Create", _props()), None)


def test_a_logging_config_that_is_not_a_json_string_is_rejected(handler: ModuleType) -> None:
    props = {**_props(), "LoggingConfig": {"s3Config": {"bucketName": "x"}}}

    with pytest.raises(ValueError, match="LoggingConfig must be a JSON string"):
        handler.on_event(_event("Create", props), None)


def test_an_unknown_request_type_is_rejected(handler: ModuleType) -> None:
    with pytest.raises(ValueError, match="unknown RequestType 'Replace'"):
        handler.on_event(_event("Replace", _props()), None)
