"""Custom::BedrockModelCopy through CloudFormation's whole lifecycle, against a stateful Bedrock per Region.

A copied custom model is billed for storage while it exists: no retried or replaced request may leave a copy
behind that the stack no longer tracks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gates.fake_bedrock import ACCOUNT, FakeBedrock
from tests.gates.lifecycle import CREATE_FAILED, Lifecycle, Resource
from tests.gates.seams import install
from tests.support import load_handler

handler = load_handler("model_copy")
SOURCE = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/amazon.nova-micro-v1:0:128k/aaaaaaaaaaaa"
PROPS = {"SourceModelArn": SOURCE, "TargetRegion": "us-west-2", "TargetModelName": "chat-copy", "Tags": []}


@pytest.fixture
def west() -> Iterator[FakeBedrock]:
    fake = FakeBedrock(region="us-west-2")
    with install(handler, **{"bedrock@us-west-2": fake}):
        yield fake


@pytest.fixture
def cfn() -> Lifecycle:
    return Lifecycle(handler, resource_type="Custom::BedrockModelCopy")


def test_create_copies_in_the_target_region_and_waits_for_the_job(west: FakeBedrock, cfn: Lifecycle) -> None:
    outcome = cfn.create(PROPS)
    assert outcome.ok, outcome.reason
    (job,) = west.copy_jobs.values()
    assert outcome.physical_id == job.arn and ":us-west-2:" in job.arn
    assert outcome.data["TargetModelArn"] == job.target_arn
    assert outcome.polls == west.polls_until_in_service + 1


def test_a_create_delivered_twice_copies_once(west: FakeBedrock, cfn: Lifecycle) -> None:
    event = cfn.event("Create", PROPS, request_id="same-request")
    first, second = cfn.send(event), cfn.send(dict(event))
    assert first.ok and second.ok and first.physical_id == second.physical_id
    assert len(west.copy_jobs) == 1


def test_a_change_makes_a_new_copy_under_another_name_and_the_cleanup_deletes_the_old_model(
    west: FakeBedrock, cfn: Lifecycle
) -> None:
    resource = cfn.deploy(PROPS)
    updated, _ = cfn.stack_update(resource, {**PROPS, "Tags": [{"Key": "team", "Value": "ml"}]})
    assert updated.physical_id != resource.physical_id
    (live,) = west.live_copies()
    assert live.arn == updated.physical_id and live.target_name != "chat-copy"


def test_update_rollback_deletes_the_new_copy_and_keeps_the_original(west: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    forward, rollback = cfn.failed_stack_update(resource, {**PROPS, "TargetModelName": "chat-copy-2"})
    assert rollback.ok, rollback.reason
    assert forward.physical_id != resource.physical_id
    assert rollback.physical_id == resource.physical_id  # the original copy is adopted, not copied again
    assert [job.target_name for job in west.live_copies()] == ["chat-copy"]
    assert len(west.copy_jobs) == 2


def test_a_failed_copy_leaves_no_model_and_its_rollback_delete_succeeds(west: FakeBedrock, cfn: Lifecycle) -> None:
    west.failing_models.add(SOURCE)
    outcome = cfn.create(PROPS)
    assert not outcome.ok and "cannot be copied" in outcome.reason
    assert cfn.delete(Resource(dict(PROPS), outcome.physical_id)).ok
    assert west.live_copies() == []


def test_a_create_that_fails_before_copying_starts_nothing(west: FakeBedrock, cfn: Lifecycle) -> None:
    outcome = cfn.create({**PROPS, "SourceModelArn": "amazon.nova-micro-v1:0"})
    assert not outcome.ok and outcome.physical_id == CREATE_FAILED
    assert cfn.delete(Resource(dict(PROPS), CREATE_FAILED)).ok
    assert west.copy_jobs == {}


def test_delete_removes_the_copied_model_and_a_second_delete_succeeds(west: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    assert cfn.delete(resource).ok
    assert cfn.delete(resource).ok
    assert west.live_copies() == []
