"""The CDK provider framework's waiter state machine (custom resources with ``is_complete``), as synthesized.

The all-features app's model access resource for Claude 3 Haiku accepts its Marketplace agreement in advance
(``model_access.accept_agreements``): it is sent a CloudFormation Create request, the framework's onEvent (ported
in the harness) runs the project's ``on_event``, starts the waiter in moto, and the waiter's Retry polls
``is_complete`` until the agreement is available, fails, or the waiter times out. (A check-only resource, such as
the default app's, completes at its first ``is_complete``.) moto has no model access
APIs, so the handler's Bedrock client is a botocore Stubber (it validates every request and answer against
the service model).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.gates.asl import AslEngine, Execution, Stack, asl_engine, stacks_of
from tests.support import REGION

MODELS_STACK = "bedrock-ops-all-all-models"
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
OFFER = {
    "offerId": "offer-1",
    "offerToken": "token-1",
    "termDetails": {
        "usageBasedPricingTerm": {"rateCard": []},
        "legalTerm": {"url": "https://aws.amazon.com/legal"},
        "supportTerm": {"refundPolicyDescription": "none"},
    },
}


@pytest.fixture(scope="module")
def app_stacks(all_features_assembly: Any) -> dict[str, Stack]:
    return stacks_of(all_features_assembly)


@pytest.fixture
def stub() -> Iterator[Stubber]:
    client = boto3.client("bedrock", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def engine(app_stacks: dict[str, Stack], monkeypatch: pytest.MonkeyPatch, stub: Stubber) -> Iterator[AslEngine]:
    with asl_engine(app_stacks, monkeypatch) as engine:
        engine.bedrock_stub_client = stub.client
        yield engine


def _availability(agreement: str = "AVAILABLE", authorization: str = "AUTHORIZED", **extra: Any) -> dict[str, Any]:
    return {
        "modelId": MODEL,
        "agreementAvailability": {"status": agreement, **extra},
        "authorizationStatus": authorization,
        "entitlementAvailability": "AVAILABLE",
        "regionAvailability": "AVAILABLE",
    }


def _expect_create(stub: Stubber) -> None:
    """on_event: usable (authorized, offered here) but no agreement yet, so it accepts the public offer (once)."""
    stub.add_response("get_foundation_model_availability", _availability("NOT_AVAILABLE"), {"modelId": MODEL})
    stub.add_response(
        "list_foundation_model_agreement_offers",
        {"modelId": MODEL, "offers": [OFFER]},
        {"modelId": MODEL, "offerType": "PUBLIC"},
    )
    stub.add_response(
        "create_foundation_model_agreement", {"modelId": MODEL}, {"modelId": MODEL, "offerToken": "token-1"}
    )


def _poll(stub: Stubber, agreement: str, authorization: str = "AUTHORIZED", **extra: Any) -> None:
    stub.add_response(
        "get_foundation_model_availability", _availability(agreement, authorization, **extra), {"modelId": MODEL}
    )


def _create(engine: AslEngine) -> Execution:
    """Send the Create request of the Nova Lite access resource and wait for its waiter execution."""
    models = engine.deployment.stack(MODELS_STACK)
    (resource,) = [lid for lid in models.logical_ids("Custom::BedrockModelAccess") if "Haiku" in lid]
    (waiter_id,) = models.logical_ids("AWS::StepFunctions::StateMachine", "ModelAccessProviderwaiter")
    waiter = engine.state_machine(MODELS_STACK, waiter_id)
    engine.send_cfn_request(MODELS_STACK, resource, "Create")
    (execution_arn,) = engine.executions(waiter)
    return engine.wait(execution_arn)


def test_waiter_polls_until_access_is_granted_then_answers_success(engine: AslEngine, stub: Stubber) -> None:
    _expect_create(stub)
    _poll(stub, "PENDING")
    _poll(stub, "PENDING")
    _poll(stub, "AVAILABLE", "AUTHORIZED")

    execution = _create(engine)

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.states_entered == ["framework-isComplete-task"]
    assert [e for e, _ in execution.task_errors()] == ["Error", "Error"]  # cfnResponse.Retry, twice
    assert engine.clock.sleeps == [30.0, 30.0]  # IntervalSeconds 30, BackoffRate 1
    assert engine.lambdas.count("index.is_complete") == 3
    (response,) = engine.cfn_responses
    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == f"model-access:{MODEL}"
    assert response["Data"]["AuthorizationStatus"] == "AUTHORIZED"
    assert response["Data"]["AgreementStatus"] == "AVAILABLE"


def test_waiter_reports_a_failed_agreement_as_a_failed_resource(engine: AslEngine, stub: Stubber) -> None:
    _expect_create(stub)
    _poll(stub, "PENDING")
    _poll(stub, "ERROR", errorMessage="Payment instrument declined")

    execution = _create(engine)

    # The framework's safeHandler answers FAILED itself: the waiter task succeeds, onTimeout never runs.
    assert execution.status == "SUCCEEDED"
    assert "framework-onTimeout-task" not in execution.states_entered
    (response,) = engine.cfn_responses
    assert response["Status"] == "FAILED"
    assert "Payment instrument declined" in response["Reason"]
    assert engine.lambdas.count("index.is_complete") == 2


def test_waiter_rides_out_throttling_inside_the_handler(engine: AslEngine, stub: Stubber) -> None:
    _expect_create(stub)
    stub.add_client_error(
        "get_foundation_model_availability", "ThrottlingException", "Rate exceeded", 429, {"modelId": MODEL}
    )
    _poll(stub, "AVAILABLE", "AUTHORIZED")

    execution = _create(engine)

    assert execution.status == "SUCCEEDED"
    assert engine.lambdas.count("index.is_complete") == 1  # the handler retried; the waiter did not need to
    assert len(engine.clock.sleeps) == 1  # the handler's own backoff, recorded by the harness clock
    assert [r["Status"] for r in engine.cfn_responses] == ["SUCCESS"]


def test_waiter_times_out_into_the_framework_timeout_handler(engine: AslEngine, stub: Stubber) -> None:
    _expect_create(stub)
    for _ in range(37):  # the first attempt and MaxAttempts 36 retries (total_timeout 18 min, every 30 s)
        _poll(stub, "PENDING")

    execution = _create(engine)

    assert execution.status == "SUCCEEDED"
    assert execution.states_entered == ["framework-isComplete-task", "framework-onTimeout-task"]
    assert [e for e, _ in execution.task_errors()] == ["Error"] * 37  # every attempt a cfnResponse.Retry
    assert engine.lambdas.count("index.is_complete") == 37
    assert sum(engine.clock.sleeps) == 36 * 30
    (response,) = engine.cfn_responses
    assert (response["Status"], response["Reason"]) == ("FAILED", "Operation timed out")
    assert response["PhysicalResourceId"] == f"model-access:{MODEL}"


def test_rejected_create_fails_the_resource_without_a_waiter(engine: AslEngine, stub: Stubber) -> None:
    stub.add_client_error(
        "get_foundation_model_availability",
        "ValidationException",
        "The provided model identifier is invalid.",
        400,
        {"modelId": MODEL},
    )
    models = engine.deployment.stack(MODELS_STACK)
    (resource,) = [lid for lid in models.logical_ids("Custom::BedrockModelAccess") if "Haiku" in lid]
    (waiter_id,) = models.logical_ids("AWS::StepFunctions::StateMachine", "ModelAccessProviderwaiter")
    waiter = engine.state_machine(MODELS_STACK, waiter_id)

    engine.send_cfn_request(MODELS_STACK, resource, "Create")

    assert engine.executions(waiter) == []
    (response,) = engine.cfn_responses
    assert response["Status"] == "FAILED"
    assert "The provided model identifier is invalid." in response["Reason"]
    assert response["PhysicalResourceId"] == "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"
