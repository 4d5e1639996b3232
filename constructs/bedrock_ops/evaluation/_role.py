"""What the service role of automatic and LLM-as-a-judge evaluation jobs is granted beyond its bucket prefixes:
the models it runs (directly and through batch inference) and the output uploads. One implementation for
:class:`ModelEvaluation` and :class:`EvaluationGate`; the role itself is :class:`BedrockServiceRole` (evaluation
type, with its confused-deputy conditions)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from bedrock_ops._core import nag
from bedrock_ops.evaluation.types import EvaluationKind
from bedrock_ops.roles.service_role import BedrockServiceRole
from bedrock_ops.roles.service_role import invoke_arns as _invoke_arns
from constructs import Construct


def allow_evaluation_models(
    scope: Construct, service_role: BedrockServiceRole, kind: EvaluationKind, identifiers: Sequence[str]
) -> list[str]:
    """Let the role invoke the evaluated and evaluator models (``identifiers``: ids, ARNs, ARN patterns or
    tokens); automatic and judge jobs also run them through batch inference. Returns the ARNs granted."""
    arns: list[str] = []
    for identifier in identifiers:
        for arn in _invoke_arns(Stack.of(scope), identifier):
            if arn not in arns:
                arns.append(arn)
    if not arns:  # a human job on precomputed responses only invokes no model
        return arns
    service_role.allow_invoke_models(*arns)
    if kind is not EvaluationKind.HUMAN:
        _allow_batch_inference(scope, service_role, arns)
    policy = service_role.role.node.try_find_child("DefaultPolicy")
    assert policy is not None
    for arn in arns:
        if ":*::foundation-model/" in arn:
            nag.acknowledge(
                policy,
                nag.iam5_resource_finding(scope, arn),
                "A cross-Region inference profile routes requests to the same foundation model in any "
                "Region of its geography; the Region is the only wildcard, the model is named.",
            )
    return arns


def _allow_batch_inference(scope: Construct, service_role: BedrockServiceRole, model_arns: Sequence[str]) -> None:
    """Automatic and judge jobs run the models through batch inference and look them up: the user guide's
    service role pages for these jobs (``service_role_requirements.json``, evaluation-automatic and
    evaluation-judge) list these actions besides ``bedrock:InvokeModel``."""
    stack = Stack.of(scope)
    role = service_role.role

    def arn(resource: str) -> str:
        return stack.format_arn(
            service="bedrock", resource=resource, resource_name="*", arn_format=ArnFormat.SLASH_RESOURCE_NAME
        )

    invocation_jobs = arn("model-invocation-job")
    lookups = {
        "bedrock:GetProvisionedModelThroughput": [arn("provisioned-model")],
        "bedrock:GetInferenceProfile": [arn("inference-profile"), arn("application-inference-profile")],
        "bedrock:GetImportedModel": [arn("imported-model")],
        "bedrock:GetPromptRouter": [arn("prompt-router"), arn("default-prompt-router")],
    }
    # CreateModelInvocationJob applies to foundation models (and the jobs), not to provisioned, imported or
    # other model ARNs (Service Authorization Reference): only the foundation models are named for it.
    foundation = [a for a in model_arns if ":foundation-model/" in a or (Token.is_unresolved(a) and ":" not in a)]
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="StreamAndBatchInvokeTheEvaluatedModels",
            actions=[
                "bedrock:InvokeModelWithResponseStream",
                *(["bedrock:CreateModelInvocationJob"] if foundation == list(model_arns) else []),
            ],
            resources=list(model_arns),
        )
    )
    if foundation and foundation != list(model_arns):
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="BatchInvokeTheEvaluatedFoundationModels",
                actions=["bedrock:CreateModelInvocationJob"],
                resources=foundation,
            )
        )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="RunTheEvaluationsBatchInferenceJobs",
            actions=["bedrock:CreateModelInvocationJob", "bedrock:StopModelInvocationJob"],
            resources=[invocation_jobs],
        )
    )
    for action, resources in lookups.items():
        role.add_to_principal_policy(iam.PolicyStatement(actions=[action], resources=resources))
    role.add_to_principal_policy(
        iam.PolicyStatement(sid="ListInferenceProfiles", actions=["bedrock:ListInferenceProfiles"], resources=["*"])
    )
    policy = role.node.try_find_child("DefaultPolicy")
    assert policy is not None
    nag.acknowledge(
        policy,
        nag.iam5_resource_finding(scope, invocation_jobs),
        "Bedrock names the batch inference jobs an evaluation runs at run time; creating and stopping them is "
        "limited to model-invocation-job/* of this account and Region.",
    )
    for resource in (r for resources in lookups.values() for r in resources):
        nag.acknowledge(
            policy,
            nag.iam5_resource_finding(scope, resource),
            "Read-only lookups (Get*) the evaluation makes on the model it runs; the user guide's evaluation "
            "service role lists them, scoped here to this account and Region.",
        )
    nag.acknowledge(
        policy,
        "AwsSolutions-IAM5[Resource::*]",
        "bedrock:ListInferenceProfiles supports no resource type (Service Authorization Reference): it is "
        "granted on '*' alone, as the user guide's evaluation service role lists it.",
    )


def allow_output_uploads(service_role: BedrockServiceRole, bucket: s3.IBucket, results_prefix: str) -> None:
    """Beyond the bucket's evaluation grants, the user guide's output statement for evaluation jobs
    lists s3:GetBucketLocation, s3:ListBucketMultipartUploads and s3:AbortMultipartUpload."""
    service_role.role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="EvaluationOutputMultipartUploads",
            actions=["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
            resources=[bucket.bucket_arn],
        )
    )
    service_role.role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="EvaluationOutputAbortUploads",
            actions=["s3:AbortMultipartUpload"],
            resources=[bucket.arn_for_objects(f"{results_prefix}*")],
        )
    )
