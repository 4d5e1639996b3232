"""Custom::BedrockImportedModel through CloudFormation's whole lifecycle, against a stateful Bedrock.

An imported model is billed in Custom Model Units while it exists (aws-nuke #989 is about exactly such leftovers):
no retried, replaced or rolled-back request may leave an imported model behind that the stack does not track.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gates.fake_bedrock import ACCOUNT, FakeBedrock
from tests.gates.lifecycle import CREATE_FAILED, Lifecycle, Resource
from tests.gates.seams import install
from tests.support import load_handler

handler = load_handler("model_import")
ROLE = f"arn:aws:iam::{ACCOUNT}:role/import-role"
URI = "s3://weights/llama/"
PROPS: dict[str, object] = {
    "ImportedModelName": "llama-ft",
    "RoleArn": ROLE,
    "S3Uri": "s3://weights/llama/",
    "Tags": [],
}


@pytest.fixture
def bedrock() -> Iterator[FakeBedrock]:
    fake = FakeBedrock()
    with install(handler, bedrock=fake):
        yield fake


@pytest.fixture
def cfn() -> Lifecycle:
    return Lifecycle(handler, resource_type="Custom::BedrockImportedModel")


def test_create_imports_once_and_waits_for_the_job(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    outcome = cfn.create(PROPS)
    assert outcome.ok, outcome.reason
    (job,) = bedrock.import_jobs.values()
    assert outcome.physical_id == job.arn and outcome.data["ImportedModelArn"] == job.model_arn
    assert [j.model_arn for j in bedrock.live_imports()] == [job.model_arn]


def test_a_create_delivered_twice_imports_once(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    event = cfn.event("Create", PROPS, request_id="same-request")
    first, second = cfn.send(event), cfn.send(dict(event))
    assert first.ok and second.ok and first.physical_id == second.physical_id
    assert len(bedrock.import_jobs) == 1


def test_new_weights_replace_it_and_the_cleanup_deletes_the_old_model(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    updated, _ = cfn.stack_update(resource, {**PROPS, "S3Uri": "s3://weights/llama-v2/"})
    assert updated.physical_id != resource.physical_id
    (live,) = bedrock.live_imports()
    assert live.arn == updated.physical_id and live.s3_uri == "s3://weights/llama-v2/"


def test_update_rollback_keeps_the_original_import_and_deletes_the_new_one(
    bedrock: FakeBedrock, cfn: Lifecycle
) -> None:
    resource = cfn.deploy(PROPS)
    forward, rollback = cfn.failed_stack_update(resource, {**PROPS, "S3Uri": "s3://weights/llama-v2/"})
    assert forward.physical_id != resource.physical_id
    assert rollback.ok, rollback.reason
    assert rollback.physical_id == resource.physical_id
    assert [j.arn for j in bedrock.live_imports()] == [resource.physical_id]
    assert len(bedrock.import_jobs) == 2


def test_a_failed_import_leaves_no_model_and_its_rollback_delete_succeeds(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    bedrock.failing_models.add(URI)
    outcome = cfn.create(PROPS)
    assert not outcome.ok and "not supported" in outcome.reason
    assert cfn.delete(Resource(dict(PROPS), outcome.physical_id)).ok
    assert bedrock.live_imports() == []


def test_a_create_that_fails_before_importing_starts_nothing(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    outcome = cfn.create({**PROPS, "S3Uri": "weights/llama"})
    assert not outcome.ok and outcome.physical_id == CREATE_FAILED
    assert cfn.delete(Resource(dict(PROPS), CREATE_FAILED)).ok
    assert bedrock.import_jobs == {}


def test_a_create_that_times_out_cannot_be_deleted_while_the_job_runs(bedrock: FakeBedrock) -> None:
    bedrock.polls_until_in_service = 10
    cfn = Lifecycle(handler, resource_type="Custom::BedrockImportedModel", max_polls=3)
    outcome = cfn.create(PROPS)
    assert not outcome.ok and outcome.reason == "Operation timed out"
    refused = cfn.delete(Resource(dict(PROPS), outcome.physical_id))
    assert not refused.ok and "still InProgress" in refused.reason


def test_delete_removes_the_imported_model_and_a_second_delete_succeeds(bedrock: FakeBedrock, cfn: Lifecycle) -> None:
    resource = cfn.deploy(PROPS)
    assert cfn.delete(resource).ok
    assert cfn.delete(resource).ok
    assert bedrock.live_imports() == []
