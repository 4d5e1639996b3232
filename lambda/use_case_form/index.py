"""Custom resource Custom::BedrockUseCaseForm: the account's one Anthropic use-case form (CDK Provider framework).

The form is account-level (one per account, or per organization through its management account), has no id,
cannot be changed and cannot be deleted (the API has only GetUseCaseForModelAccess and PutUseCaseForModelAccess).
So, as the Terraform resource aws_bedrock_use_case_for_model_access does:
  Create  adopts a form already on file (GetUseCaseForModelAccess answers) and submits the form only when the
          account has none (PutUseCaseForModelAccess);
  Update  never submits again while a form is on file: a changed form is reported (FormChanged), not sent;
  Delete  does nothing: real deletion does not exist.

Resource properties (CloudFormation passes strings):
  FormData  object: companyName, companyWebsite, intendedUsers ("0" internal, "1" external, "2" both),
            industryOption, otherIndustryOption, useCases
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from _runtime.cfn import dispatch
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
REQUIRED_FIELDS = ("companyName", "companyWebsite", "useCases")
PHYSICAL_ID = "anthropic-use-case-form"
MAX_FORM_BYTES = 16384  # PutUseCaseForModelAccess formData: 10-16384 bytes (API reference)

# Patchable seams: tests replace the client (clients.override) and the sleep (clients.retry.sleep).
clients = RetryingClients()


def on_event(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Provider framework entry point: dispatch on RequestType."""
    return dispatch(event, on_create=on_create, on_update=on_update, on_delete=on_delete)


def form_payload(props: Mapping[str, Any]) -> bytes:
    """The formData bytes PutUseCaseForModelAccess takes, from the FormData property (checked)."""
    form = props.get("FormData")
    if not isinstance(form, Mapping):
        raise ValueError(f"FormData must be an object with {', '.join(FORM_FIELDS)}, got {form!r}")
    unknown = sorted(set(form) - set(FORM_FIELDS))
    if unknown:
        raise ValueError(f"FormData has unknown field(s) {', '.join(unknown)}; allowed: {', '.join(FORM_FIELDS)}")
    missing = [name for name in REQUIRED_FIELDS if not form.get(name)]
    if missing:
        raise ValueError(f"FormData must set {', '.join(missing)}")
    payload = {name: str(form.get(name, "0" if name == "intendedUsers" else "")) for name in FORM_FIELDS}
    data = json.dumps(payload).encode("utf-8")
    if len(data) > MAX_FORM_BYTES:
        raise ValueError(f"FormData must encode to at most {MAX_FORM_BYTES} bytes, got {len(data)}")
    return data


def form_on_file() -> bytes | None:
    """The account's form, or None when it has none."""
    answer = clients.find("bedrock", "get_use_case_for_model_access")
    return None if answer is None else bytes(answer["formData"])


def ensure(props: Mapping[str, Any]) -> dict[str, Any]:
    payload = form_payload(props)
    existing = form_on_file()
    if existing is None:
        clients.call("bedrock", "put_use_case_for_model_access", formData=payload)
        log.info("use-case form submitted")
        return {"PhysicalResourceId": PHYSICAL_ID, "Data": {"Adopted": "false", "FormChanged": "false"}}
    changed = _decoded(existing) != _decoded(payload)
    if changed:
        log.warning("a use-case form is already on file and cannot be changed: the new form is not submitted")
    else:
        log.info("use-case form already on file: adopted")
    return {"PhysicalResourceId": PHYSICAL_ID, "Data": {"Adopted": "true", "FormChanged": str(changed).lower()}}


def on_create(event: Mapping[str, Any]) -> dict[str, Any]:
    return ensure(event["ResourceProperties"])


def on_update(event: Mapping[str, Any]) -> dict[str, Any]:
    return ensure(event["ResourceProperties"])


def on_delete(event: Mapping[str, Any]) -> dict[str, Any]:
    log.info("the use-case form cannot be deleted: leaving it on file")
    return {"PhysicalResourceId": str(event["PhysicalResourceId"])}


def _decoded(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data
