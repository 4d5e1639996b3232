"""Custom::BedrockModelAccess and Custom::BedrockUseCaseForm through CloudFormation's whole lifecycle, against a
stateful Bedrock.

Model access is account-wide and, since 2025, on by default: a stack operation must never request an agreement
twice, never submit the account's use-case form twice, and never remove access on delete.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.gates.fake_bedrock import Availability, FakeBedrock
from tests.gates.lifecycle import CREATE_FAILED, Lifecycle, Resource
from tests.gates.seams import install
from tests.support import load_handler

access_handler = load_handler("model_access")
form_handler = load_handler("use_case_form")
NOVA = "amazon.nova-lite-v1:0"
LLAMA = "meta.llama3-1-8b-instruct-v1:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
CHECK = {"ModelId": NOVA, "AcceptAgreement": False, "OfferType": "PUBLIC", "AgreementWaitSeconds": 900}
AGREE = {**CHECK, "ModelId": LLAMA, "AcceptAgreement": True}
FORM = {
    "companyName": "Example Corp",
    "companyWebsite": "https://example.com",
    "intendedUsers": "0",
    "industryOption": "Technology",
    "otherIndustryOption": "",
    "useCases": "Internal support assistant",
}


@pytest.fixture
def bedrock() -> Iterator[FakeBedrock]:
    fake = FakeBedrock()
    fake.models.update(
        {
            NOVA: Availability(),
            LLAMA: Availability(agreement="NOT_AVAILABLE", entitlement="NOT_AVAILABLE"),
            HAIKU: Availability(),
        }
    )
    with install(access_handler, bedrock=fake), install(form_handler, bedrock=fake):
        yield fake


@pytest.fixture
def cfn() -> Lifecycle:
    return Lifecycle(access_handler, resource_type="Custom::BedrockModelAccess")


@pytest.fixture
def form_cfn() -> Lifecycle:
    return Lifecycle(form_handler, resource_type="Custom::BedrockUseCaseForm")


# ---------------------------------------------------------------------- model access: availability check


def test_an_available_model_is_checked_and_nothing_is_written(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    outcome = cfn.create(CHECK)
    assert outcome.ok, outcome.reason
    assert outcome.data["AuthorizationStatus"] == "AUTHORIZED"
    assert bedrock.writes() == []
    assert [name for name, _ in bedrock.calls] == ["get_foundation_model_availability"]


def test_a_denied_model_fails_the_create_at_once_and_its_delete_is_ignored(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    bedrock.models[NOVA].authorization = "NOT_AUTHORIZED"
    outcome = cfn.create(CHECK)
    assert not outcome.ok
    assert "NOT_AUTHORIZED" in outcome.reason and "service control policy" in outcome.reason
    assert outcome.physical_id == CREATE_FAILED
    assert outcome.polls == 0
    assert cfn.delete(Resource(dict(CHECK), CREATE_FAILED)).ok
    assert bedrock.writes() == []


def test_a_model_without_entitlement_fails_at_once_unless_its_agreement_is_accepted(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    outcome = cfn.create({**AGREE, "AcceptAgreement": False})
    assert not outcome.ok and "entitlementAvailability=NOT_AVAILABLE" in outcome.reason
    assert bedrock.agreements == []


def test_a_create_delivered_twice_writes_nothing(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    event = cfn.event("Create", CHECK, request_id="same")
    first, second = cfn.send(event), cfn.send(dict(event))
    assert first.ok and second.ok and first.physical_id == second.physical_id
    assert bedrock.writes() == []


def test_another_model_is_a_replacement_and_the_old_resources_delete_leaves_access(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    resource = cfn.deploy(CHECK)
    updated, _ = cfn.stack_update(resource, {**CHECK, "ModelId": HAIKU})
    assert updated.physical_id != resource.physical_id
    assert cfn.requests[-1]["RequestType"] == "Delete"
    assert bedrock.writes() == []


def test_deleting_twice_succeeds_and_revokes_nothing(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(AGREE)
    assert cfn.delete(resource).ok and cfn.delete(resource).ok
    assert bedrock.writes() == ["create_foundation_model_agreement"]
    assert bedrock.models[LLAMA].agreement == "AVAILABLE"


# ---------------------------------------------------------------------- model access: agreement in advance


def test_an_accepted_agreement_is_created_once_and_waited_for(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    outcome = cfn.create(AGREE)
    assert outcome.ok, outcome.reason
    assert bedrock.agreements == [LLAMA]
    assert outcome.data["AgreementStatus"] == "AVAILABLE"
    assert outcome.polls == bedrock.polls_until_agreement + 1


def test_a_replayed_create_does_not_request_the_agreement_again(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    event = cfn.event("Create", AGREE, request_id="same")
    assert cfn.send(event).ok and cfn.send(dict(event)).ok
    assert bedrock.agreements == [LLAMA]


def test_turning_agreements_on_updates_in_place(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    bedrock.models[LLAMA].entitlement = "AVAILABLE"  # e.g. invoked once before: subscribed, no agreement resource
    resource = cfn.deploy({**AGREE, "AcceptAgreement": False})
    updated, outcome = cfn.stack_update(resource, AGREE)
    assert updated.physical_id == resource.physical_id
    assert bedrock.agreements == [LLAMA]
    assert outcome.data["AgreementStatus"] == "AVAILABLE"


def test_update_rollback_requests_nothing_more(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(AGREE)
    forward, rollback = cfn.failed_stack_update(resource, {**AGREE, "OfferType": "ALL"})
    assert forward.ok and rollback.ok, rollback.reason
    assert rollback.physical_id == resource.physical_id
    assert bedrock.agreements == [LLAMA]


def test_an_agreement_that_stays_pending_fails_after_the_bounded_wait_with_its_status(
    bedrock: FakeBedrock, cfn: Lifecycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    bedrock.polls_until_agreement = 10**6
    clock = iter(range(0, 10**7, 120))
    monkeypatch.setattr(access_handler, "now", lambda: float(next(clock)))
    outcome = cfn.create({**AGREE, "AgreementWaitSeconds": 600})
    assert not outcome.ok
    assert "still PENDING after the bounded wait" in outcome.reason and "aws-marketplace:Subscribe" in outcome.reason
    assert outcome.polls < cfn.max_polls
    assert outcome.physical_id == f"model-access:{LLAMA}"
    assert cfn.delete(Resource(dict(AGREE), outcome.physical_id)).ok
    assert bedrock.agreements == [LLAMA]


# ---------------------------------------------------------------------- the account's use-case form


def _form_on_file(bedrock: FakeBedrock) -> dict[str, Any]:
    assert bedrock.use_case_form is not None
    return dict(json.loads(bedrock.use_case_form))


def test_the_form_is_submitted_once_when_the_account_has_none(bedrock: FakeBedrock, form_cfn: Lifecycle) -> None:
    event = form_cfn.event("Create", {"FormData": FORM}, request_id="same")
    first, second = form_cfn.send(event), form_cfn.send(dict(event))
    assert first.ok and second.ok, first.reason
    assert first.data["Adopted"] == "false" and second.data["Adopted"] == "true"
    assert len(bedrock.form_submissions) == 1
    assert _form_on_file(bedrock) == FORM


def test_a_form_already_on_file_is_adopted_not_resubmitted(bedrock: FakeBedrock, form_cfn: Lifecycle) -> None:
    bedrock.use_case_form = json.dumps({**FORM, "companyName": "Org Management"}).encode()
    outcome = form_cfn.create({"FormData": FORM})
    assert outcome.ok, outcome.reason
    assert outcome.data == {"Adopted": "true", "FormChanged": "true"}
    assert bedrock.form_submissions == []


def test_a_changed_form_is_never_updated_in_place(bedrock: FakeBedrock, form_cfn: Lifecycle) -> None:
    resource = form_cfn.deploy({"FormData": FORM})
    updated, outcome = form_cfn.stack_update(resource, {"FormData": {**FORM, "useCases": "Something else"}})
    assert updated.physical_id == resource.physical_id
    assert outcome.data["FormChanged"] == "true"
    assert len(bedrock.form_submissions) == 1 and _form_on_file(bedrock) == FORM


def test_the_form_survives_a_rollback_and_two_deletes(bedrock: FakeBedrock, form_cfn: Lifecycle) -> None:
    resource = form_cfn.deploy({"FormData": FORM})
    forward, rollback = form_cfn.failed_stack_update(resource, {"FormData": {**FORM, "companyName": "Other"}})
    assert forward.ok and rollback.ok
    assert form_cfn.delete(resource).ok and form_cfn.delete(resource).ok
    assert len(bedrock.form_submissions) == 1 and _form_on_file(bedrock) == FORM


def test_a_form_missing_a_required_field_fails_before_any_call_and_its_delete_is_ignored(
    bedrock: FakeBedrock, form_cfn: Lifecycle
) -> None:
    outcome = form_cfn.create({"FormData": {**FORM, "useCases": ""}})
    assert not outcome.ok and "FormData must set useCases" in outcome.reason
    assert outcome.physical_id == CREATE_FAILED
    assert form_cfn.delete(Resource({"FormData": FORM}, CREATE_FAILED)).ok
    assert bedrock.calls == []
