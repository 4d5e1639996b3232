from __future__ import annotations

import json

import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from bedrock_ops._core.assets import lambda_code_path
from bedrock_ops._core.functions import RUNTIME, HandlerFunction
from bedrock_ops._core.providers import singleton_provider
from tests.support import nag_findings, new_stack

CODE = lambda_.Code.from_inline("def on_event(event, context):\n    return {}\n")


@pytest.fixture(scope="module")
def built() -> tuple[Template, list[str], bool]:
    stack = new_stack()
    first = singleton_provider(stack, kind="Probe", handler="probe", description="probe", is_complete=True, code=CODE)
    second = singleton_provider(stack, kind="Probe", handler="probe", description="probe", is_complete=True, code=CODE)
    first.resource(stack, "One", resource_type="Custom::Probe", properties={"A": "1"})
    second.resource(stack, "Two", resource_type="Custom::Probe", properties={"A": "2"})
    return Template.from_stack(stack), nag_findings(stack), first is second


def test_one_provider_serves_every_resource_of_a_kind(built: tuple[Template, list[str], bool]) -> None:
    template, _, same = built
    assert same
    resources = template.find_resources("Custom::Probe")
    tokens = {json.dumps(r["Properties"]["ServiceToken"]) for r in resources.values()}
    assert len(resources) == 2 and len(tokens) == 1


def test_custom_resources_time_out_in_minutes_with_a_numeric_service_timeout(
    built: tuple[Template, list[str], bool],
) -> None:
    for resource in built[0].find_resources("Custom::Probe").values():
        assert resource["Properties"]["ServiceTimeout"] == 300


def test_provider_uses_no_managed_policies_and_passes_nag(built: tuple[Template, list[str], bool]) -> None:
    template, findings, _ = built
    for role in template.find_resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]
    assert findings == []


def test_handlers_run_on_the_latest_python_runtime(built: tuple[Template, list[str], bool]) -> None:
    runtimes = {f["Properties"]["Runtime"] for f in built[0].find_resources("AWS::Lambda::Function").values()}
    assert RUNTIME.name in runtimes
    assert all(r.startswith(("python3.14", "nodejs")) for r in runtimes)


def test_waiter_state_machine_logs_all_events(built: tuple[Template, list[str], bool]) -> None:
    (machine,) = built[0].find_resources("AWS::StepFunctions::StateMachine").values()
    assert machine["Properties"]["LoggingConfiguration"]["Level"] == "ALL"


def test_handler_function_rejects_bad_memory() -> None:
    with pytest.raises(ValueError, match="memory_size must be 128-10240 MB, got 64"):
        HandlerFunction(new_stack(), "Fn", handler="probe", description="x", memory_size=64, code=CODE)


def test_lambda_code_path_names_both_places_when_missing() -> None:
    with pytest.raises(FileNotFoundError, match="Lambda source 'missing' not found"):
        lambda_code_path("missing")
