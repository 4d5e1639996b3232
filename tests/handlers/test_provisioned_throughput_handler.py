"""lambda/provisioned_throughput: every path, with botocore's Stubber validating each request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from tests.handlers.stubs import stubbed
from tests.support import load_handler

ARN = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdef123456"
NEW_ARN = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/fedcba654321"
FM_ARN = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k"
CUSTOM_ARN = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1:0:8k/abcdef123456"
NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


handler = load_handler("provisioned_throughput")


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> Iterator[Stubber]:
    monkeypatch.setattr(handler, "_now", lambda: NOW)
    with stubbed(handler, monkeypatch, sleeps) as stubber:
        yield stubber


def props(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
        "ModelId": "amazon.titan-text-express-v1:0:8k",
        "ModelUnits": "1",
        "CommitmentDuration": "NoCommitment",
        "ProvisionedModelName": "chat-pt",
    }
    base.update(overrides)
    return base


def event(request_type: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "RequestType": request_type,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1111",
        "LogicalResourceId": "ChatPt",
        "RequestId": "req-1",
        "ResourceType": "Custom::BedrockProvisionedThroughput",
        "ResourceProperties": props(),
    }
    base.update(fields)
    return base


def described(status: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "modelUnits": 1,
        "desiredModelUnits": 1,
        "provisionedModelName": "chat-pt",
        "provisionedModelArn": ARN,
        "modelArn": FM_ARN,
        "desiredModelArn": FM_ARN,
        "foundationModelArn": FM_ARN,
        "status": status,
        "creationTime": NOW,
        "lastModifiedTime": NOW,
    }
    base.update(fields)
    return base


def throttled(stub: Stubber, operation: str) -> None:
    stub.add_client_error(operation, service_error_code="ThrottlingException", http_status_code=429)


# --- create -> Creating -> InService -------------------------------------------------------------


def test_create_starts_the_purchase_and_returns_the_arn_at_once(stub: Stubber) -> None:
    stub.add_response(
        "create_provisioned_model_throughput",
        {"provisionedModelArn": ARN},
        {
            "clientRequestToken": ANY,
            "modelUnits": 1,
            "provisionedModelName": "chat-pt",
            "modelId": "amazon.titan-text-express-v1:0:8k",
        },
    )
    result = handler.on_event(event("Create"))
    assert result == {"PhysicalResourceId": ARN, "Data": {"ProvisionedModelArn": ARN}}


def test_create_passes_commitment_and_tags(stub: Stubber) -> None:
    stub.add_response(
        "create_provisioned_model_throughput",
        {"provisionedModelArn": ARN},
        {
            "clientRequestToken": ANY,
            "modelUnits": 2,
            "provisionedModelName": "chat-pt",
            "modelId": "amazon.titan-text-express-v1:0:8k",
            "commitmentDuration": "SixMonths",
            "tags": [{"key": "team", "value": "ml"}],
        },
    )
    handler.on_event(
        event(
            "Create",
            ResourceProperties=props(
                ModelUnits="2", CommitmentDuration="SixMonths", Tags=[{"Key": "team", "Value": "ml"}]
            ),
        )
    )


def test_request_token_is_stable_for_a_retried_request_and_differs_per_request() -> None:
    parsed = handler.properties(props())
    first = handler.request_token(event("Create"), parsed)
    assert first == handler.request_token(event("Create"), parsed)
    assert first != handler.request_token(event("Create", RequestId="req-2"), parsed)
    assert first.isalnum()
    assert len(first) <= 256


def test_is_complete_is_false_while_creating(stub: Stubber) -> None:
    stub.add_response("get_provisioned_model_throughput", described("Creating"), {"provisionedModelId": ARN})
    assert handler.is_complete(event("Create", PhysicalResourceId=ARN)) == {"IsComplete": False}


def test_is_complete_reports_attributes_when_in_service(stub: Stubber) -> None:
    stub.add_response("get_provisioned_model_throughput", described("InService"), {"provisionedModelId": ARN})
    result = handler.is_complete(event("Create", PhysicalResourceId=ARN))
    assert result["IsComplete"] is True
    assert result["Data"]["ProvisionedModelArn"] == ARN
    assert result["Data"]["ModelUnits"] == "1"
    assert result["Data"]["CommitmentDuration"] == "NoCommitment"


def test_create_then_creating_then_in_service(stub: Stubber) -> None:
    stub.add_response("create_provisioned_model_throughput", {"provisionedModelArn": ARN})
    stub.add_response("get_provisioned_model_throughput", described("Creating"))
    stub.add_response("get_provisioned_model_throughput", described("InService"))
    created = handler.on_event(event("Create"))
    polled = event("Create", PhysicalResourceId=created["PhysicalResourceId"], Data=created["Data"])
    assert handler.is_complete(polled)["IsComplete"] is False
    assert handler.is_complete(polled)["IsComplete"] is True


def test_failed_status_raises_with_bedrocks_failure_message(stub: Stubber) -> None:
    stub.add_response(
        "get_provisioned_model_throughput",
        described("Failed", failureMessage="Insufficient model units quota"),
    )
    with pytest.raises(RuntimeError, match="failed: Insufficient model units quota"):
        handler.is_complete(event("Create", PhysicalResourceId=ARN))


# --- throttling ----------------------------------------------------------------------------------


def test_throttled_create_is_retried_with_growing_backoff(stub: Stubber, sleeps: list[float]) -> None:
    throttled(stub, "create_provisioned_model_throughput")
    throttled(stub, "create_provisioned_model_throughput")
    stub.add_response("create_provisioned_model_throughput", {"provisionedModelArn": ARN})
    assert handler.on_event(event("Create"))["PhysicalResourceId"] == ARN
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0
    assert 1.0 <= sleeps[1] <= 2.0


def test_throttling_gives_up_after_the_last_attempt(stub: Stubber, sleeps: list[float]) -> None:
    for _ in range(handler.clients.retry.max_attempts):
        throttled(stub, "get_provisioned_model_throughput")
    with pytest.raises(Exception, match="ThrottlingException"):
        handler.is_complete(event("Create", PhysicalResourceId=ARN))
    assert len(sleeps) == handler.clients.retry.max_attempts - 1


def test_validation_errors_are_not_retried(stub: Stubber, sleeps: list[float]) -> None:
    stub.add_client_error(
        "create_provisioned_model_throughput", service_error_code="ValidationException", http_status_code=400
    )
    with pytest.raises(Exception, match="ValidationException"):
        handler.on_event(event("Create"))
    assert sleeps == []


# --- update: in place vs replacement -------------------------------------------------------------


def test_name_change_updates_in_place_and_keeps_the_physical_id(stub: Stubber) -> None:
    stub.add_response(
        "update_provisioned_model_throughput",
        {},
        {"provisionedModelId": ARN, "desiredProvisionedModelName": "chat-pt-2"},
    )
    result = handler.on_event(
        event(
            "Update",
            PhysicalResourceId=ARN,
            ResourceProperties=props(ProvisionedModelName="chat-pt-2"),
            OldResourceProperties=props(),
        )
    )
    assert result["PhysicalResourceId"] == ARN


def test_a_base_model_throughput_gets_a_new_throughput_for_another_model(stub: Stubber) -> None:
    """UpdateProvisionedModelThroughput's desiredModelId serves only custom-model throughputs (defect 4)."""
    stub.add_response("get_provisioned_model_throughput", described("InService"), {"provisionedModelId": "chat-pt"})
    stub.add_response(
        "create_provisioned_model_throughput",
        {"provisionedModelArn": NEW_ARN},
        {
            "clientRequestToken": ANY,
            "modelUnits": 1,
            "provisionedModelName": ANY,
            "modelId": CUSTOM_ARN,
        },
    )
    result = handler.on_event(
        event(
            "Update",
            PhysicalResourceId=ARN,
            ResourceProperties=props(ModelId=CUSTOM_ARN),
            OldResourceProperties=props(),
        )
    )
    assert result["PhysicalResourceId"] == NEW_ARN


