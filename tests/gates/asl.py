"""ASL gate harness: the project's synthesized state machines, run in moto's Step Functions interpreter.

What is real: the ASL (taken from synthesized templates, every token replaced by the concrete ARN or name of
a resource created in moto), moto's interpreter (Retry, Catch, paths, Choice, Fail, ...), moto's SNS, S3,
IAM, KMS, Lambda (function records) and Bedrock (customization jobs) backends, and the project's handler
modules (``lambda/<function>/index.py``, found by their asset, called through their public entry points).

What the harness provides, and why:

* ``bedrock:createModelCustomizationJob.sync``: moto forwards Bedrock's optimized integrations as
  request-response only (and fails ``.sync`` with "Unsupported sync callback procedure"), so
  :class:`BedrockCustomizationTask` is registered in moto's task factory. It implements the documented
  Run a Job (.sync) behaviour: CreateModelCustomizationJob (validated the way the service validates its
  input, against the botocore model's constraints), then GetModelCustomizationJob until Completed, Failed or
  Stopped; a Failed or Stopped job fails the task with ``States.TaskFailed`` and the job description (with
  its ``FailureMessage``) as the cause, as Step Functions does for its ``.sync`` integrations; a service
  error fails it with ``Bedrock.<ErrorCode>``. :class:`BedrockJobs` scripts the jobs' outcomes (it moves a
  job to Completed / Failed / Stopped in moto's backend after a number of polls) and injects faults.
* Lambda invocations: Docker is not available, so moto cannot run functions. Only the Invoke call is
  replaced (:meth:`LambdaLayer.invoke`): the function must exist in moto, and its code is run in-process
  as the Lambda Python runtime would (environment from the template, seen on the invoking thread only:
  :class:`FunctionEnviron`; JSON in and out; an exception becomes ``FunctionError: Unhandled`` with
  ``errorType``/``errorMessage``). The CDK provider framework's own
  functions (Node.js) are ported in :mod:`tests.gates.asl` (``_framework_*``, after aws-cdk-lib's
  ``custom-resources/lib/provider-framework/runtime/framework.js`` and ``cfn-response.js``); CloudFormation's
  pre-signed response URL is replaced by :attr:`AslEngine.cfn_responses`.
* ``aws-sdk:bedrock:createModelInvocationJob`` / ``getModelInvocationJob`` (batch inference): moto's Bedrock
  backend has no model invocation jobs, so the Bedrock client of moto's AWS SDK integration answers them from
  :class:`InvocationJobs` (requests validated against the botocore model like the customization job's; a job
  is Submitted, then InProgress, and reaches :attr:`InvocationJobs.plan`'s status after a number of polls, with
  record counts), with the same fault injection (:meth:`BedrockJobs.fail_next`).
* Time: moto's retrier, ``.sync`` poller and Wait states sleep for real; :class:`Clock` records the
  intervals instead (assert on them) and returns at once.
"""

from __future__ import annotations

