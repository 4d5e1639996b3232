"""The deploy-time trigger starts one workflow execution per distinct job definition."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tests.support import load_handler

REGION = "us-east-1"
BUCKET = "training-data"
TRAINING_KEY = "training/chat/train.jsonl"
VALIDATION_KEY = "validation/chat/validation.jsonl"

trigger = load_handler("customization_trigger")


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    trigger.clients.clear()
    with mock_aws():
        yield
    trigger.clients.clear()


@pytest.fixture
def state_machine_arn() -> str:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=TRAINING_KEY, Body=b'{"prompt": "a", "completion": "b"}\n')
    s3.put_object(Bucket=BUCKET, Key=VALIDATION_KEY, Body=b'{"prompt": "c", "completion": "d"}\n')
    sfn = boto3.client("stepfunctions", region_name=REGION)
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
    response = sfn.create_state_machine(
        name="customization",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )
    return str(response["stateMachineArn"])


def _props(state_machine_arn: str, **definition_overrides: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "BaseModelIdentifier": "amazon.titan-text-express-v1",
        "CustomizationType": "FINE_TUNING",
        "TrainingDataConfig": {"S3Uri": f"s3://{BUCKET}/{TRAINING_KEY}"},
        "HyperParameters": {"epochCount": "2", "batchSize": "1"},
    }
    definition.update(definition_overrides)
    return {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
        "StateMachineArn": state_machine_arn,
        "JobNamePrefix": "stack-chat",
        "ModelNamePrefix": "chat-model",
        "Definition": definition,
        "DataObjects": [{"Bucket": BUCKET, "Key": TRAINING_KEY}, {"Bucket": BUCKET, "Key": VALIDATION_KEY}],
        "RemovalPolicy": "retain",
    }


def _event(request: str, props: dict[str, Any], physical_id: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": request,
        "RequestId": "req-1",
        "LogicalResourceId": "Trigger",
        "ResourceProperties": props,
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    return event


def _executions(state_machine_arn: str) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    return list(sfn.list_executions(stateMachineArn=state_machine_arn)["executions"])


def test_create_starts_one_execution_named_after_the_job(state_machine_arn: str) -> None:
    result = trigger.on_event(_event("Create", _props(state_machine_arn)), None)

    executions = _executions(state_machine_arn)
    assert [e["name"] for e in executions] == [result["Data"]["JobName"]]
    assert result["Data"]["Started"] == "true"
    assert result["PhysicalResourceId"] == result["Data"]["JobName"]


def test_execution_input_carries_the_derived_job_and_model_names(state_machine_arn: str) -> None:
    result = trigger.on_event(_event("Create", _props(state_machine_arn)), None)

    sfn = boto3.client("stepfunctions", region_name=REGION)
    execution = sfn.describe_execution(executionArn=result["Data"]["ExecutionArn"])
    execution_input = json.loads(execution["input"])
    assert execution_input["jobName"] == result["Data"]["JobName"]
    assert execution_input["customModelName"] == result["Data"]["CustomModelName"]
    assert execution_input["jobName"].startswith("stack-chat-")
    assert execution_input["customModelName"].startswith("chat-model-")


def test_unchanged_redeploy_starts_no_execution(state_machine_arn: str) -> None:
    props = _props(state_machine_arn)
    created = trigger.on_event(_event("Create", props), None)

    updated = trigger.on_event(_event("Update", props, created["PhysicalResourceId"]), None)

    assert len(_executions(state_machine_arn)) == 1
    assert updated["Data"]["Started"] == "false"
    assert updated["PhysicalResourceId"] == created["PhysicalResourceId"]


def test_redeploy_after_the_job_exists_starts_no_execution(state_machine_arn: str) -> None:
    props = _props(state_machine_arn)
    created = trigger.on_event(_event("Create", props), None)
    boto3.client("bedrock", region_name=REGION).create_model_customization_job(
        jobName=created["Data"]["JobName"],
        customModelName=created["Data"]["CustomModelName"],
        roleArn="arn:aws:iam::123456789012:role/bedrock",
        baseModelIdentifier="amazon.titan-text-express-v1",
        trainingDataConfig={"s3Uri": f"s3://{BUCKET}/{TRAINING_KEY}"},
        outputDataConfig={"s3Uri": f"s3://{BUCKET}/output/"},
        hyperParameters={},
    )
    sfn = boto3.client("stepfunctions", region_name=REGION)
    sfn.stop_execution(executionArn=created["Data"]["ExecutionArn"])

    updated = trigger.on_event(_event("Update", props, created["PhysicalResourceId"]), None)

    assert updated["Data"]["Started"] == "false"
    assert len(_executions(state_machine_arn)) == 1


def test_changed_hyperparameters_start_exactly_one_new_execution(state_machine_arn: str) -> None:
    created = trigger.on_event(_event("Create", _props(state_machine_arn)), None)
    changed = _props(state_machine_arn, HyperParameters={"epochCount": "3", "batchSize": "1"})

    updated = trigger.on_event(_event("Update", changed, created["PhysicalResourceId"]), None)

    assert updated["Data"]["Started"] == "true"
    assert updated["PhysicalResourceId"] != created["PhysicalResourceId"]
    assert len(_executions(state_machine_arn)) == 2


def test_reuploaded_dataset_starts_a_new_execution(state_machine_arn: str) -> None:
    props = _props(state_machine_arn)
    created = trigger.on_event(_event("Create", props), None)
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=BUCKET, Key=TRAINING_KEY, Body=b'{"prompt": "new", "completion": "data"}\n'
    )

    updated = trigger.on_event(_event("Update", props, created["PhysicalResourceId"]), None)

    assert updated["Data"]["DefinitionHash"] != created["Data"]["DefinitionHash"]
    assert len(_executions(state_machine_arn)) == 2


def test_removal_policy_does_not_change_the_job_names(state_machine_arn: str) -> None:
    created = trigger.on_event(_event("Create", _props(state_machine_arn)), None)
    props = {**_props(state_machine_arn), "RemovalPolicy": "destroy"}

    updated = trigger.on_event(_event("Update", props, created["PhysicalResourceId"]), None)

    assert updated["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert len(_executions(state_machine_arn)) == 1


def test_execution_that_already_exists_is_not_an_error(state_machine_arn: str) -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    trigger.clients.override("stepfunctions", sfn)
    props = _props(state_machine_arn)
    with Stubber(sfn) as stub:
        stub.add_client_error("describe_execution", "ExecutionDoesNotExist")
        stub.add_client_error("start_execution", "ExecutionAlreadyExists")

        result = trigger.on_event(_event("Create", props), None)

    assert result["Data"]["Started"] == "false"


def test_missing_training_data_fails_naming_the_object(state_machine_arn: str) -> None:
    props = _props(state_machine_arn)
    props["DataObjects"] = [{"Bucket": BUCKET, "Key": "training/absent.jsonl"}]

    with pytest.raises(ValueError, match=r"s3://training-data/training/absent.jsonl does not exist"):
        trigger.on_event(_event("Create", props), None)
    assert _executions(state_machine_arn) == []


def test_names_stay_within_the_bedrock_limit_for_long_prefixes() -> None:
    job, model = trigger.names_for("j" * 100, "m_" * 60, "0123456789ab")

    assert len(job) <= 63 and job.endswith("-0123456789ab")
    assert len(model) <= 63 and model.endswith("-0123456789ab")


@pytest.mark.parametrize("prefix", ["a__b--c", "x" * 49 + "_y", "bad name!", "-_-"])
def test_names_match_the_bedrock_name_patterns(prefix: str) -> None:
    job, model = trigger.names_for(prefix, prefix, "0123456789ab")

    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9+.])*", job) and len(job) <= 63
    assert re.fullmatch(r"([0-9a-zA-Z][_-]?){1,63}", model) and not model.endswith(("-", "_"))


def _create_job_and_model(job_name: str, model_name: str) -> None:
    boto3.client("bedrock", region_name=REGION).create_model_customization_job(
        jobName=job_name,
        customModelName=model_name,
        roleArn="arn:aws:iam::123456789012:role/bedrock",
        baseModelIdentifier="amazon.titan-text-express-v1",
        trainingDataConfig={"s3Uri": f"s3://{BUCKET}/{TRAINING_KEY}"},
        outputDataConfig={"s3Uri": f"s3://{BUCKET}/output/"},
        hyperParameters={},
    )


def _model_names() -> list[str]:
    models = boto3.client("bedrock", region_name=REGION).list_custom_models()["modelSummaries"]
    return [m["modelName"] for m in models]


def test_delete_keeps_the_custom_model_by_default(state_machine_arn: str) -> None:
    created = trigger.on_event(_event("Create", _props(state_machine_arn)), None)
    _create_job_and_model(created["Data"]["JobName"], created["Data"]["CustomModelName"])

    trigger.on_event(_event("Delete", _props(state_machine_arn), created["PhysicalResourceId"]), None)

    assert _model_names() == [created["Data"]["CustomModelName"]]


def test_delete_with_destroy_policy_deletes_the_model_and_stops_the_job(state_machine_arn: str) -> None:
    props = {**_props(state_machine_arn), "RemovalPolicy": "destroy"}
    created = trigger.on_event(_event("Create", props), None)
    _create_job_and_model(created["Data"]["JobName"], created["Data"]["CustomModelName"])

    trigger.on_event(_event("Delete", props, created["PhysicalResourceId"]), None)

    job = boto3.client("bedrock", region_name=REGION).get_model_customization_job(
        jobIdentifier=created["Data"]["JobName"]
    )
    assert job["status"] == "Stopped"
    assert _model_names() == []


def test_delete_with_destroy_policy_succeeds_when_nothing_was_trained(state_machine_arn: str) -> None:
    props = {**_props(state_machine_arn), "RemovalPolicy": "destroy"}
    created = trigger.on_event(_event("Create", props), None)

    result = trigger.on_event(_event("Delete", props, created["PhysicalResourceId"]), None)

    assert result["PhysicalResourceId"] == created["PhysicalResourceId"]


def test_delete_keeps_a_model_still_in_use(state_machine_arn: str) -> None:
    props = {**_props(state_machine_arn), "RemovalPolicy": "destroy"}
    created = trigger.on_event(_event("Create", props), None)
    bedrock = boto3.client("bedrock", region_name=REGION)
    trigger.clients.override("bedrock", bedrock)
    with Stubber(bedrock) as stub:
        stub.add_client_error("get_model_customization_job", "ResourceNotFoundException")
        stub.add_client_error("delete_custom_model", "ConflictException", "used by a provisioned throughput")

        result = trigger.on_event(_event("Delete", props, created["PhysicalResourceId"]), None)

        stub.assert_no_pending_responses()
    assert result["PhysicalResourceId"] == created["PhysicalResourceId"]


def test_delete_of_a_failed_create_does_nothing() -> None:
    props = {"JobNamePrefix": "p", "ModelNamePrefix": "m", "RemovalPolicy": "destroy"}

    result = trigger.on_event(_event("Delete", props, "not-a-job"), None)

    assert result == {"PhysicalResourceId": "not-a-job"}


def test_unknown_request_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="Bogus"):
        trigger.on_event({"RequestType": "Bogus"}, None)


def test_definition_hashes_the_same_with_cloudformation_strings() -> None:
    as_written = {"CustomizationConfig": {"MaxResponseLengthForInference": 1000}, "Flag": True}
    as_cloudformation_passes_it = {"CustomizationConfig": {"MaxResponseLengthForInference": "1000"}, "Flag": "true"}

    assert trigger.definition_hash(as_written, []) == trigger.definition_hash(as_cloudformation_passes_it, [])


def _data_event_env(monkeypatch: pytest.MonkeyPatch, state_machine_arn: str) -> dict[str, Any]:
    props = _props(state_machine_arn)
    monkeypatch.setenv("STATE_MACHINE_ARN", state_machine_arn)
    monkeypatch.setenv("JOB_NAME_PREFIX", props["JobNamePrefix"])
    monkeypatch.setenv("MODEL_NAME_PREFIX", props["ModelNamePrefix"])
    monkeypatch.setenv("DEFINITION", json.dumps(props["Definition"]))
    monkeypatch.setenv("DATA_OBJECTS", json.dumps(props["DataObjects"]))
    return props


def _tags_added_event() -> dict[str, Any]:
    return {
        "source": "aws.s3",
        "detail-type": "Object Tags Added",
        "detail": {"bucket": {"name": BUCKET}, "object": {"key": TRAINING_KEY}},
    }


def _tag(verdict: str) -> None:
    boto3.client("s3", region_name=REGION).put_object_tagging(
        Bucket=BUCKET, Key=TRAINING_KEY, Tagging={"TagSet": [{"Key": "bedrock-ops:validation", "Value": verdict}]}
    )


def test_validated_new_dataset_starts_one_execution(monkeypatch: pytest.MonkeyPatch, state_machine_arn: str) -> None:
    _data_event_env(monkeypatch, state_machine_arn)
    _tag("passed")

    result = trigger.on_data_event(_tags_added_event(), None)

    assert result["Started"] == "true"
    assert len(_executions(state_machine_arn)) == 1


def test_dataset_that_failed_validation_starts_nothing(monkeypatch: pytest.MonkeyPatch, state_machine_arn: str) -> None:
    _data_event_env(monkeypatch, state_machine_arn)
    _tag("failed")

    result = trigger.on_data_event(_tags_added_event(), None)

    assert result == {"Started": "false", "Reason": "bedrock-ops:validation=failed"}
    assert _executions(state_machine_arn) == []


def test_data_event_after_the_deploy_started_the_same_job_starts_nothing(
    monkeypatch: pytest.MonkeyPatch, state_machine_arn: str
) -> None:
    props = _data_event_env(monkeypatch, state_machine_arn)
    _tag("passed")
    deployed = trigger.on_event(_event("Create", props), None)

    result = trigger.on_data_event(_tags_added_event(), None)

    assert result["Started"] == "false"
    assert result["JobName"] == deployed["Data"]["JobName"]
    assert len(_executions(state_machine_arn)) == 1
