"""lambda/use_case_form: adopt, submit once, never update, never delete (botocore's Stubber checks each request)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from tests.handlers.stubs import stubbed
from tests.support import load_handler

handler = load_handler("use_case_form")
FORM = {
    "companyName": "Example Corp",
    "companyWebsite": "https://example.com",
    "intendedUsers": "0",
    "industryOption": "Technology",
    "otherIndustryOption": "",
    "useCases": "Internal support assistant",
}


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    with stubbed(handler, monkeypatch) as stubber:
        yield stubber


def event(request_type: str, form: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1111",
        "LogicalResourceId": "Form",
        "RequestId": "req-1",
        "ResourceType": "Custom::BedrockUseCaseForm",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p", "FormData": form},
        **fields,
    }


def no_form(stub: Stubber) -> None:
    stub.add_client_error(
        "get_use_case_for_model_access", service_error_code="ResourceNotFoundException", http_status_code=404
    )


def test_a_missing_form_is_submitted_as_json(stub: Stubber) -> None:
    no_form(stub)
    stub.add_response("put_use_case_for_model_access", {}, {"formData": json.dumps(FORM).encode("utf-8")})
    result = handler.on_event(event("Create", FORM))
    assert result == {
        "PhysicalResourceId": "anthropic-use-case-form",
        "Data": {"Adopted": "false", "FormChanged": "false"},
    }


def test_a_form_on_file_is_adopted_without_a_submission(stub: Stubber) -> None:
    stub.add_response("get_use_case_for_model_access", {"formData": json.dumps(FORM).encode("utf-8")})
    assert handler.on_event(event("Create", FORM))["Data"] == {"Adopted": "true", "FormChanged": "false"}


def test_an_update_with_a_changed_form_reports_it_and_submits_nothing(stub: Stubber) -> None:
    stub.add_response("get_use_case_for_model_access", {"formData": json.dumps(FORM).encode("utf-8")})
    changed = {**FORM, "useCases": "Other"}
    result = handler.on_event(event("Update", changed, PhysicalResourceId="anthropic-use-case-form"))
    assert result["PhysicalResourceId"] == "anthropic-use-case-form"
    assert result["Data"]["FormChanged"] == "true"


def test_delete_makes_no_call(stub: Stubber) -> None:
    result = handler.on_event(event("Delete", FORM, PhysicalResourceId="anthropic-use-case-form"))
    assert result == {"PhysicalResourceId": "anthropic-use-case-form"}


def test_a_throttled_read_is_retried(stub: Stubber) -> None:
    stub.add_client_error(
        "get_use_case_for_model_access", service_error_code="ThrottlingException", http_status_code=429
    )
    stub.add_response("get_use_case_for_model_access", {"formData": b"{}"})
    assert handler.on_event(event("Create", FORM))["Data"]["Adopted"] == "true"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (None, "FormData must be an object"),
        ({**FORM, "color": "blue"}, "FormData has unknown field\\(s\\) color; allowed: companyName"),
        ({**FORM, "companyName": ""}, "FormData must set companyName"),
        ({**FORM, "useCases": "x" * 20000}, "FormData must encode to at most 16384 bytes"),
    ],
)
def test_a_bad_form_fails_before_any_call(stub: Stubber, form: dict[str, Any] | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        handler.on_event(event("Create", form))