import ast
import contextlib
import datetime
import hashlib
import io
import json
import os
import re
import threading
import time
import traceback
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, cast

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape
from moto import mock_aws
from moto.bedrock.models import bedrock_backends
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils, state_task_factory
from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import StateCredentials
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_aws_sdk,
    state_task_service_callback,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
    ResourceCondition,
    ResourceRuntimePart,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_factory import (
    state_task_service_for as moto_state_task_service_for,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

from tests.support import ACCOUNT, LAMBDA_DIR, REGION, load_handler

PARTITION = "aws"
TERMINAL_JOB_STATUSES = frozenset({"Completed", "Failed", "Stopped"})
_BEDROCK_MODEL = botocore.session.get_session().get_service_model("bedrock")
FRAMEWORK_HANDLERS = frozenset({"framework.onEvent", "framework.isComplete", "framework.onTimeout"})


def bind_handler(module: ModuleType, *, bedrock: Any = None, sleep: Callable[[float], None]) -> None:
    """The one place that knows how handler modules hold their clients and sleep (the handler runtime's seam,
    as tests/handlers use it).

    Cached clients are dropped (they are created again, inside moto, on first use); ``bedrock`` replaces the
    Bedrock client of handlers whose APIs moto does not mock (a client with a botocore ``Stubber``).
    """
    runtime = module.clients
    runtime.clear()
    if bedrock is not None:
        runtime.override("bedrock", bedrock)
    retry = getattr(runtime, "retry", None)
    if retry is not None:
        retry.sleep = sleep


# ----------------------------------------------------------------------------------------------- assembly


@dataclass
class Stack:
    """One synthesized stack: its name, template and the directory its assets were staged in."""

    name: str
    template: dict[str, Any]
    asset_root: Path

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.template["Resources"]
        return resources

    def logical_ids(self, resource_type: str, contains: str = "") -> list[str]:
        """Logical ids of the resources of ``resource_type`` whose id contains ``contains``."""
        return sorted(lid for lid, r in self.resources.items() if r["Type"] == resource_type and contains in lid)


def stacks_of(assembly: Any) -> dict[str, Stack]:
    """The stacks of a CDK cloud assembly (nested stage assemblies included), by stack name."""
    root = Path(assembly.directory)
    return {s.stack_name: Stack(s.stack_name, s.template, root) for s in assembly.stacks_recursively}


# ------------------------------------------------------------------------------------------------- time


class Clock:
    """Stands in for ``time`` in moto's retrier and ``.sync`` poller and for Wait states: records, never sleeps."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(float(seconds))

    def as_time_module(self) -> SimpleNamespace:
        return SimpleNamespace(sleep=self.sleep, time=time.time, monotonic=time.monotonic)


# ------------------------------------------------------------------------------------------------ Bedrock


@dataclass
class JobPlan:
    """The outcome a customization job reaches after ``after_polls`` GetModelCustomizationJob calls."""

    status: str = "Completed"
    failure_message: str = ""
    after_polls: int = 2


@dataclass
class InvocationPlan:
    """The outcome a batch inference job reaches after ``after_polls`` GetModelInvocationJob calls."""

    status: str = "Completed"
    message: str = ""
    after_polls: int = 2
    records: int = 3
    errors: int = 0


class InvocationJobs:
    """Model invocation jobs (batch inference), which moto's Bedrock backend lacks: created, polled, scripted."""

    def __init__(self) -> None:
        self.plan = InvocationPlan()
        self.jobs: dict[str, dict[str, Any]] = {}
        self.polls: dict[str, int] = defaultdict(int)

    def create(self, params: Mapping[str, Any], region: str) -> dict[str, Any]:
        job_id = uuid.uuid4().hex[:12]
        arn = f"arn:{PARTITION}:bedrock:{region}:{ACCOUNT}:model-invocation-job/{job_id}"
        if any(job["jobName"] == params["jobName"] for job in self.jobs.values()):
            raise LookupError(f"Job {params['jobName']} already exists")
        self.jobs[arn] = {
            **{k: params[k] for k in ("jobName", "modelId", "roleArn", "inputDataConfig", "outputDataConfig")},
            "jobArn": arn,
            "status": "Submitted",
            "submitTime": datetime.datetime.now(datetime.UTC),
        }
        return {"jobArn": arn}

    def get(self, identifier: str) -> dict[str, Any]:
        job = self.jobs[identifier]
        self.polls[identifier] += 1
        if job["status"] in ("Submitted", "InProgress"):
            job["status"] = "InProgress"
            if self.polls[identifier] >= self.plan.after_polls:
                plan = self.plan
                job.update(status=plan.status, lastModifiedTime=datetime.datetime.now(datetime.UTC))
                if plan.message:
                    job["message"] = plan.message
                if plan.status in ("Completed", "PartiallyCompleted"):
                    job.update(
                        totalRecordCount=plan.records,
                        processedRecordCount=plan.records,
                        successRecordCount=plan.records - plan.errors,
                        errorRecordCount=plan.errors,
                    )
        return dict(job)


@dataclass
class BedrockCall:
    operation: str
    params: dict[str, Any]
    error: str = ""


class BedrockJobs:
    """Scripts customization jobs (moto creates every job InProgress) and injects faults on Bedrock calls."""

    def __init__(self) -> None:
        self.plan = JobPlan()
        self.calls: list[BedrockCall] = []
        self.polls: dict[str, int] = defaultdict(int)
        self._faults: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        self._params: dict[str, dict[str, Any]] = {}
        self.invocations = InvocationJobs()

    def fail_next(self, operation: str, code: str, message: str, status: int = 400, times: int = 1) -> None:
        """The next ``times`` calls of ``operation`` (e.g. CreateModelCustomizationJob) answer this error."""
        self._faults[operation].extend([(code, message, status)] * times)

    def count(self, operation: str, *, succeeded: bool | None = None) -> int:
        return sum(
            1 for c in self.calls if c.operation == operation and (succeeded is None or (c.error == "") is succeeded)
        )

    def client(self, region: str) -> Any:
        """A Bedrock client bound to moto (as moto's integrations create them) with the fault injector."""
        client = boto_client_for(region=region, service="bedrock")
        client.meta.events.register("before-parameter-build.bedrock.*", self._remember_params)
        client.meta.events.register("before-call.bedrock.*", self._before_call)
        return client

    def _remember_params(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        self._params[model.name] = json.loads(to_json_str(params))

    def advance(self, job_name: str) -> None:
        """Called before each poll: the job reaches the planned status after ``plan.after_polls`` polls."""
        self.polls[job_name] += 1
        if self.polls[job_name] < self.plan.after_polls:
            return
        job = bedrock_backends[ACCOUNT][REGION].model_customization_jobs[job_name]
        if job.status == "InProgress":
            job.status = self.plan.status
            job.failure_message = self.plan.failure_message if self.plan.status != "Completed" else ""

    def _before_call(self, model: Any, params: Mapping[str, Any], **_: Any) -> Any:
        operation = model.name
        body = self._params.pop(operation, {})
        queued = self._faults.get(operation)
        if queued:
            code, message, status = queued.pop(0)
            self.calls.append(BedrockCall(operation, body, code))
            parsed = {
                "Error": {"Code": code, "Message": message},
                "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": str(uuid.uuid4())},
            }
            return AWSResponse(None, status, {}, None), parsed
        if operation in ("CreateModelCustomizationJob", "CreateModelInvocationJob"):
            problem = validate_request(model.input_shape, body)
            if problem:
                self.calls.append(BedrockCall(operation, body, "ValidationException"))
                parsed = {
                    "Error": {"Code": "ValidationException", "Message": problem},
                    "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": str(uuid.uuid4())},
                }
                return AWSResponse(None, 400, {}, None), parsed
        self.calls.append(BedrockCall(operation, body))
        if operation == "CreateModelInvocationJob":
            return AWSResponse(None, 200, {}, None), self.invocations.create(body, REGION)
        if operation == "GetModelInvocationJob":
            return AWSResponse(None, 200, {}, None), self.invocations.get(str(body["jobIdentifier"]))
        return None


def _sdk_member_names(params: Mapping[str, Any], model: Any, **_: Any) -> dict[str, Any]:
    """Step Functions' AWS SDK integrations take the API's members in PascalCase (``JobName``) and call the SDK
    with the model's names (``jobName``); moto's passes them unchanged, which botocore cannot serialise."""

    def rename(shape: Shape, value: Any) -> Any:
        if isinstance(shape, StructureShape) and isinstance(value, Mapping):
            members = {name.lower(): name for name in shape.members}
            renamed = {}
            for key, item in value.items():
                name = members.get(str(key).lower(), str(key))
                renamed[name] = rename(shape.members[name], item) if name in shape.members else item
            return renamed
        if isinstance(shape, ListShape) and isinstance(value, list):
            return [rename(shape.member, item) for item in value]
        return value

    return cast(dict[str, Any], rename(model.input_shape, params))


