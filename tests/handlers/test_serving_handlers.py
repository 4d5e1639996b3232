"""lambda/custom_model_deployment and lambda/model_copy: throttling, failure and not-found paths, with botocore's
Stubber validating each request against the service model (the lifecycle gates cover the happy paths)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from tests.handlers.stubs import stubbed
from tests.support import load_handler

deployment = load_handler("custom_model_deployment")
copy = load_handler("model_copy")
MODEL = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/abcdefghijkl"
DEPLOYMENT = "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abcdefghijkl"
JOB = "arn:aws:bedrock:us-west-2:123456789012:model-copy-job/abcdefghijkl"
COPIED = "arn:aws:bedrock:us-west-2:123456789012:custom-model/amazon.nova-micro-v1:0:128k/bbbbbbbbbbbb"
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


@pytest.fixture
def east(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> Iterator[Stubber]:
    with stubbed(deployment, monkeypatch, sleeps) as stubber:
        yield stubber


@pytest.fixture
def west(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> Iterator[Stubber]:
    with stubbed(copy, monkeypatch, sleeps, region="us-west-2", key="bedrock@us-west-2") as stubber:
        yield stubber


def event(request_type: str, props: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1111",
        "LogicalResourceId": "Chat",
        "RequestId": "req-1",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p", **props},
        **fields,
    }


DEPLOY_PROPS = {"ModelArn": MODEL, "DeploymentName": "chat"}
COPY_PROPS = {"SourceModelArn": MODEL, "TargetRegion": "us-west-2", "TargetModelName": "chat-copy"}


def test_deployment_create_retries_throttling_then_deploys(east: Stubber, sleeps: list[float]) -> None:
    east.add_client_error("create_custom_model_deployment", "ThrottlingException")
    east.add_response(
        "create_custom_model_deployment",
        {"customModelDeploymentArn": DEPLOYMENT},
        {"clientRequestToken": ANY, "modelDeploymentName": "chat", "modelArn": MODEL},
    )
    answer = deployment.on_event(event("Create", DEPLOY_PROPS))
    assert answer["PhysicalResourceId"] == DEPLOYMENT
    assert len(sleeps) == 1


def test_deployment_is_complete_fails_with_the_failure_message(east: Stubber) -> None:
    east.add_response(
        "get_custom_model_deployment",
        {
            "customModelDeploymentArn": DEPLOYMENT,
            "modelDeploymentName": "chat",
            "modelArn": MODEL,
            "createdAt": NOW,
            "status": "Failed",
            "failureMessage": "model customized before 2025-07-16",
        },
    )
    with pytest.raises(RuntimeError, match="failed: model customized before 2025-07-16"):
        deployment.is_complete(event("Create", DEPLOY_PROPS, PhysicalResourceId=DEPLOYMENT))


def test_deployment_is_complete_fails_when_the_model_swap_failed(east: Stubber) -> None:
    east.add_response(
        "get_custom_model_deployment",
        {
            "customModelDeploymentArn": DEPLOYMENT,
            "modelDeploymentName": "chat",
            "modelArn": MODEL,
            "createdAt": NOW,
            "status": "Active",
            "updateDetails": {"modelArn": MODEL, "updateStatus": "UpdateFailed"},
        },
    )
    with pytest.raises(RuntimeError, match="could not switch to model"):
        deployment.is_complete(event("Update", DEPLOY_PROPS, PhysicalResourceId=DEPLOYMENT))


def test_deployment_delete_of_a_missing_deployment_succeeds(east: Stubber) -> None:
    east.add_client_error("delete_custom_model_deployment", "ResourceNotFoundException")
    answer = deployment.on_event(event("Delete", DEPLOY_PROPS, PhysicalResourceId=DEPLOYMENT))
    assert answer["PhysicalResourceId"] == DEPLOYMENT


def test_deployment_delete_reports_access_denied(east: Stubber) -> None:
    east.add_client_error("delete_custom_model_deployment", "AccessDeniedException", "not allowed")
    with pytest.raises(Exception, match="AccessDenied"):
        deployment.on_event(event("Delete", DEPLOY_PROPS, PhysicalResourceId=DEPLOYMENT))


def test_copy_create_runs_in_the_target_region_and_retries_throttling(west: Stubber, sleeps: list[float]) -> None:
    west.add_client_error("create_model_copy_job", "ThrottlingException")
    west.add_response(
        "create_model_copy_job",
        {"jobArn": JOB},
        {"clientRequestToken": ANY, "sourceModelArn": MODEL, "targetModelName": "chat-copy"},
    )
    assert copy.on_event(event("Create", COPY_PROPS))["PhysicalResourceId"] == JOB
    assert len(sleeps) == 1


def _job(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "jobArn": JOB,
        "status": status,
        "creationTime": NOW,
        "targetModelArn": COPIED,
        "sourceAccountId": "123456789012",
        "sourceModelArn": MODEL,
        **extra,
    }


def test_copy_is_complete_fails_with_the_failure_message(west: Stubber) -> None:
    west.add_response("get_model_copy_job", _job("Failed", failureMessage="Region not supported"))
    with pytest.raises(RuntimeError, match="failed: Region not supported"):
        copy.is_complete(event("Create", COPY_PROPS, PhysicalResourceId=JOB))


def test_copy_delete_of_a_missing_job_succeeds(west: Stubber) -> None:
    west.add_client_error("get_model_copy_job", "ResourceNotFoundException")
    assert copy.on_event(event("Delete", COPY_PROPS, PhysicalResourceId=JOB))["PhysicalResourceId"] == JOB


def test_copy_delete_of_a_model_in_use_says_what_uses_it(west: Stubber) -> None:
    west.add_response("get_model_copy_job", _job("Completed"))
    west.add_client_error("delete_custom_model", "ConflictException")
    with pytest.raises(RuntimeError, match="provisioned throughput or custom model deployment still uses it"):
        copy.on_event(event("Delete", COPY_PROPS, PhysicalResourceId=JOB))


def test_copy_delete_while_the_job_runs_refuses_and_says_why(west: Stubber) -> None:
    west.add_response("get_model_copy_job", _job("InProgress"))
    with pytest.raises(RuntimeError, match="still InProgress"):
        copy.on_event(event("Delete", COPY_PROPS, PhysicalResourceId=JOB))


imports = load_handler("model_import")
IMPORT_JOB = "arn:aws:bedrock:us-east-1:123456789012:model-import-job/abcdefghijkl"
IMPORTED = "arn:aws:bedrock:us-east-1:123456789012:imported-model/abcdefghijkl"
IMPORT_PROPS = {
    "ImportedModelName": "llama-ft",
    "RoleArn": "arn:aws:iam::123456789012:role/import",
    "S3Uri": "s3://weights/llama/",
}


@pytest.fixture
def importer(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> Iterator[Stubber]:
    with stubbed(imports, monkeypatch, sleeps) as stubber:
        yield stubber


def test_import_create_retries_throttling_then_starts_one_job(importer: Stubber, sleeps: list[float]) -> None:
    importer.add_client_error("create_model_import_job", "ServiceUnavailableException")
    importer.add_response(
        "create_model_import_job",
        {"jobArn": IMPORT_JOB},
        {
            "clientRequestToken": ANY,
            "jobName": ANY,
            "importedModelName": "llama-ft",
            "roleArn": IMPORT_PROPS["RoleArn"],
            "modelDataSource": {"s3DataSource": {"s3Uri": "s3://weights/llama/"}},
        },
    )
    assert imports.on_event(event("Create", IMPORT_PROPS))["PhysicalResourceId"] == IMPORT_JOB
    assert len(sleeps) == 1


def test_import_is_complete_fails_with_the_failure_message(importer: Stubber) -> None:
    importer.add_response("get_model_import_job", {"jobArn": IMPORT_JOB, "status": "Failed", "failureMessage": "bad"})
    with pytest.raises(RuntimeError, match="failed: bad"):
        imports.is_complete(event("Create", IMPORT_PROPS, PhysicalResourceId=IMPORT_JOB))


def test_import_delete_of_a_model_already_gone_succeeds(importer: Stubber) -> None:
    importer.add_response(
        "get_model_import_job", {"jobArn": IMPORT_JOB, "status": "Completed", "importedModelArn": IMPORTED}
    )
    importer.add_client_error("delete_imported_model", "ResourceNotFoundException")
    assert imports.on_event(event("Delete", IMPORT_PROPS, PhysicalResourceId=IMPORT_JOB))["PhysicalResourceId"]


def test_import_delete_of_a_missing_job_succeeds(importer: Stubber) -> None:
    importer.add_client_error("get_model_import_job", "ResourceNotFoundException")
    assert imports.on_event(event("Delete", IMPORT_PROPS, PhysicalResourceId=IMPORT_JOB))["PhysicalResourceId"]
