"""The customization workflow's state machine: [validate dataset] -> createModelCustomizationJob.sync ->
describe job -> completed? -> [success hooks] -> [promote behind the stable endpoint] -> notify, or notify the
failure and fail.

State names and JSON paths are what the Step Functions engine gate (tests/gates) and the handlers read: keep them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from bedrock_ops._core import nag
from bedrock_ops._core.validation_step import validation_states
from bedrock_ops.customization._permissions import grant_sync_task
from bedrock_ops.data.kms import BedrockKmsKey
from bedrock_ops.models.ids import ModelReference

if TYPE_CHECKING:
    from bedrock_ops.customization.workflow import ModelCustomizationWorkflow
    from bedrock_ops.serving.stable_endpoint import StableEndpoint

__all__ = ["SYNC_RESOURCE", "build_state_machine"]

SYNC_RESOURCE = "arn:{partition}:states:::bedrock:createModelCustomizationJob.sync"


def build_state_machine(
    workflow: ModelCustomizationWorkflow,
    *,
    request: dict[str, Any],
    status_fn: lambda_.IFunction,
    dataset_validator: lambda_.IFunction | None,
    validator_payload: dict[str, Any],
    success_hooks: Sequence[sfn.IChainable],
    serving: StableEndpoint | None,
    base_model_id: str,
    teacher: ModelReference | None,
    custom_model_key: BedrockKmsKey | None,
    timeout: Duration,
) -> sfn.StateMachine:
    stack = Stack.of(workflow)
    init = sfn.Pass(
        workflow,
        "Start",
        comment="No error yet: the describe step reads $.error on both paths",
        result=sfn.Result.from_object({}),
        result_path="$.error",
    )
    create_job = sfn.CustomState(
        workflow,
        "CreateJob",
        state_json={
            "Type": "Task",
            "Comment": "Create the customization job and wait for it (.sync)",
            "Resource": SYNC_RESOURCE.format(partition=stack.partition),
            "Parameters": request,
            "ResultPath": "$.job",
        },
    )
    describe = tasks.LambdaInvoke(
        workflow,
        "DescribeJobResult",
        lambda_function=status_fn,
        payload=sfn.TaskInput.from_object(
            {
                "jobName.$": "$.jobName",
                "customModelName.$": "$.customModelName",
                "error.$": "$.error",
            }
        ),
        payload_response_only=True,
        result_path="$.report",
    )
    # Throttling happens on the create call, before a job exists: retrying cannot start a second job.
    create_job.add_retry(
        errors=["Bedrock.ThrottlingException"],
        interval=Duration.seconds(30),
        max_attempts=4,
        backoff_rate=2,
    )
    create_job.add_catch(describe, errors=["States.ALL"], result_path="$.error")
    notify_success = tasks.SnsPublish(
        workflow,
        "NotifySuccess",
        topic=workflow.topic,
        subject=sfn.JsonPath.string_at("$.report.subject"),
        message=sfn.TaskInput.from_json_path_at("$.report.message"),
        result_path=sfn.JsonPath.DISCARD,
    )
    notify_failure = tasks.SnsPublish(
        workflow,
        "NotifyFailure",
        topic=workflow.topic,
        subject=sfn.JsonPath.string_at("$.report.subject"),
        message=sfn.TaskInput.from_json_path_at("$.report.message"),
        result_path=sfn.JsonPath.DISCARD,
    )
    failed = sfn.Fail(
        workflow,
        "CustomizationFailed",
        error="CustomizationFailed",
        cause_path="$.report.failureMessage",
    )
    # After a successful job: the hooks, then (with serving) the promotion behind the stable endpoint, then notify.
    steps: list[sfn.IChainable] = list(success_hooks)
    if serving is not None:
        steps.append(serving.promotion_chain(workflow, "Serving", model_arn_path="$.report.customModelArn"))
    success_chain: sfn.IChainable = notify_success
    if steps:
        chain = sfn.Chain.start(steps[0])
        for step in steps[1:]:
            chain = chain.next(step)
        success_chain = chain.next(notify_success)
    completed = (
        sfn.Choice(workflow, "JobCompleted", comment="Did Bedrock complete the job?")
        .when(sfn.Condition.boolean_equals("$.report.succeeded", True), success_chain)
        .otherwise(notify_failure.next(failed))
    )
    if dataset_validator is not None:
        validate, invalid = validation_states(
            workflow,
            task_id="ValidateDataset",
            invalid_id="DatasetInvalid",
            function_arn=dataset_validator.function_arn,
            parameters=validator_payload,
            comment="Validate the training data (dataset validator Lambda)",
            invalid_comment="The validator's report becomes the failure reason",
            on_error=describe,
        )
        dataset_ok = (
            sfn.Choice(workflow, "DatasetValid", comment="Did the dataset pass validation?")
            .when(
                sfn.Condition.or_(
                    sfn.Condition.and_(
                        sfn.Condition.is_present("$.validation.valid"),
                        sfn.Condition.boolean_equals("$.validation.valid", False),
                    ),
                    sfn.Condition.and_(
                        sfn.Condition.is_present("$.validation.status"),
                        sfn.Condition.or_(
                            sfn.Condition.string_equals("$.validation.status", "failed"),
                            sfn.Condition.string_equals("$.validation.status", "missing"),
                        ),
                    ),
                ),
                invalid,
            )
            .otherwise(create_job)
        )
        init.next(validate).next(dataset_ok)
    else:
        init.next(create_job)
    create_job.next(describe).next(completed)

    log_group = logs.LogGroup(
        workflow, "Logs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.DESTROY
    )
    machine = sfn.StateMachine(
        workflow,
        "StateMachine",
        definition_body=sfn.DefinitionBody.from_chainable(init),
        state_machine_type=sfn.StateMachineType.STANDARD,
        timeout=timeout,
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        comment="Runs a Bedrock model customization job and reports its outcome",
    )
    grant_sync_task(workflow, machine, base_model_id, teacher, custom_model_key)
    if serving is not None:
        serving.release_candidate_on_stop(machine)
    if dataset_validator is not None:
        machine.add_to_role_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[dataset_validator.function_arn])
        )
    nag.acknowledge(
        machine,
        nag.iam5_resource_finding(workflow, f"{status_fn.function_arn}:*"),
        "Step Functions' LambdaInvoke grants invoke on the function's versions and "
        "aliases (<arn>:*) of this one function",
    )
    return machine
