"""Custom resource Custom::BedrockModelAccess (CDK Provider framework: on_event + is_complete).

Model access as it works since AWS's 2025 change: serverless foundation models are enabled by default in
commercial Regions, third-party models subscribe through AWS Marketplace on their first invocation, and the
Anthropic use-case form is a separate, account-level resource (Custom::BedrockUseCaseForm, lambda/use_case_form).
So this resource buys nothing by default: it checks that the model can be used and fails fast when not.

One resource per foundation model. Resource properties (CloudFormation passes strings):
  ModelId                  plain foundation model id (no ARN)
  AcceptAgreement          "true": accept the model's agreement in advance (ListFoundationModelAgreementOffers ->
                           CreateFoundationModelAgreement) and wait until it is AVAILABLE; default "false":
                           availability check only (the first invocation subscribes)
  OfferType                "PUBLIC" (default) or "ALL" (ListFoundationModelAgreementOffers)
  AgreementWaitSeconds     how long is_complete waits for the agreement before failing with the last status
  RequiresUseCaseForm      "true" for Anthropic models (only used to say what to check)

Create and Update call GetFoundationModelAvailability once and fail at once, with what to check, on
regionAvailability NOT_AVAILABLE (not offered in this Region), authorizationStatus NOT_AUTHORIZED (an IAM policy
or SCP denies the model, or the Anthropic form is missing), agreementAvailability ERROR, and (without
AcceptAgreement) entitlementAvailability NOT_AVAILABLE. With AcceptAgreement an agreement is created only when
none exists (NOT_AVAILABLE), so a replayed or rolled-back request never requests it twice. Delete does nothing:
access is account-wide and AWS re-subscribes on the next invocation anyway; restrict models with IAM or SCPs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from _runtime.cfn import dispatch, to_bool, to_choice, to_int
from _runtime.logs import log
from _runtime.retry import RetryingClients

OFFER_TYPES = ("PUBLIC", "ALL")
MARKETPLACE_ACTIONS = "aws-marketplace:Subscribe, aws-marketplace:Unsubscribe and aws-marketplace:ViewSubscriptions"

# Patchable seams: tests replace the client (clients.override), the sleep (clients.retry.sleep) and the clock.
clients = RetryingClients()
now: Callable[[], float] = time.time


class AccessError(RuntimeError):
    """The model cannot be used in this account and Region; the message says why and what to check."""


def call(operation: str, **kwargs: Any) -> Any:
    """Call a Bedrock operation, retrying throttling and transient errors with backoff and jitter."""
    return clients.call("bedrock", operation, **kwargs)


def model_id_of(props: Mapping[str, Any]) -> str:
    model_id = str(props.get("ModelId", ""))
    if not model_id or model_id.startswith("arn:"):
        raise ValueError(f"ModelId must be a foundation model id such as amazon.nova-lite-v1:0, got {model_id!r}")
    return model_id


def physical_id(model_id: str) -> str:
    return f"model-access:{model_id}"


def on_event(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Provider framework entry point: dispatch on RequestType."""
    return dispatch(event, on_create=on_create, on_update=on_update, on_delete=on_delete)


def on_create(event: Mapping[str, Any]) -> dict[str, Any]:
    props = event["ResourceProperties"]
    model_id = model_id_of(props)
    accept = to_bool(props.get("AcceptAgreement"), "AcceptAgreement", default=False)
    offer_type = to_choice(props.get("OfferType"), "OfferType", OFFER_TYPES, default="PUBLIC")
    wait = to_int(props.get("AgreementWaitSeconds"), "AgreementWaitSeconds", minimum=60, maximum=3300, default=900)
    availability = call("get_foundation_model_availability", modelId=model_id)
    check_usable(model_id, availability, props, accept_agreement=accept)
    data = attributes(availability)
    if accept:
        status = availability["agreementAvailability"]["status"]
        if status == "NOT_AVAILABLE":
            create_agreement(model_id, offer_type)
        data["WaitDeadline"] = str(int(now() + wait))
    return {"PhysicalResourceId": physical_id(model_id), "Data": data}


def on_update(event: Mapping[str, Any]) -> dict[str, Any]:
    # The check is idempotent and the agreement is only requested when none exists: run the create path. A new
    # model id gives a new physical id; the old resource's Delete is a no-op.
    return on_create(event)


def on_delete(event: Mapping[str, Any]) -> dict[str, Any]:
    pid = str(event["PhysicalResourceId"])
    log.info("leaving access in place: it is account-wide (restrict models with IAM or SCPs)", physical_id=pid)
    return {"PhysicalResourceId": pid}


