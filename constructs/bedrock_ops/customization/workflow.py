"""Custom model jobs (fine-tuning, continued pre-training, distillation) run by Step Functions.

CloudFormation has no resource for model customization jobs, and a job runs for hours, far past
the one hour a custom resource may wait. :class:`ModelCustomizationWorkflow` therefore declares the
job as a Standard Step Functions workflow

    [validate dataset] -> create job (.sync, waits for the job) -> describe job -> completed?
        yes -> [success hooks] -> notify (custom model ARN, training metrics)
        no  -> notify (Bedrock's failureMessage) -> fail

and a deploy-time custom resource that starts the workflow only when the job definition (or
the data it trains on) changed. The job and custom model names end with a hash of that
definition, so a redeploy of an unchanged definition starts nothing.

Everything the user declares is validated at synth against the model registry: the customization
type the base model supports, the dataset format the type takes and each hyperparameter's range.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from aws_cdk import (
    ArnFormat,
    CustomResource,
    Duration,
    Fn,
    Names,
    RemovalPolicy,
    Stack,
    Tags,
    Token,
)
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from bedrock_ops._core import nag
from bedrock_ops._core.functions import HandlerFunction
from bedrock_ops._core.providers import singleton_provider
from bedrock_ops.data.kms import BedrockKmsKey
from bedrock_ops.data.training_bucket import TrainingDataBucket
from bedrock_ops.models.facts import CustomizationType, DatasetFormat, ModelEntry, detect_format
from bedrock_ops.models.knowledge import load_models
from bedrock_ops.roles.service_role import (
    BedrockJobType,
    BedrockServiceRole,
    inference_profile_base,
    invoke_arns,
)
from constructs import Construct, IConstruct

__all__ = ["CustomizationHyperparameters", "ModelCustomizationWorkflow"]

JOB_PREFIX_TAG = "bedrock-ops:job-name-prefix"
MODEL_PREFIX_TAG = "bedrock-ops:model-name-prefix"
STATE_CHANGE_DETAIL_TYPE = "Model Customization Job State Change"
SYNC_RESOURCE = "arn:{partition}:states:::bedrock:createModelCustomizationJob.sync"
_HASH_SUFFIX = 13  # "-" + 12 hex characters appended by the trigger
_MAX_NAME = 63
_MODEL_NAME_RE = re.compile(r"^[0-9a-zA-Z](?:[_-]?[0-9a-zA-Z])*$")
_MAX_TAGS = 200


@dataclass(frozen=True)
class CustomizationHyperparameters:
    """Hyperparameters of a customization job, named as in Python and sent under the API names.

    Every field defaults to ``None`` (not sent: Bedrock uses the model's default). Which ones a
    base model takes, and their ranges, come from the model registry and are checked at synth.
    """

    epoch_count: int | None = None
    """``epochCount``: passes over the training data."""
    batch_size: int | None = None
    """``batchSize``: records per update."""
    learning_rate: float | None = None
    """``learningRate`` (Titan, Llama, Nova)."""
    learning_rate_warmup_steps: int | None = None
    """``learningRateWarmupSteps`` (Titan, Nova)."""
    learning_rate_multiplier: float | None = None
    """``learningRateMultiplier`` (Claude 3 Haiku)."""
    early_stopping_threshold: float | None = None
    """``earlyStoppingThreshold`` (Claude 3 Haiku)."""
    early_stopping_patience: int | None = None
    """``earlyStoppingPatience`` (Claude 3 Haiku)."""
    extra: Mapping[str, int | float | str] = field(default_factory=dict)
    """Other hyperparameters by API name (must still be known to the registry for the model)."""

    _API_NAMES = {  # noqa: RUF012 - class constant, not a dataclass field (no annotation)
        "epoch_count": "epochCount",
        "batch_size": "batchSize",
        "learning_rate": "learningRate",
        "learning_rate_warmup_steps": "learningRateWarmupSteps",
        "learning_rate_multiplier": "learningRateMultiplier",
        "early_stopping_threshold": "earlyStoppingThreshold",
        "early_stopping_patience": "earlyStoppingPatience",
    }

    def to_api(self) -> dict[str, int | float | str]:
        """Return the set hyperparameters keyed by their API names (unvalidated)."""
        values: dict[str, int | float | str] = {}
        for item in fields(self):
            if item.name == "extra":
                continue
            value = getattr(self, item.name)
            if value is not None:
                values[self._API_NAMES[item.name]] = value
        for name, value in self.extra.items():
            if name in values:
                raise ValueError(f"hyperparameter {name} is given twice (as a field and in extra)")
            values[name] = value
        return values

    @classmethod
    def from_api(cls, values: Mapping[str, int | float | str]) -> CustomizationHyperparameters:
        """Build from a mapping keyed by API names (``{"epochCount": 2, ...}``)."""
        by_api = {api: py for py, api in cls._API_NAMES.items()}
        known: dict[str, Any] = {by_api[k]: v for k, v in values.items() if k in by_api}
        extra = {k: v for k, v in values.items() if k not in by_api}
        return cls(**known, extra=extra)


def validate_job_definition(
    spec: ModelEntry,
    *,
    customization_type: CustomizationType,
    dataset_format: DatasetFormat | None,
    hyperparameters: CustomizationHyperparameters,
) -> dict[str, str]:
    """Check type, dataset format and hyperparameters against the model's knowledge base entry.

    Returns the hyperparameters as the API strings. Raises ``ValueError`` naming the prop, the bad
    value and what is allowed.
    """
    formats = spec.require(customization_type)  # UnsupportedCustomizationError lists the allowed
    if dataset_format is not None and not spec.accepts(customization_type, dataset_format):
        allowed = ", ".join(f.value for f in formats) or "none"
        raise ValueError(
            f"training data format {dataset_format.value} does not match customization_type "
            f"{customization_type.value} for {spec.model_id}; allowed formats: {allowed}"
        )
    api_values: dict[str, str] = {}
    taken = spec.hyperparameters(customization_type)
    for name, value in hyperparameters.to_api().items():
        hp_spec = taken.get(name)
        if hp_spec is None:
            allowed = ", ".join(sorted(taken)) or "none"
            raise ValueError(f"hyperparameter {name} is not taken by {spec.model_id}; allowed: {allowed}")
        if isinstance(value, str) and Token.is_unresolved(value):
            api_values[name] = value
            continue
        api_values[name] = hp_spec.validate(value)
    return api_values


def detect_file_format(path: str | Path) -> DatasetFormat | None:
    """Return the dataset format of the first non-empty JSON line of a local JSONL file."""
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                return detect_format(record) if isinstance(record, dict) else None
    return None


class ModelCustomizationWorkflow(Construct):
    """A Bedrock model customization job declared as code and run by Step Functions.

    Attributes: ``state_machine``, ``topic``, ``alarm``, ``state_change_rule``, ``service_role``,
    ``job_name_prefix``, ``custom_model_name_prefix``, ``model_spec``, ``hyperparameters`` (validated
    API strings), ``request`` (the Step Functions parameters of the create-job state), ``trigger`` (the
    deploy-time custom resource, ``None`` when ``start_on_deploy=False``), ``data_trigger`` (the
    function started by validated new data, ``None`` unless ``start_on_new_data=True``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        base_model_id: str,
        customization_type: CustomizationType,
        data_bucket: TrainingDataBucket,
        training_data_key: str,
        custom_model_name: str,
        training_data_format: DatasetFormat | None = None,
        training_data_file: str | Path | None = None,
        validation_data_keys: Sequence[str] = (),
        output_prefix: str | None = None,
        hyperparameters: CustomizationHyperparameters | None = None,
        teacher_model_id: str | None = None,
        max_response_length: int | None = None,
        custom_model_key: BedrockKmsKey | None = None,
        service_role: BedrockServiceRole | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        tags: Mapping[str, str] | None = None,
        dataset_validator: lambda_.IFunction | None = None,
        dataset_validator_payload: Mapping[str, Any] | None = None,
        success_hooks: Sequence[sfn.IChainable] = (),
        topic: sns.ITopic | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        start_on_deploy: bool = True,
        start_on_new_data: bool = False,
        timeout: Duration | None = None,
        models_file: str | Path | None = None,
    ) -> None:
        """Declare the job and its workflow.

        :param base_model_id: model to customize, plain or context-suffixed id
            (``amazon.titan-text-express-v1``, ``anthropic.claude-3-haiku-20240307-v1:0:200k``).
        :param customization_type: FINE_TUNING, CONTINUED_PRE_TRAINING or DISTILLATION; must be one
            the base model supports.
        :param data_bucket: the ``TrainingDataBucket`` holding training, validation and output data.
        :param training_data_key: object key of the training JSONL in ``data_bucket``.
        :param custom_model_name: prefix of the custom model's name (a ``-<definition hash>``
            suffix is appended); letters, digits, ``-`` and ``_``, at most 50 characters.
        :param training_data_format: format of the training data, checked against the type.
            Default: detected from ``training_data_file`` if given, otherwise not checked.
        :param training_data_file: local copy of the training data (first record read at synth
            to detect its format). Default: none.
        :param validation_data_keys: keys of 0-10 validation JSONL files. Default: none.
        :param output_prefix: key prefix for the job's output. Default:
            ``<bucket output prefix><custom_model_name>/``.
        :param hyperparameters: typed hyperparameters, validated per base model. Default: none set
            (Bedrock's defaults).
        :param teacher_model_id: DISTILLATION only (required there): the teacher model id.
        :param max_response_length: DISTILLATION only: ``maxResponseLengthForInference`` of the
            teacher, 1-32768. Default: Bedrock's default.
        :param custom_model_key: KMS key for the custom model. Default: AWS-owned key.
        :param service_role: the model customization role Bedrock assumes; it must read the training
            and validation prefixes and write the output prefix of ``data_bucket`` (and use
            ``custom_model_key``). Default: a new ``BedrockServiceRole`` granted exactly that.
        :param vpc: run the job in this VPC. Default: no VPC.
        :param vpc_subnets: subnets in ``vpc`` (1-16). Default: the VPC's private subnets.
        :param security_groups: 1-5 security groups when ``vpc`` is set. Default: a new one.
        :param tags: tags for the job and the custom model (at most 200). Default: none.
        :param dataset_validator: a Lambda run first on the training data (e.g. the project's
            ``dataset_validator`` Lambda); the workflow fails, and notifies with the
            validator's answer, when it raises or answers ``{"status": "failed" | "missing"}`` or
            ``{"valid": false}``. Default: no validation step.
        :param dataset_validator_payload: the validator's event. Default: an S3 "Object Created"
            event for ``training_data_key`` (``{"detail": {"bucket": {"name"}, "object": {"key"}}}``).
        :param success_hooks: states run in order after a successful job (e.g. create provisioned
            throughput, start an evaluation). They find the model at ``$.report.customModelArn``
            and must keep the state input (use a ``result_path``). Default: none.
        :param topic: SNS topic for notifications. Default: a new KMS-encrypted topic.
        :param removal_policy: what deleting the stack (or replacing the job) does to trained custom
            models. Default: ``RETAIN`` (models are kept); ``DESTROY`` stops the job and deletes them.
        :param start_on_deploy: start the workflow on deploy when the definition changed. Default:
            True. When False, start it by hand (``bedrock-ops train``).
        :param start_on_new_data: also start the workflow when a new version of the training data is
            tagged ``bedrock-ops:validation=passed`` by the project's dataset validator (S3 "Object Tags
            Added" event) and the data changed since the last job. Default: False.
        :param timeout: execution timeout (the alarm fires on timed-out executions).
            Default: 3 days.
        :param models_file: a models file merged over the packaged knowledge base. Default: none.
        """
        super().__init__(scope, id)
        if customization_type is CustomizationType.REINFORCEMENT_FINE_TUNING:  # needs a grader: rftConfig
            raise ValueError("customization_type REINFORCEMENT_FINE_TUNING: use ReinforcementFineTuningWorkflow")
        self.model_spec = load_models(models_file).resolve(base_model_id, prop="base_model_id")
        hyperparameters = hyperparameters or CustomizationHyperparameters()
        if training_data_format is None and training_data_file is not None:
            training_data_format = detect_file_format(training_data_file)
            if training_data_format is None:
                trainable = (f.value for f in DatasetFormat if f is not DatasetFormat.EVALUATION_PROMPTS)
                raise ValueError(
                    f"training_data_file {training_data_file} holds no record of a known dataset "
                    f"format; allowed formats: {', '.join(trainable)}"
                )
        self.hyperparameters = validate_job_definition(
            self.model_spec,
            customization_type=customization_type,
            dataset_format=training_data_format,
            hyperparameters=hyperparameters,
        )
        _check_name("custom_model_name", custom_model_name, _MODEL_NAME_RE)
        _check_distillation(customization_type, teacher_model_id, max_response_length)
        tags = dict(tags or {})
        _check_counts(validation_data_keys, tags, vpc, security_groups)
        self.customization_type = customization_type
        self.removal_policy = removal_policy
        self.custom_model_name_prefix = custom_model_name
        self.job_name_prefix = Names.unique_resource_name(
            self, max_length=_MAX_NAME - _HASH_SUFFIX, separator="-"
        ).lower()

        bucket = data_bucket.bucket
        output_prefix = output_prefix or f"{data_bucket.output_prefix}{custom_model_name}/"
        _check_prefixes(data_bucket, training_data_key, validation_data_keys, output_prefix)
        self.service_role = service_role or BedrockServiceRole(
            self,
            "ServiceRole",
            job_type=BedrockJobType.MODEL_CUSTOMIZATION,
            data_bucket=data_bucket,
            custom_model_key=custom_model_key,
            description=f"Assumed by Amazon Bedrock to train {custom_model_name} custom models",
        )
        subnet_ids, group_ids = self._vpc_config(vpc, vpc_subnets, security_groups)

        # The request sent to Bedrock; names come from the execution input (hash-suffixed).
        definition = _job_definition(
            base_model_id=base_model_id,
            customization_type=customization_type,
            training_uri=bucket.s3_url_for_object(training_data_key),
            validation_uris=[bucket.s3_url_for_object(k) for k in validation_data_keys],
            output_uri=bucket.s3_url_for_object(output_prefix),
            hyperparameters=self.hyperparameters,
            teacher_model_id=teacher_model_id,
            max_response_length=max_response_length,
        )
        request: dict[str, Any] = {
            "JobName.$": "$.jobName",
            "CustomModelName.$": "$.customModelName",
            "RoleArn": self.service_role.role_arn,
            **definition,
        }
        if custom_model_key is not None:
            request["CustomModelKmsKeyId"] = custom_model_key.key_arn
        if subnet_ids:
            request["VpcConfig"] = {"SubnetIds": subnet_ids, "SecurityGroupIds": group_ids}
        if tags:
            tag_list = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
            request["JobTags"] = tag_list
            request["CustomModelTags"] = tag_list
        self.request = request

        self.topic = topic or self._new_topic()
        status_fn = HandlerFunction(
            self,
            "DescribeJob",
            handler="customization_status",
            entry="index.handler",
            description="Describes a Bedrock model customization job for the workflow's notification",
            timeout=Duration.seconds(30),
        )
        self._grant_job_read(status_fn.role)

        self.state_machine = self._state_machine(
            request=request,
            status_fn=status_fn.function,
            dataset_validator=dataset_validator,
            validator_payload=dict(
                dataset_validator_payload
                or {
                    # The shape of the S3 "Object Created" event the dataset validator Lambda takes.
                    "source": "aws.s3",
                    "detail-type": "Object Created",
                    "detail": {"bucket": {"name": bucket.bucket_name}, "object": {"key": training_data_key}},
                }
            ),
            success_hooks=success_hooks,
            teacher_model_id=teacher_model_id,
            custom_model_key=custom_model_key,
            timeout=timeout or Duration.days(3),
        )
        Tags.of(self.state_machine).add(JOB_PREFIX_TAG, self.job_name_prefix)
        Tags.of(self.state_machine).add(MODEL_PREFIX_TAG, custom_model_name)

        self._monitoring()

        self.data_trigger: HandlerFunction | None = None
        if start_on_new_data:
            self.data_trigger = self._data_trigger(
                definition=definition,
                bucket=data_bucket,
                data_keys=[training_data_key, *validation_data_keys],
            )

        self.trigger: CustomResource | None = None
        if start_on_deploy:
            self.trigger = self._trigger(
                definition=definition,
                bucket_name=bucket.bucket_name,
                data_keys=[training_data_key, *validation_data_keys],
                bucket=data_bucket,
            )

    # ----------------------------------------------------------------------------------- helpers

    def _monitoring(self) -> None:
        """Alarm on failed or timed-out executions; route Bedrock's job events to the topic."""
        stack = Stack.of(self)
        self.alarm = cloudwatch.Alarm(
            self,
            "FailedExecutions",
            alarm_name=f"{stack.stack_name}-{self.custom_model_name_prefix}-customization-failed",
            alarm_description=(
                f"A model customization workflow for {self.custom_model_name_prefix} failed or timed out"
            ),
            metric=cloudwatch.MathExpression(
                expression="failed + timedOut",
                using_metrics={
                    "failed": self.metric_failed_executions(),
                    "timedOut": self.metric_timed_out_executions(),
                },
                period=Duration.minutes(5),
                label="Failed or timed-out executions",
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

        self.alarm.add_alarm_action(cw_actions.SnsAction(self.topic))

        self.state_change_rule = events.Rule(
            self,
            "JobStateChange",
            description=f"Routes {STATE_CHANGE_DETAIL_TYPE} events of {self.custom_model_name_prefix} jobs",
            event_pattern=events.EventPattern(
                source=["aws.bedrock"],
                detail_type=[STATE_CHANGE_DETAIL_TYPE],
                detail={"jobName": [{"prefix": f"{self.job_name_prefix}-"}]},
            ),
            targets=[targets.SnsTopic(self.topic)],
        )

    def _vpc_config(
        self,
        vpc: ec2.IVpc | None,
        vpc_subnets: ec2.SubnetSelection | None,
        security_groups: Sequence[ec2.ISecurityGroup],
    ) -> tuple[list[str], list[str]]:
        if vpc is None:
            return [], []
        selection = vpc_subnets or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        subnets = vpc.select_subnets(**_subnet_selection_kwargs(selection)).subnets
        groups = list(security_groups) or [
            ec2.SecurityGroup(
                self,
                "JobSecurityGroup",
                vpc=vpc,
                description="Bedrock model customization job network interfaces",
                allow_all_outbound=True,
            )
        ]
        self.service_role.add_vpc_permissions(subnets, groups)  # checks 1-16 subnets, 1-5 groups
        return [s.subnet_id for s in subnets], [g.security_group_id for g in groups]

    def _new_topic(self) -> sns.Topic:
        key = kms.Key(
            self,
            "TopicKey",
            description="Encrypts the model customization notification topic",
            enable_key_rotation=True,
        )
        for service in ("events.amazonaws.com", "cloudwatch.amazonaws.com"):
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    principals=[iam.ServicePrincipal(service)],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
                )
            )
        return sns.Topic(
            self,
            "Notifications",
            display_name="Bedrock model customization",
            master_key=key,
            enforce_ssl=True,
        )

    def _grant_job_read(self, grantee: iam.IGrantable) -> None:
        stack = Stack.of(self)
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["bedrock:GetModelCustomizationJob"],
                resources=[stack.format_arn(service="bedrock", resource="model-customization-job", resource_name="*")],
            )
        )
        if isinstance(grantee, Construct):
            _acknowledge(
                grantee,
                nag.iam5_resource_finding(
                    self,
                    stack.format_arn(service="bedrock", resource="model-customization-job", resource_name="*"),
                ),
                "customization job ARNs end in a Bedrock-generated id unknown until the job exists",
            )

    def _state_machine(
        self,
        *,
        request: dict[str, Any],
        status_fn: lambda_.IFunction,
        dataset_validator: lambda_.IFunction | None,
        validator_payload: dict[str, Any],
        success_hooks: Sequence[sfn.IChainable],
        teacher_model_id: str | None,
        custom_model_key: BedrockKmsKey | None,
        timeout: Duration,
    ) -> sfn.StateMachine:
        stack = Stack.of(self)
        init = sfn.Pass(
            self,
            "Start",
            comment="No error yet: the describe step reads $.error on both paths",
            result=sfn.Result.from_object({}),
            result_path="$.error",
        )
        create_job = sfn.CustomState(
            self,
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
            self,
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
            self,
            "NotifySuccess",
            topic=self.topic,
            subject=sfn.JsonPath.string_at("$.report.subject"),
            message=sfn.TaskInput.from_json_path_at("$.report.message"),
            result_path=sfn.JsonPath.DISCARD,
        )
        notify_failure = tasks.SnsPublish(
            self,
            "NotifyFailure",
            topic=self.topic,
            subject=sfn.JsonPath.string_at("$.report.subject"),
            message=sfn.TaskInput.from_json_path_at("$.report.message"),
            result_path=sfn.JsonPath.DISCARD,
        )
        failed = sfn.Fail(
            self,
            "CustomizationFailed",
            error="CustomizationFailed",
            cause_path="$.report.failureMessage",
        )
        success_chain: sfn.IChainable = notify_success
        if success_hooks:
            chain = sfn.Chain.start(success_hooks[0])
            for hook in success_hooks[1:]:
                chain = chain.next(hook)
            success_chain = chain.next(notify_success)
        completed = (
            sfn.Choice(self, "JobCompleted", comment="Did Bedrock complete the job?")
            .when(sfn.Condition.boolean_equals("$.report.succeeded", True), success_chain)
            .otherwise(notify_failure.next(failed))
        )
        if dataset_validator is not None:
            # A plain Task on the function ARN (the answer is the payload) rather than LambdaInvoke, whose
            # grant adds `<arn>:*`: the validator often lives in another stack, where that wildcard
            # cannot be acknowledged by id before synthesis resolves the cross-stack reference.
            validate = sfn.CustomState(
                self,
                "ValidateDataset",
                state_json={
                    "Type": "Task",
                    "Comment": "Validate the training data (dataset validator Lambda)",
                    "Resource": dataset_validator.function_arn,
                    "Parameters": validator_payload,
                    "ResultPath": "$.validation",
                },
            )
            validate.add_retry(
                errors=["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException"],
                interval=Duration.seconds(2),
                max_attempts=6,
                backoff_rate=2,
            )
            validate.add_catch(describe, errors=["States.ALL"], result_path="$.error")
            invalid = sfn.Pass(
                self,
                "DatasetInvalid",
                comment="The validator's report becomes the failure reason",
                parameters={"Error": "DatasetInvalid", "Cause.$": "States.JsonToString($.validation)"},
                result_path="$.error",
            ).next(describe)
            dataset_ok = (
                sfn.Choice(self, "DatasetValid", comment="Did the dataset pass validation?")
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
            self, "Logs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.DESTROY
        )
        machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(init),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=timeout,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            comment="Runs a Bedrock model customization job and reports its outcome",
        )
        self._grant_sync_task(machine, teacher_model_id, custom_model_key)
        if dataset_validator is not None:
            machine.add_to_role_policy(
                iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[dataset_validator.function_arn])
            )
        _acknowledge(
            machine,
            nag.iam5_resource_finding(self, f"{status_fn.function_arn}:*"),
            "Step Functions' LambdaInvoke grants invoke on the function's versions and "
            "aliases (<arn>:*) of this one function",
        )
        return machine

    def _grant_sync_task(
        self,
        machine: sfn.StateMachine,
        teacher_model_id: str | None,
        custom_model_key: BedrockKmsKey | None,
    ) -> None:
        """IAM for ``createModelCustomizationJob.sync`` (Step Functions polls and may stop the job)."""
        stack = Stack.of(self)
        model_ids = set(self.model_spec.ids)
        teacher_base = inference_profile_base(teacher_model_id) if teacher_model_id else None
        if teacher_model_id:
            # An inference profile teacher is authorized through its foundation model (the Service
            # Authorization Reference lists foundation-model and custom-model for CreateModelCustomizationJob).
            model_ids.add(teacher_base or teacher_model_id)
        foundation_arns = [
            stack.format_arn(service="bedrock", resource="foundation-model", resource_name=m, account="")
            for m in sorted(model_ids)
        ]
        if teacher_model_id and teacher_base is not None:
            self._allow_profile_teacher(teacher_model_id)
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
        self.service_role.grant_pass_role(machine)
        if custom_model_key is not None:
            custom_model_key.grant_bedrock_use(machine)
        self.topic.grant_publish(machine)
        if self.topic.master_key is not None:
            _acknowledge(
                machine,
                "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
                "publishing to the KMS-encrypted notification topic needs kms:GenerateDataKey* "
                "on that topic's key only (CDK's grant_publish)",
            )
        for arn, what in ((job_arn, "customization job"), (model_arn, "custom model")):
            _acknowledge(
                machine,
                nag.iam5_resource_finding(self, arn),
                f"{what} ARNs end in a Bedrock-generated id unknown until the job runs; the .sync "
                "integration creates, polls and (on abort) stops jobs of this account and Region only",
            )
        _acknowledge(
            machine,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray tracing and CloudWatch Logs delivery for Step Functions need resource '*' "
            "(xray:PutTraceSegments, logs:CreateLogDelivery and related APIs are not resource-scoped)",
        )

    def _allow_profile_teacher(self, teacher_model_id: str) -> None:
        """A cross-Region inference profile teacher: the service role must be able to invoke the profile and
        its foundation model in each Region the profile routes to (user guide, prequisites-model-distillation;
        ``service_role_requirements.json``, distillation-inference-profile-teacher)."""
        arns = invoke_arns(Stack.of(self), teacher_model_id)
        self.service_role.allow_invoke_models(*arns)
        policy = self.service_role.role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        for arn in arns:
            if ":*::foundation-model/" in arn:
                _acknowledge(
                    policy,
                    nag.iam5_resource_finding(self, arn),
                    "The teacher is a cross-Region inference profile: Bedrock invokes its foundation model in any "
                    "Region of the profile's geography; the Region is the only wildcard, the model is named.",
                )

    def _trigger(
        self,
        *,
        definition: dict[str, Any],
        bucket_name: str,
        data_keys: list[str],
        bucket: TrainingDataBucket,
    ) -> CustomResource:
        stack = Stack.of(self)
        handle = singleton_provider(
            self,
            kind="ModelCustomization",
            handler="customization_trigger",
            description="Starts a Bedrock customization workflow when its job definition changes",
        )
        role = handle.on_event_role
        self._grant_trigger(role, bucket, data_keys)
        if self.removal_policy == RemovalPolicy.DESTROY:
            job_arn = stack.format_arn(service="bedrock", resource="model-customization-job", resource_name="*")
            model_arn = stack.format_arn(service="bedrock", resource="custom-model", resource_name="*")
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["bedrock:StopModelCustomizationJob"], resources=[job_arn])
            )
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["bedrock:DeleteCustomModel"], resources=[model_arn])
            )
            _acknowledge(
                role,
                nag.iam5_resource_finding(self, model_arn),
                "custom model ARNs end in a Bedrock-generated id unknown until the job completes; with "
                "removal_policy DESTROY the trigger deletes the models it trained (by name)",
            )
        return handle.resource(
            self,
            "Trigger",
            resource_type="Custom::BedrockModelCustomization",
            service_timeout=Duration.minutes(5),
            properties={
                "StateMachineArn": self.state_machine.state_machine_arn,
                "JobNamePrefix": self.job_name_prefix,
                "ModelNamePrefix": self.custom_model_name_prefix,
                "Definition": definition,
                "DataObjects": [{"Bucket": bucket_name, "Key": k} for k in data_keys],
                "RemovalPolicy": "destroy" if self.removal_policy == RemovalPolicy.DESTROY else "retain",
            },
        )

    def _grant_trigger(self, role: iam.IRole, bucket: TrainingDataBucket, data_keys: list[str]) -> None:
        """What a trigger needs: start and look up executions, read the data's ETags, look up jobs."""
        stack = Stack.of(self)
        self.state_machine.grant_start_execution(role)
        self.state_machine.grant_execution(role, "states:DescribeExecution")
        object_arns = [bucket.bucket.arn_for_objects(k) for k in data_keys]
        role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=object_arns))
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket.bucket_arn])
        )
        job_arn = stack.format_arn(service="bedrock", resource="model-customization-job", resource_name="*")
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["bedrock:GetModelCustomizationJob"], resources=[job_arn])
        )
        _acknowledge(
            role,
            _finding_with_intrinsics(
                self,
                stack.format_arn(
                    service="states",
                    resource="execution",
                    # as grant_execution writes it: the name split out of the ARN
                    resource_name=f"{Fn.select(6, Fn.split(':', self.state_machine.state_machine_arn))}:*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                ),
            ),
            "the trigger looks up executions of this one state machine by name "
            "(states:DescribeExecution); execution names are the hash-suffixed job names",
        )
        _acknowledge(
            role,
            nag.iam5_resource_finding(self, job_arn),
            "customization job ARNs end in a Bedrock-generated id unknown until the job runs; the trigger "
            "only reads jobs of this account and Region (bedrock:GetModelCustomizationJob)",
        )

    def _data_trigger(
        self, *, definition: dict[str, Any], bucket: TrainingDataBucket, data_keys: list[str]
    ) -> HandlerFunction:
        function = HandlerFunction(
            self,
            "DataTrigger",
            handler="customization_trigger",
            entry="index.on_data_event",
            description="Starts a Bedrock customization workflow when validated new training data lands",
            environment={
                "STATE_MACHINE_ARN": self.state_machine.state_machine_arn,
                "JOB_NAME_PREFIX": self.job_name_prefix,
                "MODEL_NAME_PREFIX": self.custom_model_name_prefix,
                "DEFINITION": Stack.of(self).to_json_string(definition),
                "DATA_OBJECTS": Stack.of(self).to_json_string(
                    [{"Bucket": bucket.bucket.bucket_name, "Key": k} for k in data_keys]
                ),
            },
        )
        self._grant_trigger(function.role, bucket, data_keys)
        function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObjectTagging", "s3:GetObjectVersionTagging"],
                resources=[bucket.bucket.arn_for_objects(data_keys[0])],
            )
        )
        events.Rule(
            self,
            "ValidatedTrainingData",
            description=f"Validated new training data of {self.custom_model_name_prefix} starts a job",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Tags Added"],
                detail={"bucket": {"name": [bucket.bucket.bucket_name]}, "object": {"key": [data_keys[0]]}},
            ),
            targets=[targets.LambdaFunction(function.function, retry_attempts=2)],
        )
        return function

    # ------------------------------------------------------------------------------ public verbs

    def metric_failed_executions(self, **options: Any) -> cloudwatch.Metric:
        """Executions of this workflow that failed (Sum over 5 minutes by default)."""
        return self.state_machine.metric_failed(**{"statistic": "Sum", **options})

    def metric_timed_out_executions(self, **options: Any) -> cloudwatch.Metric:
        """Executions of this workflow that timed out (Sum over 5 minutes by default)."""
        return self.state_machine.metric_timed_out(**{"statistic": "Sum", **options})

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start the workflow by hand (``bedrock-ops train``: it also reads the state
        machine's tags and describes executions)."""
        grant = self.state_machine.grant_start_execution(grantee)
        self.state_machine.grant(grantee, "states:ListTagsForResource")
        self.state_machine.grant_execution(grantee, "states:DescribeExecution")
        return grant


def _check_name(prop: str, value: str, pattern: re.Pattern[str]) -> None:
    if Token.is_unresolved(value):
        return
    limit = _MAX_NAME - _HASH_SUFFIX
    if not 1 <= len(value) <= limit or not pattern.match(value):
        raise ValueError(
            f"{prop} must be 1-{limit} letters, digits, '-' or '_' (a -<hash> suffix is added), got {value!r}"
        )


def _job_definition(
    *,
    base_model_id: str,
    customization_type: CustomizationType,
    training_uri: str,
    validation_uris: Sequence[str],
    output_uri: str,
    hyperparameters: Mapping[str, str],
    teacher_model_id: str | None,
    max_response_length: int | None,
) -> dict[str, Any]:
    """The training-relevant part of the request (what the trigger hashes), Step Functions casing."""
    definition: dict[str, Any] = {
        "BaseModelIdentifier": base_model_id,
        "CustomizationType": customization_type.value,
        "TrainingDataConfig": {"S3Uri": training_uri},
        "OutputDataConfig": {"S3Uri": output_uri},
    }
    if validation_uris:
        definition["ValidationDataConfig"] = {"Validators": [{"S3Uri": uri} for uri in validation_uris]}
    if hyperparameters:
        definition["HyperParameters"] = dict(hyperparameters)
    if customization_type is CustomizationType.DISTILLATION:
        teacher: dict[str, Any] = {"TeacherModelIdentifier": teacher_model_id}
        if max_response_length is not None:
            teacher["MaxResponseLengthForInference"] = max_response_length
        definition["CustomizationConfig"] = {"DistillationConfig": {"TeacherModelConfig": teacher}}
    return definition


def _check_counts(
    validation_data_keys: Sequence[str],
    tags: Mapping[str, str],
    vpc: ec2.IVpc | None,
    security_groups: Sequence[ec2.ISecurityGroup],
) -> None:
    if not 0 <= len(validation_data_keys) <= 10:
        raise ValueError(f"validation_data_keys must hold 0-10 keys, got {len(validation_data_keys)}")
    if len(tags) > _MAX_TAGS:
        raise ValueError(f"tags must hold at most {_MAX_TAGS} tags, got {len(tags)}")
    if vpc is None and security_groups:
        raise ValueError("security_groups needs vpc; got security groups without a vpc")


def _check_prefixes(
    data_bucket: TrainingDataBucket,
    training_data_key: str,
    validation_data_keys: Sequence[str],
    output_prefix: str,
) -> None:
    """The service role reads only the training/validation prefixes and writes only the output prefix."""
    readable = (data_bucket.training_prefix, data_bucket.validation_prefix)
    for prop, key in [("training_data_key", training_data_key)] + [
        ("validation_data_keys", k) for k in validation_data_keys
    ]:
        if not Token.is_unresolved(key) and not key.startswith(readable):
            raise ValueError(
                f"{prop} must be under the bucket's {' or '.join(repr(p) for p in readable)} prefix "
                f"(the service role reads only those), got {key!r}"
            )
    if not Token.is_unresolved(output_prefix) and not output_prefix.startswith(data_bucket.output_prefix):
        raise ValueError(
            f"output_prefix must be under the bucket's {data_bucket.output_prefix!r} prefix "
            f"(the service role writes only there), got {output_prefix!r}"
        )


def _check_distillation(
    customization_type: CustomizationType, teacher_model_id: str | None, max_response_length: int | None
) -> None:
    if customization_type is CustomizationType.DISTILLATION:
        if not teacher_model_id:
            raise ValueError("teacher_model_id is required for customization_type DISTILLATION, got None")
        if max_response_length is not None and not 1 <= max_response_length <= 32768:
            raise ValueError(f"max_response_length must be 1-32768, got {max_response_length}")
        return
    if teacher_model_id is not None or max_response_length is not None:
        raise ValueError(
            "teacher_model_id and max_response_length apply to customization_type DISTILLATION only, "
            f"got them with {customization_type.value}"
        )


def _subnet_selection_kwargs(selection: ec2.SubnetSelection) -> dict[str, Any]:
    return {
        key: getattr(selection, key)
        for key in (
            "availability_zones",
            "one_per_az",
            "subnet_filters",
            "subnet_group_name",
            "subnet_type",
            "subnets",
        )
        if getattr(selection, key, None) is not None
    }


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


def _acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    nag.acknowledge(scope, finding, reason)
