"""Custom resource Custom::BedrockModelAccess (CDK Provider framework: on_event + is_complete).

One resource per foundation model. Resource properties (CloudFormation passes strings):
  ModelId                  plain foundation model id (no ARN)
  RequiresUseCaseForm      "true" for Anthropic models (the one-time use-case form applies)
  UseCaseForm              optional object: companyName, companyWebsite, intendedUsers,
                           industryOption, otherIndustryOption, useCases (PutUseCaseForModelAccess)
  OfferType                "PUBLIC" (default) or "ALL" (ListFoundationModelAgreementOffers)
  RevokeAgreementOnDelete  "true" to call DeleteFoundationModelAgreement on delete (default: keep
                           access, which is account-wide)

on_event checks GetFoundationModelAvailability; when the model is already available and
authorized it makes no other call. Otherwise it submits the Anthropic use-case form when it is
missing, and creates the agreement from the first offer when none exists. is_complete polls until
the agreement is AVAILABLE and the account AUTHORIZED, and reports the availability as attributes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from _runtime.cfn import dispatch, to_bool
from _runtime.logs import log
from _runtime.retry import RetryingClients

FORM_FIELDS = (
    "companyName",
    "companyWebsite",
    "intendedUsers",
    "industryOption",
    "otherIndustryOption",
    "useCases",
)

# Patchable seams: tests replace the client (clients.override) and the sleep (clients.retry.sleep).
clients = RetryingClients()


def call(operation: str, **kwargs: Any) -> Any:
    """Call a Bedrock operation, retrying throttling and transient errors with backoff and jitter."""
    return clients.call("bedrock", operation, **kwargs)


def model_id_of(props: Mapping[str, Any]) -> str:
    model_id = str(props.get("ModelId", ""))
    if not model_id or model_id.startswith("arn:"):
        raise ValueError(f"ModelId must be a foundation model id such as amazon.nova-lite-v1:0, got {model_id!r}")
    return model_id


def on_event(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Provider framework entry point: dispatch on RequestType."""
    log.info("event", request_type=event.get("RequestType"), logical_id=event.get("LogicalResourceId"))
    return dispatch(event, on_create=on_create, on_update=on_update, on_delete=on_delete)


def physical_id(model_id: str) -> str:
    return f"model-access:{model_id}"


def on_create(event: Mapping[str, Any]) -> dict[str, Any]:
    props = event["ResourceProperties"]
    model_id = model_id_of(props)
    availability = call("get_foundation_model_availability", modelId=model_id)
    check_region(model_id, availability)
    if is_granted(availability):
        log.info("already granted", model_id=model_id)
        return {"PhysicalResourceId": physical_id(model_id), "Data": attributes(availability)}
    if availability["authorizationStatus"] != "AUTHORIZED" and to_bool(
        props.get("RequiresUseCaseForm"), "RequiresUseCaseForm", default=False
    ):
        ensure_use_case_form(model_id, props.get("UseCaseForm"))
    agreement = availability["agreementAvailability"]
    if agreement["status"] == "ERROR":
        raise RuntimeError(f"Agreement for {model_id} is in ERROR: {agreement.get('errorMessage') or 'no message'}")
    if agreement["status"] == "NOT_AVAILABLE":
        create_agreement(model_id, str(props.get("OfferType") or "PUBLIC"))
    return {"PhysicalResourceId": physical_id(model_id), "Data": {"ModelId": model_id}}


def on_update(event: Mapping[str, Any]) -> dict[str, Any]:
    # Access is idempotent: re-run the create path (a new model id gives a new physical id, and the
    # old resource's delete keeps or revokes its access as configured).
    return on_create(event)


