"""Custom::BedrockProvisionedThroughput through CloudFormation's whole lifecycle, against a stateful Bedrock.

The point is money: a retried, replayed or rolled-back request must never buy a second throughput, and no
stack operation may leave a throughput billed that the stack no longer tracks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gates.fake_bedrock import ACCOUNT, REGION, FakeBedrock
from tests.gates.lifecycle import CREATE_FAILED, Lifecycle, Resource
from tests.gates.seams import install
from tests.support import load_handler

handler = load_handler("provisioned_throughput")
BASE = "amazon.titan-text-express-v1:0:8k"
BASE_ARN = f"arn:aws:bedrock:{REGION}::foundation-model/{BASE}"
CUSTOM_A = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.titan-text-express-v1:0:8k/aaaaaaaaaaaa"
CUSTOM_B = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.titan-text-express-v1:0:8k/bbbbbbbbbbbb"
CUSTOM_OTHER_BASE = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.titan-text-lite-v1:0:4k/cccccccccccc"
PROPS = {"ModelId": BASE, "ModelUnits": 1, "CommitmentDuration": "NoCommitment", "ProvisionedModelName": "chat"}


@pytest.fixture
def bedrock() -> Iterator[FakeBedrock]:
    fake = FakeBedrock()
    fake.custom_models.update(
        {
            CUSTOM_A: BASE_ARN,
            CUSTOM_B: BASE_ARN,
            CUSTOM_OTHER_BASE: f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-text-lite-v1:0:4k",
        }
    )
    with install(handler, bedrock=fake):
        yield fake


@pytest.fixture
def cfn() -> Lifecycle:
    return Lifecycle(handler, resource_type="Custom::BedrockProvisionedThroughput")


def test_create_buys_one_throughput_and_waits_until_in_service(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    outcome = cfn.create(PROPS)
    assert outcome.ok, outcome.reason
    assert [t.arn for t in bedrock.live()] == [outcome.physical_id]
    assert outcome.data["Status"] == "InService"
    assert outcome.polls == bedrock.polls_until_in_service + 1


def test_a_create_delivered_twice_buys_once(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    event = cfn.event("Create", PROPS, request_id="same-request")
    first, second = cfn.send(event), cfn.send(dict(event))
    assert first.ok and second.ok
    assert first.physical_id == second.physical_id
    assert len(bedrock.purchases()) == 1


def test_a_rename_updates_in_place(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    updated, _ = cfn.stack_update(resource, {**PROPS, "ProvisionedModelName": "chat-renamed"})
    assert updated.physical_id == resource.physical_id
    assert [t.name for t in bedrock.live()] == ["chat-renamed"]
    assert len(bedrock.purchases()) == 1


def test_more_model_units_replace_it_and_the_cleanup_deletes_the_old_one(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    updated, _ = cfn.stack_update(resource, {**PROPS, "ModelUnits": 2})
    assert updated.physical_id != resource.physical_id
    (live,) = bedrock.live()
    assert (live.arn, live.units) == (updated.physical_id, 2)
    assert len(bedrock.purchases()) == 2


def test_a_replacement_is_not_created_under_the_name_of_the_throughput_that_still_exists(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    resource = cfn.deploy(PROPS)
    outcome = cfn.update(resource, {**PROPS, "ModelUnits": 2})
    assert outcome.ok, outcome.reason
    names = [t.name for t in bedrock.live()]
    assert len(names) == 2 and len(set(names)) == 2, names
    assert all(name.startswith("chat") and len(name) <= 63 for name in names)


def test_update_rollback_after_a_units_change_returns_to_the_original_and_buys_nothing_more(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    resource = cfn.deploy(PROPS)
    forward, rollback = cfn.failed_stack_update(resource, {**PROPS, "ModelUnits": 2})
    assert forward.physical_id != resource.physical_id
    assert rollback.ok, rollback.reason
    assert rollback.physical_id == resource.physical_id
    assert len(bedrock.purchases()) == 2  # the original and the replacement the forward update bought
    assert [t.arn for t in bedrock.live()] == [resource.physical_id]


def test_changing_the_model_of_a_base_model_throughput_is_a_replacement(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    updated, _ = cfn.stack_update(resource, {**PROPS, "ModelId": "amazon.titan-text-lite-v1:0:4k"})
    assert updated.physical_id != resource.physical_id
    assert not any(
        name == "update_provisioned_model_throughput" and "desiredModelId" in params for name, params in bedrock.calls
    )
    (live,) = bedrock.live()
    assert live.model_id == "amazon.titan-text-lite-v1:0:4k"


def test_a_custom_model_throughput_moves_to_a_sibling_custom_model_in_place(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    resource = cfn.deploy({**PROPS, "ModelId": CUSTOM_A})
    updated, _ = cfn.stack_update(resource, {**PROPS, "ModelId": CUSTOM_B})
    assert updated.physical_id == resource.physical_id
    (live,) = bedrock.live()
    assert live.model_id == CUSTOM_B
    assert len(bedrock.purchases()) == 1


def test_a_custom_model_of_another_base_model_is_a_replacement(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy({**PROPS, "ModelId": CUSTOM_A})
    updated, _ = cfn.stack_update(resource, {**PROPS, "ModelId": CUSTOM_OTHER_BASE})
    assert updated.physical_id != resource.physical_id
    (live,) = bedrock.live()
    assert live.model_id == CUSTOM_OTHER_BASE


def test_a_throughput_that_fails_to_come_in_service_is_deleted_by_the_rollback(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    bedrock.failing_models.add(BASE)
    outcome = cfn.create(PROPS)
    assert not outcome.ok and "Insufficient capacity" in outcome.reason
    assert outcome.physical_id.startswith("arn:aws:bedrock:")
    rollback = cfn.delete(cfn_resource(outcome.physical_id))
    assert rollback.ok, rollback.reason
    assert bedrock.live() == []


def test_a_create_that_fails_before_buying_leaves_nothing_and_its_delete_is_ignored(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    outcome = cfn.create({**PROPS, "ModelUnits": 0})
    assert not outcome.ok and "ModelUnits" in outcome.reason
    assert outcome.physical_id == CREATE_FAILED
    assert cfn.delete(cfn_resource(CREATE_FAILED)).ok
    assert bedrock.purchases() == []


def test_deleting_a_throughput_that_is_already_gone_succeeds(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    assert cfn.delete(resource).ok
    assert cfn.delete(resource).ok
    assert bedrock.live() == []


def test_a_committed_throughput_is_never_deleted_during_its_term(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy({**PROPS, "CommitmentDuration": "OneMonth"})
    outcome = cfn.delete(resource)
    assert not outcome.ok and "commitment" in outcome.reason
    assert [t.arn for t in bedrock.live()] == [resource.physical_id]


def cfn_resource(physical_id: str) -> Resource:
    """The resource as CloudFormation's rollback knows it: the properties and the id it was told."""
    return Resource(dict(PROPS), physical_id)