def test_a_custom_model_throughput_moves_to_a_sibling_in_place(stub: Stubber) -> None:
    sibling = CUSTOM_ARN.replace("abcdef123456", "fedcba654321")
    for model in (CUSTOM_ARN, sibling):
        stub.add_response(
            "get_custom_model",
            {"modelArn": model, "modelName": "m", "baseModelArn": FM_ARN, "creationTime": NOW},
            {"modelIdentifier": model},
        )
    stub.add_response("update_provisioned_model_throughput", {}, {"provisionedModelId": ARN, "desiredModelId": sibling})
    result = handler.on_event(
        event(
            "Update",
            PhysicalResourceId=ARN,
            ResourceProperties=props(ModelId=sibling),
            OldResourceProperties=props(ModelId=CUSTOM_ARN),
        )
    )
    assert result["PhysicalResourceId"] == ARN


def test_in_place_update_waits_while_updating(stub: Stubber) -> None:
    stub.add_response("get_provisioned_model_throughput", described("Updating"))
    assert handler.is_complete(event("Update", PhysicalResourceId=ARN))["IsComplete"] is False


@pytest.mark.parametrize(
    "change", [{"ModelUnits": "2"}, {"CommitmentDuration": "OneMonth"}], ids=["model-units", "commitment"]
)
def test_units_or_commitment_change_creates_a_new_throughput(stub: Stubber, change: dict[str, str]) -> None:
    stub.add_response("get_provisioned_model_throughput", described("InService"), {"provisionedModelId": "chat-pt"})
    stub.add_response("create_provisioned_model_throughput", {"provisionedModelArn": NEW_ARN})
    result = handler.on_event(
        event(
            "Update",
            RequestId="req-2",
            PhysicalResourceId=ARN,
            ResourceProperties=props(**change),
            OldResourceProperties=props(),
        )
    )
    assert result["PhysicalResourceId"] == NEW_ARN