def _sdk_pascal_case(parsed: dict[str, Any], **_: Any) -> None:
    """The AWS SDK integrations answer with PascalCase member names (``JobArn``, ``Status``) and timestamps as
    text; moto's passes the SDK's (``jobArn``, datetimes) through. Renamed in place, recursively."""

    def rename(value: Any) -> Any:
        if isinstance(value, dict):
            return {k[:1].upper() + k[1:]: rename(v) for k, v in value.items() if k != "ResponseMetadata"}
        if isinstance(value, list):
            return [rename(item) for item in value]
        if isinstance(value, datetime.datetime):  # timestamps reach the state as ISO 8601 text
            return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return value

    if "Error" not in parsed:
        renamed = rename(parsed)
        metadata = parsed.get("ResponseMetadata")
        parsed.clear()
        parsed.update(renamed)
        if metadata is not None:
            parsed["ResponseMetadata"] = metadata


def validate_request(shape: StructureShape, value: Mapping[str, Any]) -> str:
    """Bedrock's server-side input validation, from the botocore model: required members, lengths, patterns
    and enums, answered in the service's wording (``1 validation error detected: Value ... at ...``)."""
    problems: list[str] = []

    def check(member: Shape, item: Any, where: str) -> None:
        if isinstance(member, StructureShape) and isinstance(item, Mapping):
            for name in member.required_members:
                if name not in item:
                    problems.append(
                        f"Value null at '{where}{name}' failed to satisfy constraint: Member must not be null"
                    )
            for name, sub in item.items():
                if name in member.members:
                    check(member.members[name], sub, f"{where}{name}.")
        elif isinstance(member, ListShape) and isinstance(item, list):
            _check_length(member, item, where, problems)
            for index, sub in enumerate(item):
                check(member.member, sub, f"{where}{index + 1}.")
        elif isinstance(member, MapShape) and isinstance(item, Mapping):
            for sub in item.values():
                check(member.value, sub, where)
        elif isinstance(member, StringShape) and isinstance(item, str):
            _check_length(member, item, where, problems)
            pattern = member.metadata.get("pattern")
            if pattern and re.fullmatch(pattern, item) is None:
                problems.append(
                    f"Value '{item}' at '{where.rstrip('.')}' failed to satisfy constraint: "
                    f"Member must satisfy regular expression pattern: {pattern}"
                )
            if member.enum and item not in member.enum:
                problems.append(
                    f"Value '{item}' at '{where.rstrip('.')}' failed to satisfy constraint: "
                    f"Member must satisfy enum value set: [{', '.join(member.enum)}]"
                )

    check(shape, value, "")
    if not problems:
        return ""
    return f"{len(problems)} validation error{'s' if len(problems) > 1 else ''} detected: " + "; ".join(problems)


def _check_length(member: Shape, item: Any, where: str, problems: list[str]) -> None:
    low, high = member.metadata.get("min"), member.metadata.get("max")
    if (low is not None and len(item) < low) or (high is not None and len(item) > high):
        problems.append(
            f"Value at '{where.rstrip('.')}' failed to satisfy constraint: "
            f"Member must have length between {low} and {high}"
        )


def trained_model_arn(custom_model_name: str, base_model_id: str, region: str = REGION) -> str:
    """The ARN the harness gives the custom model a job named ``custom_model_name`` trains from
    ``base_model_id``: Bedrock's form, ``custom-model/<base model id>/<12 characters>``."""
    suffix = hashlib.sha256(custom_model_name.encode()).hexdigest()[:12]
    return f"arn:aws:bedrock:{region}:{ACCOUNT}:custom-model/{base_model_id}/{suffix}"


def _bedrock_model_arn(region: str, request: Mapping[str, Any]) -> None:
    """Give the job's custom model the ARN Bedrock gives it (:func:`trained_model_arn`, the pattern
    CreateCustomModelDeployment and CreateProvisionedModelThroughput check) instead of moto's
    ``custom-model/<name>``."""
    job = bedrock_backends[ACCOUNT][region].model_customization_jobs[str(request["jobName"])]
    base = str(request["baseModelIdentifier"]).rsplit("foundation-model/", 1)[-1]
    job.output_model_arn = trained_model_arn(str(request["customModelName"]), base, region)


