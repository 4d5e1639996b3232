"""IAM of the customization workflow: the state machine's ``.sync`` task, the service role's teacher access,
the triggers and the describe function."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_cdk import ArnFormat, Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn

from bedrock_ops._core import nag
from bedrock_ops.data.kms import BedrockKmsKey
from bedrock_ops.data.training_bucket import TrainingDataBucketBase
from bedrock_ops.models.ids import ModelReference, ReferenceKind
from bedrock_ops.roles.service_role import invoke_arns
from constructs import Construct

if TYPE_CHECKING:
    from bedrock_ops.customization.workflow import ModelCustomizationWorkflow

__all__ = ["grant_job_read", "grant_sync_task", "grant_trigger"]


def grant_sync_task(
    workflow: ModelCustomizationWorkflow,
    machine: sfn.StateMachine,
    base_model_id: str,
    teacher: ModelReference | None,
    custom_model_key: BedrockKmsKey | None,
) -> None:
    """IAM for ``createModelCustomizationJob.sync`` (Step Functions polls and may stop the job).

    ``bedrock:CreateModelCustomizationJob`` is granted on the foundation model the request names
    (``base_model_id``, the documented context variant) and on the teacher's foundation model (an inference
    profile teacher is authorized through its model: the Service Authorization Reference lists
    foundation-model and custom-model for the action, not inference-profile)."""
    stack = Stack.of(workflow)
    model_ids = {base_model_id}
    if teacher is not None:
        if teacher.model_id is not None:
            model_ids.add(teacher.model_id)
        if teacher.kind is ReferenceKind.INFERENCE_PROFILE:
            _allow_profile_teacher(workflow, teacher.text)
    foundation_arns = [
        stack.format_arn(service="bedrock", resource="foundation-model", resource_name=m, account="")
        for m in sorted(model_ids)
    ]
    job_arn = stack.format_arn(service="bedrock", resource="model-customization-job", resource_name="*")
    model_arn = stack.format_arn(service="bedrock", resource="custom-model", resource_name="*")
    machine.add_to_role_policy(
        iam.PolicyStatement(
            actions=["bedrock:CreateModelCustomizationJob", "bedrock:TagResource"],
            resources=[*foundation_arns, job_arn, model_arn],
        )
    )
    machine.add_to_role_policy(
        iam.PolicyStatement(
            actions=["bedrock:GetModelCustomizationJob", "bedrock:StopModelCustomizationJob"],
            resources=[job_arn],
        )
    )
    workflow.service_role.grant_pass_role(machine)
    if custom_model_key is not None:
        custom_model_key.grant_bedrock_use(machine)
    workflow.topic.grant_publish(machine)
    if workflow.topic.master_key is not None:
        nag.acknowledge(
            machine,
            "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            "publishing to the KMS-encrypted notification topic needs kms:GenerateDataKey* "
            "on that topic's key only (CDK's grant_publish)",
        )
    for arn, what in ((job_arn, "customization job"), (model_arn, "custom model")):
        nag.acknowledge(
            machine,
            nag.iam5_resource_finding(workflow, arn),
            f"{what} ARNs end in a Bedrock-generated id unknown until the job runs; the .sync "
            "integration creates, polls and (on abort) stops jobs of this account and Region only",
        )
    nag.acknowledge(
        machine,
        "AwsSolutions-IAM5[Resource::*]",
        "X-Ray tracing and CloudWatch Logs delivery for Step Functions need resource '*' "
        "(xray:PutTraceSegments, logs:CreateLogDelivery and related APIs are not resource-scoped)",
    )


def _allow_profile_teacher(workflow: ModelCustomizationWorkflow, teacher_model_id: str) -> None:
    """A cross-Region inference profile teacher: the service role must be able to invoke the profile and
    its foundation model in each Region the profile routes to (user guide, prequisites-model-distillation;
    ``service_role_requirements.json``, distillation-inference-profile-teacher)."""
    arns = invoke_arns(Stack.of(workflow), teacher_model_id)
    workflow.service_role.allow_invoke_models(*arns)
    policy = workflow.service_role.role.node.try_find_child("DefaultPolicy")
    assert policy is not None
    for arn in arns:
        if ":*::foundation-model/" in arn:
            nag.acknowledge(
                policy,
                nag.iam5_resource_finding(workflow, arn),
                "The teacher is a cross-Region inference profile: Bedrock invokes its foundation model in any "
                "Region of the profile's geography; the Region is the only wildcard, the model is named.",
            )


def grant_job_read(workflow: ModelCustomizationWorkflow, grantee: iam.IGrantable) -> None:
    stack = Stack.of(workflow)
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["bedrock:GetModelCustomizationJob"],
            resources=[stack.format_arn(service="bedrock", resource="model-customization-job", resource_name="*")],
        )
    )
    if isinstance(grantee, Construct):
        nag.acknowledge(
            grantee,
            nag.iam5_resource_finding(
                workflow,
                stack.format_arn(service="bedrock", resource="model-customization-job", resource_name="*"),
            ),
            "customization job ARNs end in a Bedrock-generated id unknown until the job exists",
        )


def grant_trigger(
    workflow: ModelCustomizationWorkflow, role: iam.IRole, bucket: TrainingDataBucketBase, data_keys: list[str]
) -> None:
    """What a trigger needs: start and look up executions, read the data's ETags, look up jobs."""
    stack = Stack.of(workflow)
    workflow.state_machine.grant_start_execution(role)
    workflow.state_machine.grant_execution(role, "states:DescribeExecution")
    object_arns = [bucket.bucket.arn_for_objects(k) for k in data_keys]
    role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=object_arns))
    role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket.bucket_arn]))
    job_arn = stack.format_arn(service="bedrock", resource="model-customization-job", resource_name="*")
    role.add_to_principal_policy(iam.PolicyStatement(actions=["bedrock:GetModelCustomizationJob"], resources=[job_arn]))
    nag.acknowledge(
        role,
        _finding_with_intrinsics(
            workflow,
            stack.format_arn(
                service="states",
                resource="execution",
                # as grant_execution writes it: the name split out of the ARN
                resource_name=f"{Fn.select(6, Fn.split(':', workflow.state_machine.state_machine_arn))}:*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            ),
        ),
        "the trigger looks up executions of this one state machine by name "
        "(states:DescribeExecution); execution names are the hash-suffixed job names",
    )
    nag.acknowledge(
        role,
        nag.iam5_resource_finding(workflow, job_arn),
        "customization job ARNs end in a Bedrock-generated id unknown until the job runs; the trigger "
        "only reads jobs of this account and Region (bedrock:GetModelCustomizationJob)",
    )


def _finding_with_intrinsics(scope: Construct, arn: str) -> str:
    """The IAM5 finding id of an ARN holding intrinsics other than Ref/GetAtt (e.g. the Fn::Select of a
    state machine's name), which cdk-nag prints as compact JSON."""

    def render(value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "Ref" in value:
            return f"<{value['Ref']}>"
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return f"<{value['Fn::GetAtt'][0]}.{value['Fn::GetAtt'][1]}>"
        if isinstance(value, dict) and "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return str(separator).join(render(part) for part in parts)
        return json.dumps(value, separators=(",", ":"))

    return f"AwsSolutions-IAM5[Resource::{render(Stack.of(scope).resolve(arn))}]"
