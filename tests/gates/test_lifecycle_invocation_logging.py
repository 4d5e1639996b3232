"""Custom::BedrockInvocationLogging through CloudFormation's whole lifecycle, against moto's Bedrock and SSM.

There is one logging configuration per account and Region: whatever the account had before must come back
when the stack goes, whatever order CloudFormation's retries, replays and rollbacks arrive in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.gates.lifecycle import CREATE_FAILED, Lifecycle, Resource
from tests.gates.seams import install
from tests.support import load_handler

handler = load_handler("invocation_logging")
PARAMETER = "/bedrock-ops/invocation-logging/previous"
ROLE = "arn:aws:iam::123456789012:role/BedrockLogging"


def logging_config(group: str) -> dict[str, Any]:
    return {
        "cloudWatchConfig": {"logGroupName": group, "roleArn": ROLE},
        "textDataDeliveryEnabled": True,
        "imageDataDeliveryEnabled": False,
        "embeddingDataDeliveryEnabled": False,
    }


def props(group: str = "/bedrock/invocations", *, adopt: bool = False) -> dict[str, Any]:
    return {
        "LoggingConfig": json.dumps(logging_config(group)),
        "Adopt": adopt,
        "StateParameterName": PARAMETER,
    }


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        bedrock = boto3.client("bedrock", region_name="us-east-1")
        ssm = boto3.client("ssm", region_name="us-east-1")
        with install(handler, bedrock=bedrock, ssm=ssm):
            yield bedrock


@pytest.fixture
def cfn() -> Lifecycle:
    return Lifecycle(handler, resource_type="Custom::BedrockInvocationLogging")


def current(bedrock: Any) -> dict[str, Any] | None:
    """The account's configuration, None when there is none (moto answers an empty object then)."""
    config: dict[str, Any] | None = bedrock.get_model_invocation_logging_configuration().get("loggingConfig")
    return config or None


def log_group(bedrock: Any) -> str | None:
    config = current(bedrock)
    return None if not config else str(config["cloudWatchConfig"]["logGroupName"])


def test_create_then_delete_leaves_the_account_as_it_was(aws: Any, cfn: Lifecycle) -> None:
    resource = cfn.deploy(props())
    assert log_group(aws) == "/bedrock/invocations"
    assert cfn.delete(resource).ok
    assert current(aws) is None


def test_a_create_delivered_twice_succeeds_and_delete_still_removes_it(aws: Any, cfn: Lifecycle) -> None:
    event = cfn.event("Create", props(), request_id="same-request")
    first, second = cfn.send(event), cfn.send(dict(event))
    assert first.ok and second.ok, second.reason
    assert cfn.delete(Resource(props(), first.physical_id)).ok
    assert current(aws) is None


def test_a_replayed_adopting_create_keeps_the_configuration_it_found(aws: Any, cfn: Lifecycle) -> None:
    aws.put_model_invocation_logging_configuration(loggingConfig=logging_config("/theirs"))
    event = cfn.event("Create", props(adopt=True), request_id="same-request")
    assert cfn.send(event).ok and cfn.send(dict(event)).ok
    assert cfn.delete(Resource(props(adopt=True), cfn.send(dict(event)).physical_id)).ok
    assert log_group(aws) == "/theirs"


def test_a_foreign_configuration_is_refused_and_survives_the_rollback(aws: Any, cfn: Lifecycle) -> None:
    aws.put_model_invocation_logging_configuration(loggingConfig=logging_config("/theirs"))
    outcome = cfn.create(props())
    assert not outcome.ok and "adopt_existing" in outcome.reason
    assert outcome.physical_id == CREATE_FAILED
    assert cfn.delete(Resource(props(), outcome.physical_id)).ok
    assert log_group(aws) == "/theirs"


def test_an_adopted_configuration_is_restored_on_delete(aws: Any, cfn: Lifecycle) -> None:
    aws.put_model_invocation_logging_configuration(loggingConfig=logging_config("/theirs"))
    resource = cfn.deploy(props(adopt=True))
    assert log_group(aws) == "/bedrock/invocations"
    assert cfn.delete(resource).ok
    assert log_group(aws) == "/theirs"


def test_update_rollback_puts_the_previous_destination_back(aws: Any, cfn: Lifecycle) -> None:
    resource = cfn.deploy(props())
    forward, rollback = cfn.failed_stack_update(resource, props("/bedrock/other"))
    assert forward.ok and rollback.ok, rollback.reason
    assert rollback.physical_id == resource.physical_id
    assert log_group(aws) == "/bedrock/invocations"


def test_deleting_twice_succeeds(aws: Any, cfn: Lifecycle) -> None:
    resource = cfn.deploy(props())
    assert cfn.delete(resource).ok and cfn.delete(resource).ok
    assert current(aws) is None