class BedrockCustomizationTask(StateTaskServiceCallback):
    """``arn:aws:states:::bedrock:createModelCustomizationJob[.sync]`` against moto's Bedrock backend."""

    jobs: BedrockJobs  # set by AslEngine before any execution

    def __init__(self) -> None:
        # moto's callback base class needs a task-token endpoint on its .sync path (it interrupts it when the
        # task ends), which it creates only for integrations declaring WaitForTaskToken; that pattern itself
        # is refused in from_state_props, as Step Functions refuses it for this API.
        patterns = {ResourceCondition(ResourceCondition.Sync), ResourceCondition(ResourceCondition.WaitForTaskToken)}
        super().__init__(supported_integration_patterns=patterns)

    def from_state_props(self, state_props: Any) -> None:
        super().from_state_props(state_props)
        if self.resource.condition == ResourceCondition.WaitForTaskToken:
            raise ValueError(f"{self.resource.resource_arn}: Bedrock supports request-response and .sync only")

    @staticmethod
    def _operation() -> Any:
        return _BEDROCK_MODEL.operation_model("CreateModelCustomizationJob")

    def _get_supported_parameters(self) -> set[str] | None:
        if self.resource.api_action.lower() != "createmodelcustomizationjob":
            return None  # moto then rejects the resource as not recognized
        return {name[0].upper() + name[1:] for name in self._operation().input_shape.members}

    def _normalise_parameters(
        self, parameters: dict[str, Any], boto_service_name: str | None = None, service_action_name: str | None = None
    ) -> None:
        self._to_boto_request(parameters, self._operation().input_shape)

    def _eval_service_task(
        self,
        env: Environment,
        resource_runtime_part: ResourceRuntimePart,
        normalised_parameters: dict[str, Any],
        state_credentials: StateCredentials,
    ) -> None:
        response = self.jobs.client(resource_runtime_part.region).create_model_customization_job(
            **normalised_parameters
        )
        response.pop("ResponseMetadata", None)
        _bedrock_model_arn(resource_runtime_part.region, normalised_parameters)
        self._from_boto_response(response, self._operation().output_shape)
        env.stack.append(response)

    def _build_sync_resolver(
        self,
        env: Environment,
        resource_runtime_part: ResourceRuntimePart,
        normalised_parameters: dict[str, Any],
        state_credentials: StateCredentials,
    ) -> Callable[[], Any]:
        created: dict[str, Any] = env.stack.pop()
        job_arn = str(created["JobArn"])
        job_name = str(normalised_parameters["jobName"])
        client = self.jobs.client(resource_runtime_part.region)
        get_shape = client.meta.service_model.operation_model("GetModelCustomizationJob").output_shape

        def resolve() -> Any:
            self.jobs.advance(job_name)
            # Step Functions polls with the job ARN; moto looks jobs up by name only (it does not decode an ARN
            # in the path), so the poll names the job the create call answered for.
            job = client.get_model_customization_job(jobIdentifier=job_arn.rsplit("/", 1)[-1])
            job.pop("ResponseMetadata", None)
            if job["status"] not in TERMINAL_JOB_STATUSES:
                return None
            self._from_boto_response(job, get_shape)
            job = json.loads(to_json_str(job))
            if job["Status"] == "Completed":
                return job
            error = StatesErrorNameType.StatesTaskFailed.to_name()
            raise FailureEventException(
                FailureEvent(
                    env=env,
                    error_name=StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed),
                    event_type=HistoryEventType.TaskFailed,
                    event_details=_details(
                        taskFailedEventDetails=TaskFailedEventDetails(
                            resource=self._get_sfn_resource(),
                            resourceType=self._get_sfn_resource_type(),
                            error=error,
                            cause=to_json_str(job),
                        )
                    ),
                )
            )

        return resolve

    def _from_error(self, env: Environment, ex: Exception) -> FailureEvent:
        if isinstance(ex, ClientError):
            code = ex.response["Error"]["Code"]
            meta = ex.response.get("ResponseMetadata", {})
            error = f"Bedrock.{code}"
            cause = (
                f"{ex.response['Error'].get('Message', '')} (Service: Bedrock, Status Code: "
                f"{meta.get('HTTPStatusCode', 400)}, Request ID: {meta.get('RequestId', '')})"
            )
            return FailureEvent(
                env=env,
                error_name=CustomErrorName(error),
                event_type=HistoryEventType.TaskFailed,
                event_details=_details(
                    taskFailedEventDetails=TaskFailedEventDetails(
                        error=error,
                        cause=cause,
                        resource=self._get_sfn_resource(),
                        resourceType=self._get_sfn_resource_type(),
                    )
                ),
            )
        failure: FailureEvent = super()._from_error(env=env, ex=ex)
        return failure


def _details(**details: Any) -> EventDetails:
    """moto's EventDetails TypedDict (declared total) with only the keys an event carries."""
    return cast(EventDetails, details)


# ---------------------------------------------------------------------------------------- resolution