def test_tag_changes_are_applied_in_place(stub: Stubber) -> None:
    stub.add_response("untag_resource", {}, {"resourceARN": ARN, "tagKeys": ["old"]})
    stub.add_response("tag_resource", {}, {"resourceARN": ARN, "tags": [{"key": "team", "value": "ml"}]})
    result = handler.on_event(
        event(
            "Update",
            PhysicalResourceId=ARN,
            ResourceProperties=props(Tags=[{"Key": "team", "Value": "ml"}]),
            OldResourceProperties=props(Tags=[{"Key": "old", "Value": "x"}]),
        )
    )
    assert result["PhysicalResourceId"] == ARN


# --- delete --------------------------------------------------------------------------------------


def test_delete_of_a_no_commitment_throughput_deletes_it(stub: Stubber) -> None:
    stub.add_response("get_provisioned_model_throughput", described("InService"), {"provisionedModelId": ARN})
    stub.add_response("delete_provisioned_model_throughput", {}, {"provisionedModelId": ARN})
    assert handler.on_event(event("Delete", PhysicalResourceId=ARN)) == {"PhysicalResourceId": ARN}


def test_delete_of_a_missing_throughput_succeeds(stub: Stubber) -> None:
    stub.add_client_error(
        "get_provisioned_model_throughput",
        service_error_code="ResourceNotFoundException",
        http_status_code=404,
    )
    assert handler.on_event(event("Delete", PhysicalResourceId=ARN)) == {"PhysicalResourceId": ARN}


def test_delete_that_races_a_concurrent_delete_succeeds(stub: Stubber) -> None:
    stub.add_response("get_provisioned_model_throughput", described("InService"))
    stub.add_client_error(
        "delete_provisioned_model_throughput",
        service_error_code="ResourceNotFoundException",
        http_status_code=404,
    )
    assert handler.on_event(event("Delete", PhysicalResourceId=ARN)) == {"PhysicalResourceId": ARN}


def test_delete_after_a_failed_create_makes_no_call(stub: Stubber) -> None:
    physical_id = "app-ChatPt-ABCDEF"
    assert handler.on_event(event("Delete", PhysicalResourceId=physical_id)) == {"PhysicalResourceId": physical_id}


def test_delete_of_a_committed_throughput_in_term_is_refused_with_a_clear_message(stub: Stubber) -> None:
    stub.add_response(
        "get_provisioned_model_throughput",
        described(
            "InService",
            commitmentDuration="SixMonths",
            commitmentExpirationTime=NOW + dt.timedelta(days=90),
        ),
    )
    with pytest.raises(RuntimeError) as excinfo:
        handler.on_event(event("Delete", PhysicalResourceId=ARN))
    message = str(excinfo.value)
    assert "Refusing to delete" in message
    assert "SixMonths commitment" in message
    assert "2027-02-26" in message
    assert "RemovalPolicy.RETAIN" in message


def test_delete_of_a_committed_throughput_after_its_term_deletes_it(stub: Stubber) -> None:
    stub.add_response(
        "get_provisioned_model_throughput",
        described("InService", commitmentDuration="OneMonth", commitmentExpirationTime=NOW - dt.timedelta(days=1)),
    )
    stub.add_response("delete_provisioned_model_throughput", {}, {"provisionedModelId": ARN})
    assert handler.on_event(event("Delete", PhysicalResourceId=ARN)) == {"PhysicalResourceId": ARN}


def test_is_complete_on_delete_makes_no_call(stub: Stubber) -> None:
    assert handler.is_complete(event("Delete", PhysicalResourceId=ARN)) == {"IsComplete": True}


# --- property validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"ModelUnits": "0"}, "ModelUnits must be an integer >= 1, got 0"),
        ({"ModelUnits": "many"}, "ModelUnits must be an integer >= 1, got 'many'"),
        (
            {"CommitmentDuration": "OneYear"},
            "CommitmentDuration must be one of NoCommitment, OneMonth, SixMonths",
        ),
        ({"ProvisionedModelName": ""}, "ProvisionedModelName must be 1-63 characters"),
    ],
)
def test_bad_properties_fail_before_any_call(stub: Stubber, override: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        handler.on_event(event("Create", ResourceProperties=props(**override)))
