"""lambda/model_access: every path, with botocore's Stubber validating each request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.support import load_handler

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
FORM = {
    "companyName": "Example Corp",
    "companyWebsite": "https://example.com",
    "intendedUsers": "0",
    "industryOption": "Technology",
    "otherIndustryOption": "",
    "useCases": "Internal support assistant",
}


handler = load_handler("model_access")


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> Iterator[Stubber]:
    client = boto3.client("bedrock", region_name="us-east-1")
    handler.clients.override("bedrock", client)
    monkeypatch.setattr(handler.clients.retry, "sleep", sleeps.append)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()
    handler.clients.clear()


def props(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
        "ModelId": HAIKU,
        "RequiresUseCaseForm": "true",
        "UseCaseForm": FORM,
        "OfferType": "PUBLIC",
        "RevokeAgreementOnDelete": "false",
    }
    base.update(overrides)
    return base


def event(request_type: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "RequestType": request_type,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1111",
        "LogicalResourceId": "HaikuAccess",
        "RequestId": "req-1",
        "ResourceType": "Custom::BedrockModelAccess",
        "ResourceProperties": props(),
    }
    base.update(fields)
    return base


def availability(
    agreement: str = "AVAILABLE",
    authorization: str = "AUTHORIZED",
    region: str = "AVAILABLE",
    model_id: str = HAIKU,
    **agreement_fields: str,
) -> dict[str, Any]:
    return {
        "modelId": model_id,
        "agreementAvailability": {"status": agreement, **agreement_fields},
        "authorizationStatus": authorization,
        "entitlementAvailability": "AVAILABLE",
        "regionAvailability": region,
    }


OFFERS = {
    "modelId": HAIKU,
    "offers": [
        {
            "offerId": "offer-1",
            "offerToken": "token-1",
            "termDetails": {
                "usageBasedPricingTerm": {"rateCard": []},
                "legalTerm": {"url": "https://example.com/eula"},
                "supportTerm": {"refundPolicyDescription": "none"},
            },
        }
    ],
}


def test_already_granted_makes_no_call_beyond_the_check(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability(), {"modelId": HAIKU})
    created = handler.on_event(event("Create"))
    assert created["PhysicalResourceId"] == f"model-access:{HAIKU}"
    assert created["Data"]["AuthorizationStatus"] == "AUTHORIZED"
    # is_complete trusts the fresh check: the Stubber has no response left, so any call would fail.
    done = handler.is_complete(event("Create", **created))
    assert done["IsComplete"] is True
    assert done["Data"]["AgreementStatus"] == "AVAILABLE"


def test_missing_form_is_submitted_then_agreement_created(stub: Stubber) -> None:
    stub.add_response(
        "get_foundation_model_availability",
        availability("NOT_AVAILABLE", "NOT_AUTHORIZED"),
        {"modelId": HAIKU},
    )
    stub.add_client_error(
        "get_use_case_for_model_access", service_error_code="ResourceNotFoundException", http_status_code=404
    )
    stub.add_response("put_use_case_for_model_access", {}, {"formData": json.dumps(FORM).encode("utf-8")})
    stub.add_response("list_foundation_model_agreement_offers", OFFERS, {"modelId": HAIKU, "offerType": "PUBLIC"})
    stub.add_response(
        "create_foundation_model_agreement", {"modelId": HAIKU}, {"modelId": HAIKU, "offerToken": "token-1"}
    )
    result = handler.on_event(event("Create"))
    assert result == {"PhysicalResourceId": f"model-access:{HAIKU}", "Data": {"ModelId": HAIKU}}


def test_form_already_on_file_is_not_resubmitted(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability("AVAILABLE", "NOT_AUTHORIZED"))
    stub.add_response("get_use_case_for_model_access", {"formData": b"{}"})
    handler.on_event(event("Create"))


def test_missing_form_without_configuration_fails_naming_the_config_key(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability("NOT_AVAILABLE", "NOT_AUTHORIZED"))
    stub.add_client_error(
        "get_use_case_for_model_access", service_error_code="ResourceNotFoundException", http_status_code=404
    )
    with pytest.raises(RuntimeError, match=r"Anthropic use-case form.*model_access.use_case_form"):
        handler.on_event(event("Create", ResourceProperties=props(UseCaseForm="")))


def test_model_without_the_form_requirement_never_reads_the_form(stub: Stubber) -> None:
    nova = "amazon.nova-lite-v1:0"
    stub.add_response(
        "get_foundation_model_availability", availability("NOT_AVAILABLE", "NOT_AUTHORIZED", model_id=nova)
    )
    stub.add_response(
        "list_foundation_model_agreement_offers",
        {**OFFERS, "modelId": nova},
        {"modelId": nova, "offerType": "PUBLIC"},
    )
    stub.add_response(
        "create_foundation_model_agreement", {"modelId": nova}, {"modelId": nova, "offerToken": "token-1"}
    )
    handler.on_event(event("Create", ResourceProperties=props(ModelId=nova, RequiresUseCaseForm="false")))


def test_agreement_pending_then_available(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability("PENDING", "NOT_AUTHORIZED"))
    stub.add_response("get_foundation_model_availability", availability("PENDING", "AUTHORIZED"))
    stub.add_response("get_foundation_model_availability", availability("AVAILABLE", "AUTHORIZED"))
    polled = event("Create", PhysicalResourceId=f"model-access:{HAIKU}", Data={"ModelId": HAIKU})
    assert handler.is_complete(polled) == {"IsComplete": False}
    assert handler.is_complete(polled) == {"IsComplete": False}
    done = handler.is_complete(polled)
    assert done["IsComplete"] is True
    assert done["Data"] == {
        "ModelId": HAIKU,
        "AgreementStatus": "AVAILABLE",
        "AuthorizationStatus": "AUTHORIZED",
        "EntitlementAvailability": "AVAILABLE",
        "RegionAvailability": "AVAILABLE",
    }


def test_pending_agreement_is_not_requested_again(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability("PENDING", "AUTHORIZED"))
    assert handler.on_event(event("Create"))["Data"] == {"ModelId": HAIKU}


def test_model_not_available_in_the_region_fails_on_create(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability("NOT_AVAILABLE", region="NOT_AVAILABLE"))
    with pytest.raises(RuntimeError, match=rf"Model {HAIKU} is not available in this Region"):
        handler.on_event(event("Create"))


def test_agreement_error_fails_with_bedrocks_message(stub: Stubber) -> None:
    stub.add_response(
        "get_foundation_model_availability",
        availability("ERROR", "AUTHORIZED", errorMessage="Payment instrument declined"),
    )
    with pytest.raises(RuntimeError, match="Payment instrument declined"):
        handler.is_complete(event("Create", PhysicalResourceId=f"model-access:{HAIKU}"))


def test_no_offer_fails_with_a_clear_message(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability("NOT_AVAILABLE", "AUTHORIZED"))
    stub.add_response("list_foundation_model_agreement_offers", {"modelId": HAIKU, "offers": []})
    with pytest.raises(RuntimeError, match=rf"No PUBLIC agreement offer exists for {HAIKU}"):
        handler.on_event(event("Create"))


def test_throttled_check_is_retried_with_backoff(stub: Stubber, sleeps: list[float]) -> None:
    stub.add_client_error(
        "get_foundation_model_availability", service_error_code="ThrottlingException", http_status_code=429
    )
    stub.add_response("get_foundation_model_availability", availability())
    assert handler.on_event(event("Create"))["Data"]["AuthorizationStatus"] == "AUTHORIZED"
    assert len(sleeps) == 1


def test_delete_leaves_access_in_place_by_default(stub: Stubber) -> None:
    result = handler.on_event(event("Delete", PhysicalResourceId=f"model-access:{HAIKU}"))
    assert result == {"PhysicalResourceId": f"model-access:{HAIKU}"}


def test_delete_revokes_the_agreement_when_asked(stub: Stubber) -> None:
    stub.add_response("delete_foundation_model_agreement", {}, {"modelId": HAIKU})
    handler.on_event(
        event(
            "Delete",
            PhysicalResourceId=f"model-access:{HAIKU}",
            ResourceProperties=props(RevokeAgreementOnDelete="true"),
        )
    )


def test_revoking_a_missing_agreement_succeeds(stub: Stubber) -> None:
    stub.add_client_error(
        "delete_foundation_model_agreement",
        service_error_code="ResourceNotFoundException",
        http_status_code=404,
    )
    result = handler.on_event(
        event(
            "Delete",
            PhysicalResourceId=f"model-access:{HAIKU}",
            ResourceProperties=props(RevokeAgreementOnDelete="true"),
        )
    )
    assert result == {"PhysicalResourceId": f"model-access:{HAIKU}"}


def test_update_to_another_model_gives_a_new_physical_id(stub: Stubber) -> None:
    nova = "amazon.nova-lite-v1:0"
    stub.add_response("get_foundation_model_availability", availability(model_id=nova), {"modelId": nova})
    result = handler.on_event(
        event(
            "Update",
            PhysicalResourceId=f"model-access:{HAIKU}",
            ResourceProperties=props(ModelId=nova, RequiresUseCaseForm="false"),
            OldResourceProperties=props(),
        )
    )
    assert result["PhysicalResourceId"] == f"model-access:{nova}"


def test_arn_model_id_is_rejected_before_any_call(stub: Stubber) -> None:
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"
    with pytest.raises(ValueError, match="ModelId must be a foundation model id"):
        handler.on_event(event("Create", ResourceProperties=props(ModelId=arn)))