class Deployment:
    """Replaces the tokens of synthesized templates with resources created in moto (created on first use)."""

    def __init__(self, stacks: Mapping[str, Stack]) -> None:
        self.stacks = dict(stacks)
        self._physical: dict[tuple[str, str], dict[str, str]] = {}

    def stack(self, name: str) -> Stack:
        return self.stacks[name]

    def resolve(self, stack: Stack, value: Any) -> Any:
        """``value`` with every intrinsic function of ``stack``'s template evaluated."""
        if isinstance(value, list):
            return [self.resolve(stack, v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(stack, str(arg))
            if key == "Fn::GetAtt":
                return self._attribute(stack, str(arg[0]), str(arg[1]))
            if key == "Fn::Join":
                return str(arg[0]).join(str(self.resolve(stack, v)) for v in arg[1])
            if key == "Fn::Sub":
                return re.sub(
                    r"\$\{([^}]+)\}",
                    lambda m: str(
                        self._ref(stack, m.group(1))
                        if "." not in m.group(1)
                        else self._attribute(stack, *m.group(1).split(".", 1))
                    ),
                    str(arg),
                )
            if key == "Fn::Select":
                return self.resolve(stack, arg[1])[int(arg[0])]
            if key == "Fn::Split":
                return str(self.resolve(stack, arg[1])).split(str(arg[0]))
            if key == "Fn::GetStackOutput":
                producer = self.stacks[str(arg["StackName"])]
                return self.resolve(producer, producer.template["Outputs"][str(arg["OutputName"])]["Value"])
            if key == "Fn::ImportValue":
                return self._import(str(self.resolve(stack, arg)))
        return {k: self.resolve(stack, v) for k, v in value.items()}

    def definition(self, stack: Stack, logical_id: str) -> str:
        """The ASL of a state machine, every token replaced."""
        props = stack.resources[logical_id]["Properties"]
        rendered = self.resolve(stack, props["DefinitionString"])
        assert isinstance(rendered, str)
        return rendered

    def function_target(self, arn: str) -> tuple[Stack, str]:
        """The stack and logical id of the Lambda function with this ARN (created by this deployment)."""
        for (stack_name, logical_id), attributes in self._physical.items():
            if attributes.get("Arn") == arn and self.stacks[stack_name].resources[logical_id]["Type"] == (
                "AWS::Lambda::Function"
            ):
                return self.stacks[stack_name], logical_id
        raise LookupError(f"no function of the synthesized app has the ARN {arn}")

    def _import(self, export_name: str) -> Any:
        for stack in self.stacks.values():
            for output in stack.template.get("Outputs", {}).values():
                if output.get("Export") and self.resolve(stack, output["Export"]["Name"]) == export_name:
                    return self.resolve(stack, output["Value"])
        raise LookupError(f"no stack exports {export_name}")

    def _ref(self, stack: Stack, name: str) -> str:
        pseudo = {
            "AWS::Partition": PARTITION,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack.name,
        }
        if name in pseudo:
            return pseudo[name]
        if name in stack.template.get("Parameters", {}):
            return str(stack.template["Parameters"][name].get("Default", ""))
        return self._materialise(stack, name)["Ref"]

    def _attribute(self, stack: Stack, logical_id: str, attribute: str) -> str:
        attributes = self._materialise(stack, logical_id)
        if attribute not in attributes:
            raise LookupError(f"{stack.name}/{logical_id}: the ASL gate does not model attribute {attribute}")
        return attributes[attribute]

    def _materialise(self, stack: Stack, logical_id: str) -> dict[str, str]:
        key = (stack.name, logical_id)
        if key not in self._physical:
            resource = stack.resources[logical_id]
            creator = _CREATORS.get(resource["Type"])
            if creator is None:
                raise LookupError(f"{stack.name}/{logical_id}: the ASL gate cannot create a {resource['Type']} in moto")
            self._physical[key] = creator(self, stack, logical_id, resource.get("Properties", {}))
        return self._physical[key]

    # One creator per resource type the state machines reference; names derive from the logical id.

    def _topic(self, stack: Stack, logical_id: str, props: Mapping[str, Any]) -> dict[str, str]:
        arn = boto3.client("sns", region_name=REGION).create_topic(Name=logical_id)["TopicArn"]
        return {"Ref": arn, "TopicArn": arn, "TopicName": logical_id}

    def _bucket(self, stack: Stack, logical_id: str, props: Mapping[str, Any]) -> dict[str, str]:
        name = logical_id.lower()[:63]
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=name)
        return {"Ref": name, "Arn": f"arn:{PARTITION}:s3:::{name}"}

    def _role(self, stack: Stack, logical_id: str, props: Mapping[str, Any]) -> dict[str, str]:
        trust = json.dumps(self.resolve(stack, props["AssumeRolePolicyDocument"]))
        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName=logical_id[:64], AssumeRolePolicyDocument=trust
        )["Role"]
        return {"Ref": role["RoleName"], "Arn": role["Arn"], "RoleId": role["RoleId"]}

    def _key(self, stack: Stack, logical_id: str, props: Mapping[str, Any]) -> dict[str, str]:
        key = boto3.client("kms", region_name=REGION).create_key(Description=logical_id)["KeyMetadata"]
        return {"Ref": key["KeyId"], "Arn": key["Arn"], "KeyId": key["KeyId"]}

    def _function(self, stack: Stack, logical_id: str, props: Mapping[str, Any]) -> dict[str, str]:
        # The code is never run by moto (LambdaLayer runs the project's module); the environment is read from
        # the template at invocation, so that references to state machines that invoke it resolve lazily.
        role = self.resolve(stack, props["Role"])
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("index.py", "# run in-process by tests/gates/asl.py\n")
        function = boto3.client("lambda", region_name=REGION).create_function(
            FunctionName=logical_id[:64],
            Runtime=str(props.get("Runtime", "python3.12")),
            Role=role,
            Handler=str(props.get("Handler", "index.handler")),
            Code={"ZipFile": archive.getvalue()},
        )
        return {"Ref": function["FunctionName"], "Arn": function["FunctionArn"]}

    def _state_machine(self, stack: Stack, logical_id: str, props: Mapping[str, Any]) -> dict[str, str]:
        machine = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
            name=logical_id[:80],
            definition=self.definition(stack, logical_id),
            roleArn=self.resolve(stack, props["RoleArn"]),
            type=str(props.get("StateMachineType", "STANDARD")),
        )
        arn = machine["stateMachineArn"]
        return {"Ref": arn, "Arn": arn, "Name": logical_id[:80]}


_CREATORS: dict[str, Callable[[Deployment, Stack, str, Mapping[str, Any]], dict[str, str]]] = {
    "AWS::SNS::Topic": Deployment._topic,
    "AWS::S3::Bucket": Deployment._bucket,
    "AWS::IAM::Role": Deployment._role,
    "AWS::KMS::Key": Deployment._key,
    "AWS::Lambda::Function": Deployment._function,
    "AWS::StepFunctions::StateMachine": Deployment._state_machine,
}


# -------------------------------------------------------------------------------------------- Lambda


class FunctionEnviron(MutableMapping[str, str]):
    """``os.environ`` while an engine runs: the process environment, and on a thread that is running a Lambda
    function (:meth:`LambdaLayer.call`) that function's environment over it, as each function has its own.

    The variables are never written into the process environment: moto runs executions in threads, and botocore
    lists ``os.environ`` each time a client is created (``urllib.request.getproxies``); a variable that another
    thread removes between that listing and its read raises ``KeyError`` in whichever thread was creating the
    client (moto's Lambda task, the harness's, the test's). A function's variables are seen on its own thread
    only; a function called by a function (the provider framework's) sees both, its own over its caller's.
    """

    def __init__(self, process: MutableMapping[str, str]) -> None:
        self.process = process
        self._local = threading.local()

    def _layers(self) -> list[dict[str, str]]:
        layers: list[dict[str, str]] | None = getattr(self._local, "layers", None)
        if layers is None:
            layers = self._local.layers = []
        return layers

    @contextlib.contextmanager
    def function(self, variables: Mapping[str, Any]) -> Iterator[None]:
        """The environment of one invocation, on this thread, for the duration of the block."""
        layers = self._layers()
        layers.append({name: str(value) for name, value in variables.items()})
        try:
            yield
        finally:
            layers.pop()

    def _holder(self, name: str) -> MutableMapping[str, str]:
        return next((layer for layer in reversed(self._layers()) if name in layer), self.process)

    def __getitem__(self, name: str) -> str:
        return self._holder(name)[name]

    def __setitem__(self, name: str, value: str) -> None:
        self._holder(name)[name] = value

    def __delitem__(self, name: str) -> None:
        del self._holder(name)[name]

    def __iter__(self) -> Iterator[str]:
        names = dict.fromkeys(list(self.process))
        for layer in self._layers():
            names.update(dict.fromkeys(layer))
        return iter(list(names))

    def __len__(self) -> int:
        return len(list(iter(self)))

    def copy(self) -> dict[str, str]:
        return dict(self)