def is_complete(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Provider framework completion check: done at once without AcceptAgreement, else when the agreement is
    AVAILABLE; past WaitDeadline it fails with the last status."""
    if event["RequestType"] == "Delete":
        return {"IsComplete": True}
    props = event["ResourceProperties"]
    data = dict(event.get("Data") or {})
    if not to_bool(props.get("AcceptAgreement"), "AcceptAgreement", default=False):
        return {"IsComplete": True, "Data": data}
    if data.get("AgreementStatus") == "AVAILABLE":
        return {"IsComplete": True, "Data": data}  # on_event found it available moments ago
    model_id = model_id_of(props)
    availability = call("get_foundation_model_availability", modelId=model_id)
    check_usable(model_id, availability, props, accept_agreement=True)
    status = availability["agreementAvailability"]["status"]
    log.info("agreement", model_id=model_id, status=status, entitlement=availability["entitlementAvailability"])
    if status == "AVAILABLE":
        return {"IsComplete": True, "Data": {**data, **attributes(availability)}}
    deadline = int(data.get("WaitDeadline") or 0)
    if deadline and now() > deadline:
        raise AccessError(
            f"The agreement for {model_id} is still {status} after the bounded wait (AgreementWaitSeconds; "
            f"entitlementAvailability={availability['entitlementAvailability']}). AWS Marketplace subscriptions "
            f"take up to 15 minutes; check that the account has a valid payment method and that the deploying "
            f"role may call {MARKETPLACE_ACTIONS}, then deploy again (the agreement is not requested twice)."
        )
    return {"IsComplete": False}


def check_usable(
    model_id: str, availability: Mapping[str, Any], props: Mapping[str, Any], *, accept_agreement: bool
) -> None:
    """Fail at once, saying what to check, when the model cannot be used (see the module docstring)."""
    if availability["regionAvailability"] != "AVAILABLE":
        raise AccessError(
            f"{model_id} is not offered in this Region (regionAvailability=NOT_AVAILABLE): deploy to a Region "
            "that offers it (user guide, models-regions) or remove it from the model access list."
        )
    if availability["authorizationStatus"] != "AUTHORIZED":
        form = to_bool(props.get("RequiresUseCaseForm"), "RequiresUseCaseForm", default=False)
        hint = (
            " For Anthropic models, also check that the account (or its organization's management account) has "
            "submitted the Anthropic use-case form (use_case_form, config key model_access.use_case_form)."
            if form
            else ""
        )
        raise AccessError(
            f"{model_id} is not authorized for this account (authorizationStatus=NOT_AUTHORIZED). Models are "
            "enabled by default since 2025, so an IAM policy or a service control policy most likely denies it: "
            "check the organization's SCPs and any explicit Deny on bedrock:* actions or on this model's "
            f"foundation-model ARN, and permission boundaries of the deploying role.{hint}"
        )
    agreement = availability["agreementAvailability"]
    if agreement["status"] == "ERROR":
        raise AccessError(
            f"The agreement for {model_id} is in ERROR: {agreement.get('errorMessage') or 'Bedrock gave no message'}"
        )
    if availability["entitlementAvailability"] != "AVAILABLE" and not accept_agreement:
        raise AccessError(
            f"{model_id} has no AWS Marketplace entitlement in this account (entitlementAvailability=NOT_AVAILABLE). "
            "Accept its agreement in advance (accept_agreements=True, config key model_access.accept_agreements), "
            f"or make sure the invoking role may call {MARKETPLACE_ACTIONS} and the account has a payment method, "
            "so that the first invocation subscribes."
        )


def attributes(availability: Mapping[str, Any]) -> dict[str, str]:
    return {
        "ModelId": str(availability["modelId"]),
        "AgreementStatus": str(availability["agreementAvailability"]["status"]),
        "AuthorizationStatus": str(availability["authorizationStatus"]),
        "EntitlementAvailability": str(availability["entitlementAvailability"]),
        "RegionAvailability": str(availability["regionAvailability"]),
    }


def create_agreement(model_id: str, offer_type: str) -> None:
    offers = call("list_foundation_model_agreement_offers", modelId=model_id, offerType=offer_type)["offers"]
    if not offers:
        raise AccessError(
            f"No {offer_type} agreement offer exists for {model_id}: set offer_type ALL, or accept an offer in the "
            "Bedrock console"
        )
    offer = offers[0]
    call("create_foundation_model_agreement", modelId=model_id, offerToken=offer["offerToken"])
    log.info("agreement requested", model_id=model_id, offer_id=offer.get("offerId"))
