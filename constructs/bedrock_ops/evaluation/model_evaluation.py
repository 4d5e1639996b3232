"""Amazon Bedrock model evaluation jobs as a construct: automatic, LLM-as-a-judge and human evaluation.

CloudFormation has no resource for evaluation jobs. :class:`ModelEvaluation` starts one from a custom
resource that returns at once (jobs run for minutes to days), and reports the outcome on an SNS topic: a
scheduled poller checks the job, because Bedrock emits no EventBridge event for evaluation jobs (its user
guide lists state-change events only for model customization and batch inference jobs).

The request is built and validated at synth time against the ``CreateEvaluationJob`` API (botocore model
``bedrock`` 2023-04-20): field names, list sizes, name patterns, and the rules the API documents in prose
(built-in datasets only for automatic jobs, metric names per kind of job, human metric names matching the
dataset's metric names, custom models evaluated through their provisioned throughput), and against the model
knowledge base: which models may judge (``evaluation.judge``), and per task type of automatic jobs the metrics it
offers and the built-in datasets each is computed on (``evaluation_tasks``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, ArnFormat, Duration, Names, Stack, Token
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from bedrock_ops._core import nag
from bedrock_ops._core.functions import HandlerFunction
from bedrock_ops._core.providers import singleton_provider
from bedrock_ops._core.sequences import require_list
from bedrock_ops.data.kms import use_aws_managed_topic_key
from bedrock_ops.data.training_bucket import DataBucketLike, data_bucket_of
from bedrock_ops.evaluation._request import (
    _check_evaluator,
    _check_models,
    _dataset_config,
    _dataset_configs,
    _human_config,
    _judge_config,
    evaluation_request,
)
from bedrock_ops.evaluation._role import allow_evaluation_models, allow_output_uploads
from bedrock_ops.evaluation.types import (
    _JOB_NAME_PREFIX_MAX,
    _JOB_NAME_RE,
    AUTOMATIC_METRICS,
    HUMAN_EVALUATION_PORTAL_ORIGIN,
    JUDGE_METRICS,
    BuiltinDataset,
    EvaluationDataset,
    EvaluationKind,
    EvaluationTaskType,
    HumanMetric,
    HumanRatingMethod,
    JudgeMetric,
    PrecomputedResponses,
)
from bedrock_ops.models.knowledge import load_models
from bedrock_ops.models.queries import evaluation_tasks
from bedrock_ops.roles.service_role import BedrockJobType, BedrockServiceRole
from bedrock_ops.roles.service_role import invoke_arns as _invoke_arns
from constructs import Construct

__all__ = [
    "AUTOMATIC_METRICS",
    "JUDGE_METRICS",
    "BuiltinDataset",
    "EvaluationDataset",
    "EvaluationKind",
    "EvaluationTaskType",
    "HumanMetric",
    "HumanRatingMethod",
    "JudgeMetric",
    "ModelEvaluation",
    "PrecomputedResponses",
    "check_evaluation",
]


class ModelEvaluation(Construct):
    """An Amazon Bedrock model evaluation job, started when the stack deploys, its outcome sent to SNS.

    The kind of job follows from the props: ``flow_definition_arn`` makes a human evaluation,
    ``evaluator_model`` an LLM-as-a-judge evaluation, neither an automatic one.

    - a service role (:class:`BedrockServiceRole`, evaluation type: trusted only for this account's
      ``evaluation-job/*``) that reads the bucket's evaluation prefix, writes ``<evaluation prefix>results/``
      and may invoke exactly the evaluated and evaluator models;
    - a custom resource (one provider per stack) that starts the job and returns at once; any change
      of the props starts a new job, removing the resource stops a job still running (results stay in S3);
    - an EventBridge schedule that asks Bedrock for the job's state and, when it has ended, publishes
      ``{jobArn, jobName, status, outputS3Uri, failureMessages}`` to :attr:`topic` and disables itself.

    Example::

        ModelEvaluation(
            self, "SummaryEval",
            data_bucket=data,
            models=["amazon.titan-text-express-v1"],
            datasets=[EvaluationDataset(builtin=BuiltinDataset.GIGAWORD,
                                        task_type=EvaluationTaskType.SUMMARIZATION)],
        )
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        data_bucket: DataBucketLike,
        models: Sequence[str | PrecomputedResponses],
        datasets: Sequence[EvaluationDataset],
        data_bucket_key: kms.IKey | None = None,
        evaluator_model: str | None = None,
        flow_definition_arn: str | None = None,
        human_metrics: Sequence[HumanMetric] = (),
        human_instructions: str | None = None,
        judge_metrics: Sequence[JudgeMetric] = (),
        models_file: str | Path | None = None,
        inference_params: Mapping[str, Any] | None = None,
        job_name: str | None = None,
        description: str | None = None,
        topic: sns.ITopic | None = None,
        poll_interval: Duration = Duration.minutes(15),
        run_id: str | None = None,
    ) -> None:
        """
        :param data_bucket: where prompt datasets (``key``) are read and results written
            (``<evaluation prefix>results/<job name>/``). Keep the evaluation in the bucket's stack: the bucket
            acknowledges its prefix-wildcard grants (cdk-nag IAM5) for grantees of its own stack only.
            A ``TrainingDataBucket``, ``TrainingDataBucket.from_bucket_name/from_bucket_attributes(...)`` or any
            ``s3.IBucket`` (with the default prefixes, ``DataPrefixes()``).
            A human job on a bucket created elsewhere needs the portal's CORS rule set on that bucket.
        :param data_bucket_key: the KMS key of an ``s3.IBucket`` ``data_bucket`` (default: the bucket's own
            ``encryption_key``; none for ``s3.Bucket.from_bucket_name``: SSE-S3).
        :param models: what is evaluated: a base model id or foundation-model ARN, a provisioned throughput
            ARN (how a custom model is evaluated: the API does not take custom-model ARNs), an inference
            profile id or ARN; or :class:`PrecomputedResponses` (judge and human jobs) for responses you
            computed yourself. One for automatic and judge jobs, one or two for human jobs.
        :param datasets: 1-5 prompt datasets.
        :param evaluator_model: the judge: a model on the documented evaluator list (knowledge base
            ``evaluation.judge``; :func:`bedrock_ops.models.judges`), by id, foundation-model ARN or system
            inference profile id or ARN; makes this an LLM-as-a-judge job (default: none).
        :param flow_definition_arn: the SageMaker flow definition (work team and worker task template) that
            routes prompts to human workers; makes this a human job (default: none). CloudFormation cannot
            create flow definitions: create it in the Bedrock console or with the SageMaker API.
        :param human_metrics: 1-10 metrics for human jobs (default: none).
        :param human_instructions: instructions shown to workers, 1-5000 characters (default: none).
        :param judge_metrics: 1-10 metrics of your own for LLM-as-a-judge jobs, rated by
            ``evaluator_model`` (default: none, only built-in metrics).
        :param models_file: a models file merged over the packaged knowledge base, which model ids, judges,
            task types, metrics and built-in datasets are checked against (default: none).
        :param inference_params: the evaluated models' inference parameters, e.g.
            ``{"inferenceConfig": {"maxTokens": 512, "temperature": 0}}`` (default: the model's defaults);
            at most 1023 characters as JSON.
        :param job_name: the job name prefix, lowercase letters, digits and hyphens, at most 54 characters;
            each job gets ``-<8 hex>`` appended (default: derived from the construct path).
        :param description: the job description, 1-200 characters (default: none).
        :param topic: where the outcome is published (default: a new topic encrypted with the bucket's key, or
            with SNS's AWS managed key when the bucket has none).
            A topic of yours with a KMS key needs ``kms:Decrypt``/``kms:GenerateDataKey`` granted to the
            stack's ``BedrockOpsEvaluationPoller`` function.
        :param poll_interval: how often the job's state is checked, 1 minute-1 day (default: 15 minutes).
        :param run_id: any string; changing it starts a new job with the same settings (default: none).
        """
        super().__init__(scope, id)
        self.data_bucket = data_bucket = data_bucket_of(data_bucket, encryption_key=data_bucket_key)
        self.kind = check_evaluation(
            models=models,
            datasets=datasets,
            evaluator_model=evaluator_model,
            flow_definition_arn=flow_definition_arn,
            human_metrics=human_metrics,
            human_instructions=human_instructions,
            judge_metrics=judge_metrics,
            models_file=models_file,
        )
        self.job_name_prefix = _job_name_prefix(job_name, self)
        self.output_s3_uri = data_bucket.s3_uri(f"{data_bucket.evaluation_prefix}results/", f"{self.job_name_prefix}/")
        if description is not None and not 1 <= len(description) <= 200:
            raise ValueError(f"description must be 1-200 characters, got {len(description)}")
        _check_poll_interval(poll_interval)

        self.service_role = BedrockServiceRole(
            self,
            "ServiceRole",
            job_type=BedrockJobType.EVALUATION,
            data_bucket=data_bucket,
            description=f"Amazon Bedrock evaluation jobs {self.job_name_prefix}-*",
        )
        dataset_configs = _dataset_configs(
            self.kind, datasets, data_bucket, human_metrics, judge_metrics, models_file=models_file
        )
        if self.kind is EvaluationKind.HUMAN:
            assert flow_definition_arn is not None
            self._allow_human_loops(flow_definition_arn)
            # The annotation portal shows prompts and responses from the output bucket (user guide, CORS
            # permissions for human-based model evaluation jobs).
            self._allow_portal_reads()
        self.request: dict[str, Any] = evaluation_request(
            self.kind,
            models=models,
            dataset_configs=dataset_configs,
            role_arn=self.service_role.role_arn,
            output_s3_uri=self.output_s3_uri,
            evaluator_model=evaluator_model,
            judge_metrics=judge_metrics,
            flow_definition_arn=flow_definition_arn,
            human_metrics=human_metrics,
            human_instructions=human_instructions,
            inference_params=inference_params,
            description=description,
        )

        self._allow_output_uploads()
        invoked = [
            *(m for m in models if isinstance(m, str)),
            *([evaluator_model] if evaluator_model is not None else []),
        ]
        self._allow_invoke(invoked)

        handle = singleton_provider(
            self,
            kind="EvaluationJob",
            handler="evaluation_job",
            description="cdk-bedrock-ops: starts Amazon Bedrock model evaluation jobs",
        )
        _allow_create_job(handle.on_event_role, self, invoked)
        self.service_role.grant_pass_role(handle.on_event_role)
        properties: dict[str, Any] = {"JobNamePrefix": self.job_name_prefix, "Request": self.request}
        if run_id is not None:
            properties["RunId"] = run_id
        self.resource = handle.resource(
            self,
            "Job",
            resource_type="Custom::BedrockEvaluationJob",
            properties=properties,
            service_timeout=Duration.minutes(5),
        )
        self.job_arn: str = self.resource.get_att_string("JobArn")
        self.job_name: str = self.resource.get_att_string("JobName")

        self._topic_key: kms.IKey | None = None if topic is not None else data_bucket.encryption_key
        self.topic: sns.ITopic = topic or self._default_topic()
        self._schedule_poller(poll_interval, properties)

    # ------------------------------------------------------------------------------------------ grants

    def grant_read_results(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the evaluation prefix (datasets and results), decrypting through S3."""
        return self.data_bucket.grant_read_evaluation_data(grantee)

    def grant_subscribe(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` subscribe to the outcome topic."""
        return self.topic.grant_subscribe(grantee)

    # ------------------------------------------------------------------------------------------ internals

    def _allow_invoke(self, identifiers: Sequence[str]) -> None:
        allow_evaluation_models(self, self.service_role, self.kind, identifiers)

    def _allow_output_uploads(self) -> None:
        allow_output_uploads(
            self.service_role, self.data_bucket.bucket, f"{self.data_bucket.evaluation_prefix}results/"
        )

    def _allow_human_loops(self, flow_definition_arn: str) -> None:
        """Human jobs run SageMaker human loops through the flow definition (Bedrock user guide,
        service role requirements for human-based model evaluation jobs)."""
        stack = Stack.of(self)
        human_loops = stack.format_arn(
            service="sagemaker",
            resource="human-loop",
            resource_name="*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        self.service_role.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="StartHumanLoopsOfTheFlowDefinition",
                actions=["sagemaker:StartHumanLoop", "sagemaker:DescribeFlowDefinition"],
                resources=[flow_definition_arn],
            )
        )
        self.service_role.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ManageTheJobsHumanLoops",
                actions=[
                    "sagemaker:DescribeHumanLoop",
                    "sagemaker:StopHumanLoop",
                    "sagemaker:DeleteHumanLoop",
                ],
                resources=[human_loops],
            )
        )
        policy = self.service_role.role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        nag.acknowledge(
            policy,
            nag.iam5_resource_finding(self, human_loops),
            "Bedrock names the human loops of a job at run time; the actions are limited to describing, "
            "stopping and deleting human loops of this account and Region.",
        )

    def _allow_portal_reads(self) -> None:
        """A CORS rule on the data bucket for the portal; a bucket created elsewhere gets a warning instead."""
        bucket = self.data_bucket.bucket
        if isinstance(bucket, s3.Bucket):
            bucket.add_cors_rule(allowed_methods=[s3.HttpMethods.GET], allowed_origins=[HUMAN_EVALUATION_PORTAL_ORIGIN])
        else:
            Annotations.of(self).add_warning_v2(
                "bedrock-ops:imported-bucket-cors",
                f"data_bucket was created elsewhere: give it a CORS rule allowing GET from "
                f"{HUMAN_EVALUATION_PORTAL_ORIGIN} (the human evaluation portal reads the output bucket)",
            )

    def _default_topic(self) -> sns.Topic:
        topic = sns.Topic(
            self,
            "Topic",
            display_name=f"Bedrock evaluation {self.job_name_prefix}"[:100],
            master_key=self.data_bucket.encryption_key,
            enforce_ssl=True,
        )
        if self.data_bucket.encryption_key is None:
            use_aws_managed_topic_key(topic)
        return topic

    def _schedule_poller(self, poll_interval: Duration, properties: Mapping[str, Any]) -> None:
        stack = Stack.of(self)
        poller = _poller(stack)
        # The poller disables its rule when the job ends, and CloudFormation does not re-apply an unchanged
        # State: a new job (any change of the request) therefore gets a new rule, named after the request.
        digest = hashlib.sha256(json.dumps(stack.resolve(properties), sort_keys=True).encode()).hexdigest()[:8]
        rule_name = f"{Names.unique_resource_name(self, max_length=55, separator='-')}-{digest}"
        rule = events.Rule(
            self,
            "Poll",
            rule_name=rule_name,
            description=f"Checks Bedrock evaluation job {self.job_name_prefix}-* until it ends",
            schedule=events.Schedule.rate(poll_interval),
        )
        rule.add_target(
            targets.LambdaFunction(
                poller.function,
                event=events.RuleTargetInput.from_object(
                    {"jobArn": self.job_arn, "topicArn": self.topic.topic_arn, "ruleName": rule_name}
                ),
                retry_attempts=2,
            )
        )
        # sns:Publish and the key by hand: Topic.grant_publish adds kms:GenerateDataKey* (a wildcard action).
        iam.Grant.add_to_principal(grantee=poller, actions=["sns:Publish"], resource_arns=[self.topic.topic_arn])
        if self._topic_key is not None:
            self._topic_key.grant(poller, "kms:Decrypt", "kms:GenerateDataKey")
        poller.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["events:DisableRule"],
                resources=[
                    stack.format_arn(
                        service="events",
                        resource="rule",
                        resource_name=rule_name,
                        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
                    )
                ],
            )
        )


def check_evaluation(
    *,
    models: Sequence[str | PrecomputedResponses],
    datasets: Sequence[EvaluationDataset],
    evaluator_model: str | None = None,
    flow_definition_arn: str | None = None,
    human_metrics: Sequence[HumanMetric] = (),
    human_instructions: str | None = None,
    judge_metrics: Sequence[JudgeMetric] = (),
    models_file: str | Path | None = None,
) -> EvaluationKind:
    """Check the props of a :class:`ModelEvaluation` without building it (as configuration loaders do);
    returns the kind of job. Raises ``ValueError`` naming the prop and the bad value.

    Model ids, the judge, task types, metrics and built-in datasets are checked against the knowledge base
    (``models_file`` merged over the packaged one), with "did you mean".
    """
    require_list(models, param="models", of="model ids")
    require_list(datasets, param="datasets", of="EvaluationDataset")
    catalog = load_models(models_file)
    tasks = evaluation_tasks(catalog)
    if flow_definition_arn is not None and evaluator_model is not None:
        raise ValueError(
            "give either flow_definition_arn (human evaluation) or evaluator_model (LLM-as-a-judge), not both"
        )
    kind = (
        EvaluationKind.HUMAN
        if flow_definition_arn is not None
        else EvaluationKind.LLM_AS_A_JUDGE
        if evaluator_model is not None
        else EvaluationKind.AUTOMATIC
    )
    _check_models(kind, models, catalog)
    if not 1 <= len(datasets) <= 5:
        raise ValueError(f"datasets must have 1-5 entries, got {len(datasets)}")
    if judge_metrics:
        if kind is not EvaluationKind.LLM_AS_A_JUDGE:
            raise ValueError("judge_metrics need evaluator_model (LLM-as-a-judge evaluation)")
        _judge_config(judge_metrics, str(evaluator_model))
    for dataset in datasets:
        _dataset_config(kind, dataset, None, human_metrics, judge_metrics, tasks=tasks)
    if kind is EvaluationKind.HUMAN:
        assert flow_definition_arn is not None
        _human_config(flow_definition_arn, human_metrics, human_instructions, [])
    elif human_metrics or human_instructions:
        raise ValueError("human_metrics and human_instructions need flow_definition_arn (human evaluation)")
    if evaluator_model is not None:
        _check_evaluator(evaluator_model, catalog)
    return kind


def _poller(stack: Stack) -> HandlerFunction:
    """One poller function per stack for every evaluation job in it."""
    existing = stack.node.try_find_child("BedrockOpsEvaluationPoller")
    if isinstance(existing, HandlerFunction):
        return existing
    poller = HandlerFunction(
        stack,
        "BedrockOpsEvaluationPoller",
        handler="evaluation_job",
        entry="index.poll",
        description="cdk-bedrock-ops: reports the outcome of Amazon Bedrock evaluation jobs to SNS",
    )
    _allow_job_management(poller.role, ())
    return poller


def _allow_create_job(role: iam.IRole, scope: Construct, models: Sequence[str]) -> None:
    """``bedrock:CreateEvaluationJob`` is authorized on the models the request names: the Service Authorization
    Reference lists foundation-model, custom-model, prompt-router and default-prompt-router as its resource
    types (not evaluation-job). Foundation models and inference profiles are granted through their foundation
    model ARNs; a provisioned throughput or other ARN through this account's custom models; a job on
    precomputed responses only names no model, and is authorized on '*'. Getting and stopping jobs stays on
    this account's ``evaluation-job/*``."""
    _allow_job_management(role, ())
    _allow_finding_jobs(role)
    stack = Stack.of(role)
    arns: list[str] = []
    for identifier in models:
        for arn in _invoke_arns(stack, identifier):
            # An ARN with tokens (e.g. format_arn in an account-agnostic stack) still says its resource type.
            named = re.search(r":[a-z-]+-model/|:[a-z-]*prompt-router/|:[a-z-]*inference-profile/", arn)
            if ":foundation-model/" in arn or ":prompt-router/" in arn or (Token.is_unresolved(arn) and not named):
                arns.append(arn)
            elif ":inference-profile/" not in arn:
                arns.append(stack.format_arn(service="bedrock", resource="custom-model", resource_name="*"))
    arns = list(dict.fromkeys(arns)) or ["*"]
    role.add_to_principal_policy(iam.PolicyStatement(actions=["bedrock:CreateEvaluationJob"], resources=arns))
    policy = role.node.try_find_child("DefaultPolicy")
    if policy is None:
        return
    for arn in arns:
        if arn == "*":
            nag.acknowledge(
                policy,
                "AwsSolutions-IAM5[Resource::*]",
                "An evaluation of precomputed responses names no model: CreateEvaluationJob is then authorized on "
                "'*' (its resource types are the models of the request).",
            )
        elif ":*::foundation-model/" in arn or arn.endswith(":custom-model/*"):
            nag.acknowledge(
                policy,
                nag.iam5_resource_finding(scope, arn),
                "CreateEvaluationJob is authorized on the models the request names: a cross-Region inference "
                "profile's foundation model in any Region of its geography, or this account's custom model "
                "behind a provisioned throughput (not named in the request).",
            )


def _allow_job_management(role: iam.IRole, extra_actions: Sequence[str]) -> None:
    """Evaluation job ids are chosen by Bedrock, so ``evaluation-job/*`` of this account and Region is the
    narrowest resource; acknowledged once per role policy."""
    stack = Stack.of(role)
    jobs = stack.format_arn(
        service="bedrock",
        resource="evaluation-job",
        resource_name="*",
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=[*extra_actions, "bedrock:GetEvaluationJob", "bedrock:StopEvaluationJob"],
            resources=[jobs],
        )
    )
    policy = role.node.try_find_child("DefaultPolicy")
    if policy is not None:
        nag.acknowledge(
            policy,
            nag.iam5_resource_finding(role, jobs),
            "Bedrock chooses evaluation job ids at creation; the statement is limited to evaluation jobs "
            "of this account and Region.",
        )


def _allow_finding_jobs(role: iam.IRole) -> None:
    """Find the job a request already started by its name. ListEvaluationJobs supports no resource-level
    permissions (Service Authorization Reference: resource type ``*``)."""
    role.add_to_principal_policy(iam.PolicyStatement(actions=["bedrock:ListEvaluationJobs"], resources=["*"]))
    policy = role.node.try_find_child("DefaultPolicy")
    if policy is not None:
        nag.acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "bedrock:ListEvaluationJobs (read-only) supports no resource-level permissions; the handler uses "
            "it to find the job a replayed or rolled-back request already started.",
        )


def _job_name_prefix(job_name: str | None, scope: Construct) -> str:
    if job_name is not None:
        if Token.is_unresolved(job_name):
            raise ValueError("job_name must be a literal string, not a token: it names the job at synth time")
        if len(job_name) > _JOB_NAME_PREFIX_MAX or not _JOB_NAME_RE.match(job_name):
            raise ValueError(
                f"job_name must be 1-{_JOB_NAME_PREFIX_MAX} lowercase letters, digits and single hyphens "
                f"(starting and ending with a letter or digit), got {job_name!r}"
            )
        return job_name
    raw = Names.unique_resource_name(scope, max_length=_JOB_NAME_PREFIX_MAX, separator="-").lower()
    cleaned = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "", raw)).strip("-")
    return cleaned[:_JOB_NAME_PREFIX_MAX].rstrip("-") or "evaluation"


def _check_poll_interval(poll_interval: Duration) -> None:
    minutes = poll_interval.to_minutes()
    if not 1 <= minutes <= 1440:
        raise ValueError(f"poll_interval must be 1 minute-1 day, got {minutes} minutes")