@dataclass
class Invocation:
    """One Lambda invocation the harness served: which function, its event and what it answered."""

    function: str
    handler: str
    event: Any
    result: Any = None
    error: str = ""


class FunctionErrorResult(Exception):
    """A function error as the Lambda runtime reports it (``errorType``, ``errorMessage``, trace)."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("errorMessage", ""))
        self.payload = payload


def _top_level_names(source: str) -> frozenset[str]:
    tree = ast.parse(source)
    return frozenset(
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    )


class _Retry(Exception):
    """framework.js's ``cfnResponse.Retry``: not complete yet, the waiter's Retry calls isComplete again."""


class LambdaLayer:
    """Serves moto's Lambda Invoke calls in-process with the function's code from the synthesized asset."""

    def __init__(self, engine: AslEngine) -> None:
        self.engine = engine
        self.invocations: list[Invocation] = []
        self._modules: dict[str, ModuleType] = {}

    def invoke(self, parameters: Mapping[str, Any], region: str, state_credentials: Any = None) -> dict[str, Any]:
        """Replacement of moto's ``lambda_eval_utils._invoke_lambda_function``: the same answer shape."""
        arn = str(parameters["FunctionName"])
        raw = parameters.get("Payload") or b"{}"
        event = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else str(raw))
        # The function must exist (moto answers ResourceNotFoundException otherwise, as Lambda does).
        boto3.client("lambda", region_name=region).get_function(FunctionName=arn)
        try:
            payload = self.call(arn, event)
        except FunctionErrorResult as error:
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": error.payload}
        return {"StatusCode": 200, "Payload": payload, "ExecutedVersion": "$LATEST"}

    def call(self, arn: str, event: Any) -> Any:
        """Run the function's code on ``event``; JSON in, JSON out; errors as :class:`FunctionErrorResult`."""
        stack, logical_id = self.engine.deployment.function_target(arn)
        props = stack.resources[logical_id]["Properties"]
        handler = str(props["Handler"])
        record = Invocation(function=logical_id, handler=handler, event=event)
        self.invocations.append(record)
        environment = self.engine.deployment.resolve(stack, props.get("Environment", {}).get("Variables", {}))
        try:
            with self.engine.environ.function(environment):
                if handler in FRAMEWORK_HANDLERS:
                    result = _FRAMEWORK[handler](self.engine, environment, event)
                else:
                    module_name, _, entry = handler.rpartition(".")
                    module = self._module(stack, props, module_name)
                    result = getattr(module, entry)(json.loads(json.dumps(event)), None)
            record.result = json.loads(json.dumps(result))
            return record.result
        except Exception as error:  # the runtime turns any exception into a function error
            record.error = f"{type(error).__name__}: {error}"
            error_type = "Error" if handler in FRAMEWORK_HANDLERS else type(error).__name__  # Node: error.name
            raise FunctionErrorResult(
                {
                    "errorMessage": str(error),
                    "errorType": error_type,
                    "stackTrace": traceback.format_exception(error)[-3:],
                }
            ) from error

    def count(self, handler: str, *, function_contains: str = "") -> int:
        return sum(1 for i in self.invocations if i.handler == handler and function_contains in i.function)

    def _module(self, stack: Stack, props: Mapping[str, Any], module_name: str) -> ModuleType:
        """The project's handler module whose code the function's asset holds: the same source, or (assets
        staged with docstrings and comments dropped) the same top-level functions and classes."""
        asset_hash = str(props["Code"]["S3Key"]).removesuffix(".zip")
        asset = stack.asset_root / f"asset.{asset_hash}" / f"{module_name}.py"
        source = asset.read_text(encoding="utf-8")
        candidates = sorted(LAMBDA_DIR.glob(f"*/{module_name}.py"))
        same = [c for c in candidates if c.read_text(encoding="utf-8") == source]
        if not same:
            shape = _top_level_names(source)
            same = [c for c in candidates if _top_level_names(c.read_text(encoding="utf-8")) == shape]
        if len(same) != 1:
            raise LookupError(f"{asset} matches {len(same)} of lambda/*/{module_name}.py: no code to run")
        return self.module(same[0].parent.name)

    def module(self, name: str) -> ModuleType:
        """The loaded handler module ``lambda/<name>`` (loaded on first use, clients bound)."""
        if name not in self._modules:
            self._modules[name] = load_handler(name)
            self.engine.bind(self._modules[name])
        return self._modules[name]


# ---------------------------------------------------------- the CDK provider framework (framework.js)


def _submit_response(engine: AslEngine, status: str, event: Mapping[str, Any], reason: str = "") -> None:
    """cfn-response.js ``submitResponse``: the body PUT to the pre-signed ResponseURL, recorded instead."""
    engine.cfn_responses.append(
        {
            "Status": status,
            "Reason": reason or status,
            "StackId": event.get("StackId"),
            "RequestId": event.get("RequestId"),
            "PhysicalResourceId": event.get("PhysicalResourceId")
            or "AWSCDK::CustomResourceProviderFramework::MISSING_PHYSICAL_ID",
            "LogicalResourceId": event.get("LogicalResourceId"),
            "Data": event.get("Data"),
        }
    )