def on_delete(event: Mapping[str, Any]) -> dict[str, Any]:
    props = event.get("ResourceProperties") or {}
    pid = str(event["PhysicalResourceId"])
    if not to_bool(
        props.get("RevokeAgreementOnDelete"), "RevokeAgreementOnDelete", default=False
    ) or not pid.startswith("model-access:"):
        log.info("leaving access in place", physical_id=pid)
        return {"PhysicalResourceId": pid}
    model_id = pid.removeprefix("model-access:")
    if clients.find("bedrock", "delete_foundation_model_agreement", modelId=model_id) is None:
        log.info("no agreement to revoke", model_id=model_id)
    else:
        log.info("agreement revoked", model_id=model_id)
    return {"PhysicalResourceId": pid}


def is_complete(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Provider framework completion check: done when the model is available and authorized."""
    if event["RequestType"] == "Delete":
        return {"IsComplete": True}
    data = event.get("Data") or {}
    if data.get("AuthorizationStatus") == "AUTHORIZED" and data.get("AgreementStatus") == "AVAILABLE":
        # on_event found access already granted moments ago: nothing more to check.
        return {"IsComplete": True, "Data": dict(data)}
    model_id = model_id_of(event["ResourceProperties"])
    availability = call("get_foundation_model_availability", modelId=model_id)
    check_region(model_id, availability)
    agreement = availability["agreementAvailability"]
    if agreement["status"] == "ERROR":
        raise RuntimeError(f"Agreement for {model_id} is in ERROR: {agreement.get('errorMessage') or 'no message'}")
    log.info(
        "availability",
        model_id=model_id,
        agreement=agreement["status"],
        authorization=availability["authorizationStatus"],
    )
    if not is_granted(availability):
        return {"IsComplete": False}
    return {"IsComplete": True, "Data": attributes(availability)}


def is_granted(availability: Mapping[str, Any]) -> bool:
    return bool(
        availability["agreementAvailability"]["status"] == "AVAILABLE"
        and availability["authorizationStatus"] == "AUTHORIZED"
    )


def check_region(model_id: str, availability: Mapping[str, Any]) -> None:
    if availability["regionAvailability"] != "AVAILABLE":
        raise RuntimeError(
            f"Model {model_id} is not available in this Region (regionAvailability=NOT_AVAILABLE); "
            "deploy to a Region that offers it or remove it from the model access list."
        )


def attributes(availability: Mapping[str, Any]) -> dict[str, str]:
    return {
        "ModelId": str(availability["modelId"]),
        "AgreementStatus": str(availability["agreementAvailability"]["status"]),
        "AuthorizationStatus": str(availability["authorizationStatus"]),
        "EntitlementAvailability": str(availability["entitlementAvailability"]),
        "RegionAvailability": str(availability["regionAvailability"]),
    }


def ensure_use_case_form(model_id: str, form: Any) -> None:
    """Submit the Anthropic use-case form if the account has none."""
    if clients.find("bedrock", "get_use_case_for_model_access") is not None:
        log.info("use-case form already on file", model_id=model_id)
        return
    if not isinstance(form, Mapping) or not form:
        raise RuntimeError(
            f"{model_id} needs the one-time Anthropic use-case form, and this account has none: set "
            "use_case_form (config key model_access.use_case_form) with "
            f"{', '.join(FORM_FIELDS)}."
        )
    missing = [name for name in ("companyName", "companyWebsite", "useCases") if not form.get(name)]
    if missing:
        raise RuntimeError(f"Anthropic use-case form is missing {', '.join(missing)}")
    payload = {name: str(form.get(name, "")) for name in FORM_FIELDS}
    call("put_use_case_for_model_access", formData=json.dumps(payload).encode("utf-8"))
    log.info("use-case form submitted", model_id=model_id)


def create_agreement(model_id: str, offer_type: str) -> None:
    offers = call("list_foundation_model_agreement_offers", modelId=model_id, offerType=offer_type)["offers"]
    if not offers:
        raise RuntimeError(f"No {offer_type} agreement offer exists for {model_id}; accept one in the console")
    offer = offers[0]
    call("create_foundation_model_agreement", modelId=model_id, offerToken=offer["offerToken"])
    log.info("agreement requested", model_id=model_id, offer_id=offer.get("offerId"))
