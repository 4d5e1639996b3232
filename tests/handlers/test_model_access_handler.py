"""lambda/model_access: every path, with botocore's Stubber validating each request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from tests.handlers.stubs import stubbed
from tests.support import load_handler

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA = "amazon.nova-lite-v1:0"


handler = load_handler("model_access")


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> Iterator[Stubber]:
    with stubbed(handler, monkeypatch, sleeps) as stubber:
        yield stubber


def props(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
        "ModelId": HAIKU,
        "RequiresUseCaseForm": "true",
        "AcceptAgreement": "false",
        "OfferType": "PUBLIC",
        "AgreementWaitSeconds": "900",
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
    entitlement: str = "AVAILABLE",
    **agreement_fields: str,
) -> dict[str, Any]:
    return {
        "modelId": model_id,
        "agreementAvailability": {"status": agreement, **agreement_fields},
        "authorizationStatus": authorization,
        "entitlementAvailability": entitlement,
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


def accepting(**overrides: Any) -> dict[str, Any]:
    return props(AcceptAgreement="true", **overrides)


def test_already_granted_makes_no_call_beyond_the_check(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability(), {"modelId": HAIKU})
    created = handler.on_event(event("Create"))
    assert created["PhysicalResourceId"] == f"model-access:{HAIKU}"
    assert created["Data"]["AuthorizationStatus"] == "AUTHORIZED"
    # is_complete trusts the fresh check: the Stubber has no response left, so any call would fail.
    done = handler.is_complete(event("Create", **created))
    assert done["IsComplete"] is True
    assert done["Data"]["AgreementStatus"] == "AVAILABLE"


def test_check_only_never_requests_an_agreement_that_is_not_available(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability("NOT_AVAILABLE"))
    created = handler.on_event(event("Create"))
    assert created["Data"]["AgreementStatus"] == "NOT_AVAILABLE"
    assert handler.is_complete(event("Create", **created))["IsComplete"] is True


def test_not_authorized_fails_at_once_naming_iam_and_scps(stub: Stubber) -> None:
    stub.add_response(
        "get_foundation_model_availability", availability("NOT_AVAILABLE", "NOT_AUTHORIZED", model_id=NOVA)
    )
    with pytest.raises(handler.AccessError) as excinfo:
        handler.on_event(event("Create", ResourceProperties=props(ModelId=NOVA, RequiresUseCaseForm="false")))
    message = str(excinfo.value)
    assert "authorizationStatus=NOT_AUTHORIZED" in message
    assert "service control policy" in message and "explicit Deny" in message
    assert "use-case form" not in message


def test_not_authorized_anthropic_model_also_names_the_use_case_form(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability("AVAILABLE", "NOT_AUTHORIZED"))
    with pytest.raises(handler.AccessError, match=r"use-case form \(use_case_form, config key model_access"):
        handler.on_event(event("Create"))


def test_not_authorized_while_waiting_fails_instead_of_polling_on(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability("PENDING", "NOT_AUTHORIZED"))
    polled = event("Create", ResourceProperties=accepting(), PhysicalResourceId=f"model-access:{HAIKU}", Data={})
    with pytest.raises(handler.AccessError, match="NOT_AUTHORIZED"):
        handler.is_complete(polled)


def test_model_not_available_in_the_region_fails_on_create(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability(region="NOT_AVAILABLE"))
    with pytest.raises(handler.AccessError, match=rf"{HAIKU} is not offered in this Region"):
        handler.on_event(event("Create"))


def test_missing_entitlement_fails_at_once_pointing_to_accept_agreements(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability("NOT_AVAILABLE", entitlement="NOT_AVAILABLE"))
    with pytest.raises(handler.AccessError) as excinfo:
        handler.on_event(event("Create"))
    message = str(excinfo.value)
    assert "entitlementAvailability=NOT_AVAILABLE" in message and "accept_agreements=True" in message
    assert "aws-marketplace:Subscribe, aws-marketplace:Unsubscribe and aws-marketplace:ViewSubscriptions" in message


def test_accepting_creates_the_agreement_from_the_first_offer(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability("NOT_AVAILABLE", entitlement="NOT_AVAILABLE"))
    stub.add_response("list_foundation_model_agreement_offers", OFFERS, {"modelId": HAIKU, "offerType": "PUBLIC"})
    stub.add_response(
        "create_foundation_model_agreement", {"modelId": HAIKU}, {"modelId": HAIKU, "offerToken": "token-1"}
    )
    result = handler.on_event(event("Create", ResourceProperties=accepting()))
    assert result["Data"]["AgreementStatus"] == "NOT_AVAILABLE"
    assert int(result["Data"]["WaitDeadline"]) > 0


def test_a_pending_agreement_is_not_requested_again(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability("PENDING", entitlement="NOT_AVAILABLE"))
    assert handler.on_event(event("Create", ResourceProperties=accepting()))["Data"]["AgreementStatus"] == "PENDING"


def test_agreement_pending_then_available(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability("PENDING"))
    stub.add_response("get_foundation_model_availability", availability("AVAILABLE"))
    polled = event(
        "Create",
        ResourceProperties=accepting(),
        PhysicalResourceId=f"model-access:{HAIKU}",
        Data={"ModelId": HAIKU, "WaitDeadline": str(int(handler.now()) + 600)},
    )
    assert handler.is_complete(polled) == {"IsComplete": False}
    done = handler.is_complete(polled)
    assert done["IsComplete"] is True
    assert done["Data"]["AgreementStatus"] == "AVAILABLE"
    assert done["Data"]["AuthorizationStatus"] == "AUTHORIZED"


def test_an_agreement_past_its_deadline_fails_with_the_last_status(
    stub: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub.add_response("get_foundation_model_availability", availability("PENDING", entitlement="NOT_AVAILABLE"))
    monkeypatch.setattr(handler, "now", lambda: 2_000.0)
    polled = event(
        "Create",
        ResourceProperties=accepting(),
        PhysicalResourceId=f"model-access:{HAIKU}",
        Data={"WaitDeadline": "1000"},
    )
    with pytest.raises(handler.AccessError, match=r"still PENDING .*entitlementAvailability=NOT_AVAILABLE"):
        handler.is_complete(polled)


def test_agreement_error_fails_with_bedrocks_message(stub: Stubber) -> None:
    stub.add_response(
        "get_foundation_model_availability",
        availability("ERROR", "AUTHORIZED", errorMessage="Payment instrument declined"),
    )
    with pytest.raises(handler.AccessError, match="Payment instrument declined"):
        handler.is_complete(event("Create", ResourceProperties=accepting(), PhysicalResourceId=f"model-access:{HAIKU}"))


def test_no_offer_fails_with_a_clear_message(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability("NOT_AVAILABLE"))
    stub.add_response("list_foundation_model_agreement_offers", {"modelId": HAIKU, "offers": []})
    with pytest.raises(handler.AccessError, match=rf"No PUBLIC agreement offer exists for {HAIKU}: set offer_type ALL"):
        handler.on_event(event("Create", ResourceProperties=accepting()))


def test_throttled_check_is_retried_with_backoff(stub: Stubber, sleeps: list[float]) -> None:
    stub.add_client_error(
        "get_foundation_model_availability", service_error_code="ThrottlingException", http_status_code=429
    )
    stub.add_response("get_foundation_model_availability", availability())
    assert handler.on_event(event("Create"))["Data"]["AuthorizationStatus"] == "AUTHORIZED"
    assert len(sleeps) == 1


def test_delete_leaves_access_in_place_and_makes_no_call(stub: Stubber) -> None:
    result = handler.on_event(event("Delete", PhysicalResourceId=f"model-access:{HAIKU}"))
    assert result == {"PhysicalResourceId": f"model-access:{HAIKU}"}


def test_update_to_another_model_gives_a_new_physical_id(stub: Stubber) -> None:
    stub.add_response("get_foundation_model_availability", availability(model_id=NOVA), {"modelId": NOVA})
    result = handler.on_event(
        event(
            "Update",
            PhysicalResourceId=f"model-access:{HAIKU}",
            ResourceProperties=props(ModelId=NOVA, RequiresUseCaseForm="false"),
            OldResourceProperties=props(),
        )
    )
    assert result["PhysicalResourceId"] == f"model-access:{NOVA}"


def test_arn_model_id_is_rejected_before_any_call(stub: Stubber) -> None:
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"
    with pytest.raises(ValueError, match="ModelId must be a foundation model id"):
        handler.on_event(event("Create", ResourceProperties=props(ModelId=arn)))


def test_a_wait_outside_its_bounds_fails_naming_the_property(stub: Stubber) -> None:
    with pytest.raises(ValueError, match="AgreementWaitSeconds must be an integer 60-3300, got 5"):
        handler.on_event(event("Create", ResourceProperties=props(AgreementWaitSeconds="5")))