def _safe_handler(
    block: Callable[[AslEngine, Mapping[str, Any], dict[str, Any]], None],
) -> Callable[[AslEngine, Mapping[str, Any], dict[str, Any]], None]:
    """cfn-response.js ``safeHandler``: any error but Retry becomes a FAILED response."""

    def handler(engine: AslEngine, environment: Mapping[str, Any], event: dict[str, Any]) -> None:
        failed_create = "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"
        if event.get("RequestType") == "Delete" and event.get("PhysicalResourceId") == failed_create:
            _submit_response(engine, "SUCCESS", event)
            return
        try:
            block(engine, environment, event)
        except _Retry:
            raise
        except Exception as error:
            if not event.get("PhysicalResourceId") and event.get("RequestType") == "Create":
                event["PhysicalResourceId"] = failed_create
            _submit_response(engine, "FAILED", event, reason=str(error))

    return handler


def _invoke_user_function(engine: AslEngine, arn: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """framework.js ``invokeUserFunction``: a function error becomes an Error naming the function's logs."""
    try:
        result = engine.lambdas.call(arn, dict(event))
    except FunctionErrorResult as error:
        name = arn.rsplit(":", maxsplit=1)[-1]
        raise RuntimeError(f"{error.payload.get('errorMessage') or 'error'}\n\nLogs: /aws/lambda/{name}\n") from error
    return dict(result or {})


def _on_event(engine: AslEngine, environment: Mapping[str, Any], event: dict[str, Any]) -> None:
    event.setdefault("ResourceProperties", {})
    result = _invoke_user_function(engine, str(environment["USER_ON_EVENT_FUNCTION_ARN"]), event)
    physical = result.get("PhysicalResourceId") or (
        event["RequestId"] if event["RequestType"] == "Create" else event["PhysicalResourceId"]
    )
    if event["RequestType"] == "Delete" and physical != event.get("PhysicalResourceId"):
        raise RuntimeError("DELETE: cannot change the physical resource ID during deletion")
    response = {**event, **result, "PhysicalResourceId": physical}
    if not environment.get("USER_IS_COMPLETE_FUNCTION_ARN"):
        _submit_response(engine, "SUCCESS", response)
        return
    boto3.client("stepfunctions", region_name=REGION).start_execution(
        stateMachineArn=str(environment["WAITER_STATE_MACHINE_ARN"]), input=json.dumps(response)
    )


def _is_complete(engine: AslEngine, environment: Mapping[str, Any], event: dict[str, Any]) -> None:
    result = _invoke_user_function(engine, str(environment["USER_IS_COMPLETE_FUNCTION_ARN"]), event)
    if not result.get("IsComplete"):
        if result.get("Data"):
            raise RuntimeError('"Data" is not allowed if "IsComplete" is "False"')
        raise _Retry(json.dumps(event))
    response = {**event, **result, "Data": {**(event.get("Data") or {}), **(result.get("Data") or {})}}
    _submit_response(engine, "SUCCESS", response)


def _on_timeout(engine: AslEngine, environment: Mapping[str, Any], event: dict[str, Any]) -> None:
    request = json.loads(json.loads(event["Cause"])["errorMessage"])
    _submit_response(engine, "FAILED", request, reason="Operation timed out")


_FRAMEWORK: dict[str, Callable[[AslEngine, Mapping[str, Any], dict[str, Any]], None]] = {
    "framework.onEvent": _safe_handler(_on_event),
    "framework.isComplete": _safe_handler(_is_complete),
    "framework.onTimeout": _on_timeout,
}


# -------------------------------------------------------------------------------------------- engine


@dataclass
class Execution:
    """A finished execution: its status, output or error and cause, and its history."""

    arn: str
    status: str
    output: Any
    error: str
    cause: str
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def states_entered(self) -> list[str]:
        return [e["stateEnteredEventDetails"]["name"] for e in self.events if "stateEnteredEventDetails" in e]

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == event_type]

    def state_output(self, name: str) -> Any:
        """The output of the last time state ``name`` was exited."""
        exits = [e for e in self.events if e.get("stateExitedEventDetails", {}).get("name") == name]
        assert exits, f"state {name} was never exited; entered: {self.states_entered}"
        return json.loads(exits[-1]["stateExitedEventDetails"]["output"])

    def task_errors(self) -> list[tuple[str, str]]:
        """(error, cause) of every failed task attempt (service integrations and Lambda function tasks)."""
        errors = []
        for event in self.events:
            details = event.get("taskFailedEventDetails") or event.get("lambdaFunctionFailedEventDetails")
            if details is not None:
                errors.append((str(details.get("error", "")), str(details.get("cause", ""))))
        return errors


def _parse_once(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """moto parses a definition (ANTLR, in Python: slow) when the state machine is created, only to validate
    it, and again when an execution starts; hand the program parsed at creation to the first execution.
    A program is never handed out twice (each execution after the first gets a fresh parse)."""
    parsed: dict[str, Any] = {}

    def parse_once(definition: str) -> Any:
        if definition in parsed:
            return parsed.pop(definition)
        parsed[definition] = parse(definition)
        return parsed[definition]

    return parse_once


class AslEngine:
    """moto with Step Functions execution on, the harness's integrations registered and time recorded."""

    def __init__(self, stacks: Mapping[str, Stack], monkeypatch: pytest.MonkeyPatch) -> None:
        self.deployment = Deployment(stacks)
        self.clock = Clock()
        self.jobs = BedrockJobs()
        self.lambdas = LambdaLayer(self)
        self.cfn_responses: list[dict[str, Any]] = []
        self.bedrock_stub_client: Any = None
        self.environ = FunctionEnviron(os.environ)
        self._patch(monkeypatch)

    def bind(self, module: ModuleType) -> None:
        bind_handler(module, bedrock=self.bedrock_stub_client, sleep=self.clock.sleep)

    def _patch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = moto_state_task_service_for
        BedrockCustomizationTask.jobs = self.jobs

        def service_for(service_name: str) -> Any:
            return BedrockCustomizationTask() if service_name == "bedrock" else original(service_name)

        monkeypatch.setattr(state_task_factory, "state_task_service_for", service_for)
        monkeypatch.setattr(lambda_eval_utils, "_invoke_lambda_function", self.lambdas.invoke)
        monkeypatch.setattr(os, "environ", self.environ)
        sdk_client_for = boto_client_for  # the function the AWS SDK integration module imported

        def aws_sdk_client(service: str, region: str, state_credentials: Any = None) -> Any:
            if service == "bedrock":  # batch inference: answered by InvocationJobs, with the fault injector
                client = self.jobs.client(region)
                client.meta.events.register("provide-client-params.bedrock.*", _sdk_member_names)
                client.meta.events.register("after-call.bedrock.*", _sdk_pascal_case)
                return client
            return sdk_client_for(service=service, region=region, state_credentials=state_credentials)

        monkeypatch.setattr(state_task_service_aws_sdk, "boto_client_for", aws_sdk_client)
        # SDK integration errors are named `<service in PascalCase>.<exception>` (Bedrock.ThrottlingException);
        # moto's table knows only a few services' PascalCase names.
        monkeypatch.setitem(state_task_service_aws_sdk._SERVICE_ERROR_NAMES, "bedrock", "Bedrock")
        parse_once = _parse_once(AmazonStateLanguageParser.parse)
        monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(parse_once))
        monkeypatch.setattr(retrier_decl, "time", self.clock.as_time_module())
        monkeypatch.setattr(state_task_service_callback, "time", self.clock.as_time_module())
        monkeypatch.setattr(
            WaitFunction, "_wait_interval", lambda _self, env, wait_seconds: self.clock.sleep(wait_seconds)
        )

    def state_machine(self, stack_name: str, logical_id: str) -> str:
        """Create the state machine in moto (its tokens replaced) and return its ARN."""
        return self.deployment.resolve(self.deployment.stack(stack_name), {"Ref": logical_id})  # type: ignore[no-any-return]

    def start(self, state_machine_arn: str, execution_input: Mapping[str, Any], name: str | None = None) -> str:
        sfn = boto3.client("stepfunctions", region_name=REGION)
        kwargs: dict[str, Any] = {"stateMachineArn": state_machine_arn, "input": json.dumps(execution_input)}
        if name:
            kwargs["name"] = name
        return str(sfn.start_execution(**kwargs)["executionArn"])

    def run(self, state_machine_arn: str, execution_input: Mapping[str, Any], name: str | None = None) -> Execution:
        """Start an execution and wait (in real time: moto runs it in threads) until it ends."""
        return self.wait(self.start(state_machine_arn, execution_input, name))

    def executions(self, state_machine_arn: str) -> list[str]:
        sfn = boto3.client("stepfunctions", region_name=REGION)
        return [e["executionArn"] for e in sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]]

    def wait(self, execution_arn: str, timeout: float = 20.0, limit: float = 300.0) -> Execution:
        """The execution once it has ended. ``timeout`` (real seconds) bounds the time without progress (no new
        history event), ``limit`` the whole wait: on a loaded machine an execution that progresses can take
        longer than ``timeout`` (the provider waiter's 37 attempts). One that does not end is stopped before
        :class:`TimeoutError` is raised, so that it cannot run on into the next test's engine (after this engine,
        moto's retrier sleeps for real, then calls whichever harness is patched in)."""
        sfn = boto3.client("stepfunctions", region_name=REGION)
        start = time.monotonic()
        deadline, progress = start + timeout, 0
        while True:
            described = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                break
            now = time.monotonic()
            if now > deadline:
                events = len(sfn.get_execution_history(executionArn=execution_arn)["events"])
                if events <= progress or now - start > limit:
                    sfn.stop_execution(executionArn=execution_arn, error="Harness.Timeout")
                    raise TimeoutError(
                        f"{execution_arn} still RUNNING after {now - start:.0f} s ({events} history events; "
                        f"none in the last {timeout} s, or over {limit} s in all): stopped"
                    )
                deadline, progress = now + timeout, events
            time.sleep(0.005)
        events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        return Execution(
            arn=execution_arn,
            status=described["status"],
            output=json.loads(described["output"]) if described.get("output") else None,
            error=str(described.get("error", "")),
            cause=str(described.get("cause", "")),
            events=events,
        )

    def send_cfn_request(
        self, stack_name: str, logical_id: str, request_type: str, physical_resource_id: str = ""
    ) -> dict[str, Any]:
        """What CloudFormation does for a custom resource: invoke its ServiceToken (the provider framework's
        onEvent) with a request event; the framework starts the waiter state machine if there is one."""
        stack = self.deployment.stack(stack_name)
        resource = stack.resources[logical_id]
        properties = self.deployment.resolve(stack, resource["Properties"])
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": properties["ServiceToken"],
            "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/presigned",
            "StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/{stack_name}/{uuid.uuid4()}",
            "RequestId": str(uuid.uuid4()),
            "LogicalResourceId": logical_id,
            "ResourceType": resource["Type"],
            "ResourceProperties": properties,
        }
        if physical_resource_id:
            event["PhysicalResourceId"] = physical_resource_id
        with contextlib.suppress(FunctionErrorResult):  # framework errors end as FAILED responses anyway
            self.lambdas.call(str(properties["ServiceToken"]), event)
        return event


def subscribe_queue(topic_arn: str) -> Callable[[], list[dict[str, Any]]]:
    """Subscribe a new SQS queue to the topic; the returned function drains the notifications it received."""
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName=f"gate-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns", region_name=REGION).subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def drain() -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return messages
            messages.extend(json.loads(m["Body"]) for m in batch)

    return drain


@contextlib.contextmanager
def asl_engine(stacks: Mapping[str, Stack], monkeypatch: pytest.MonkeyPatch) -> Iterator[AslEngine]:
    """moto (Step Functions executing state machines) with fake credentials, and the harness patched in."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield AslEngine(stacks, monkeypatch)
