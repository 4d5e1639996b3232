"""Reinforcement fine-tuning (RFT) jobs as code: a reward function, typed hyperparameters, a ``.sync`` workflow.

Built beside :class:`~bedrock_ops.customization.workflow.ModelCustomizationWorkflow` (same ``.sync`` task, same
name tags, so ``bedrock-ops train`` starts it): a Standard state machine

    [validate the dataset (DatasetValidator) -> invalid: notify -> fail]
    -> createModelCustomizationJob.sync (REINFORCEMENT_FINE_TUNING, rftConfig) -> notify (job result) | notify -> fail

started by hand (``bedrock-ops train --state-machine-arn ...``): an RFT job is bought on purpose, after
``bedrock-ops grade`` tried the reward function. Validated at synth against the model knowledge base: the base
model supports RFT (Nova 2 Lite; open-weight models use another endpoint and are not supported here), each
hyperparameter is within its range, and a local copy of the dataset follows the RFT rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Stack, Tags, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from bedrock_ops._core import nag
from bedrock_ops._core.limits import WORKFLOW_TIMEOUT_HOURS
from bedrock_ops._core.sequences import require_list
from bedrock_ops._core.validation_step import validation_states
from bedrock_ops.customization.reward_function import RewardFunction
from bedrock_ops.customization.workflow import JOB_PREFIX_TAG, MODEL_PREFIX_TAG, SYNC_RESOURCE
from bedrock_ops.data.kms import BedrockKmsKey
from bedrock_ops.data.training_bucket import DataBucketLike, TrainingDataBucketBase, data_bucket_of
from bedrock_ops.data.validation import ValidationReport, validate_file
from bedrock_ops.data.validator import DatasetValidator
from bedrock_ops.models.facts import CustomizationType
from bedrock_ops.models.knowledge import load_models
from bedrock_ops.roles.service_role import BedrockJobType, BedrockServiceRole
from constructs import Construct

__all__ = ["ReinforcementFineTuningWorkflow", "RftHyperparameters"]

RFT = CustomizationType.REINFORCEMENT_FINE_TUNING
_NAME_RE = r"^[0-9a-zA-Z](?:[_-]?[0-9a-zA-Z])*$"


@dataclass(frozen=True)
class RftHyperparameters:
    """RFT hyperparameters (``rftConfig.hyperParameters``); None leaves Bedrock's default. Ranges per base model
    come from the knowledge base (the API's: epochs 1-50, batch 16-512, learning rate 1e-7-1e-3, samples per
    prompt 2-16, eval interval 1-100, reasoning effort low/medium/high)."""

    epoch_count: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    max_prompt_length: int | None = None
    training_sample_per_prompt: int | None = None
    inference_max_tokens: int | None = None
    reasoning_effort: str | None = None
    eval_interval: int | None = None

    def to_api(self) -> dict[str, Any]:
        """The set values by API name (``epochCount``, ...)."""
        return {_camel(f.name): getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class ReinforcementFineTuningWorkflow(Construct):
    """A Bedrock reinforcement fine-tuning job declared as code and run by Step Functions (``.sync``).

    Attributes: ``state_machine``, ``topic``, ``service_role``, ``model_spec``, ``hyperparameters`` (validated,
    typed as the API takes them), ``request`` (the create-job state's parameters), ``dataset_report`` (the synth
    check of ``training_data_file``, or None), ``job_name_prefix``, ``custom_model_name_prefix``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        base_model_id: str,
        reward_function: RewardFunction | lambda_.IFunction,
        data_bucket: DataBucketLike,
        data_bucket_key: kms.IKey | None = None,
        training_data_key: str,
        custom_model_name: str,
        training_data_file: str | Path | None = None,
        validation_data_keys: Sequence[str] = (),
        output_prefix: str | None = None,
        hyperparameters: RftHyperparameters | None = None,
        custom_model_key: BedrockKmsKey | None = None,
        service_role: BedrockServiceRole | None = None,
        tags: Mapping[str, str] | None = None,
        topic: sns.ITopic | None = None,
        timeout: Duration | None = None,
        models_file: str | Path | None = None,
        dataset_validator: DatasetValidator | None = None,
        required_fields: Sequence[str] = (),
    ) -> None:
        """
        :param base_model_id: the model to train; it must support REINFORCEMENT_FINE_TUNING in the knowledge base
            (``amazon.nova-2-lite-v1:0``); the job names it by its documented ``baseModelIdentifier``.
        :param reward_function: the grader: a ``RewardFunction`` or any Lambda function (the service role gets
            ``lambda:InvokeFunction`` on it).
        :param data_bucket: the bucket holding training, validation and output data.
            A ``TrainingDataBucket``, ``TrainingDataBucket.from_bucket_name/from_bucket_attributes(...)`` or any
            ``s3.IBucket`` (with the default prefixes, ``DataPrefixes()``).
        :param data_bucket_key: the KMS key of an ``s3.IBucket`` ``data_bucket`` (default: the bucket's own
            ``encryption_key``; none for ``s3.Bucket.from_bucket_name``: SSE-S3).
        :param training_data_key: object key of the RFT prompts JSONL (under the training prefix).
        :param custom_model_name: prefix of the custom model's name; letters, digits, ``-``, ``_``, at most 50.
        :param training_data_file: a local copy of the dataset, checked at synth (RFT record rules, record counts,
            prompts against ``max_prompt_length``). Default: not checked.
        :param validation_data_keys: keys of 0-10 validation JSONL files. Default: none.
        :param output_prefix: key prefix of the job's output. Default: ``<output prefix><custom_model_name>/``.
        :param hyperparameters: typed RFT hyperparameters, validated per base model. Default: Bedrock's defaults.
        :param custom_model_key: KMS key for the custom model. Default: AWS-owned key.
        :param service_role: the customization role Bedrock assumes. Default: a new ``BedrockServiceRole`` that
            reads the training and validation prefixes, writes the output prefix and may invoke the grader.
        :param tags: tags of the job and the custom model (at most 200). Default: none.
        :param topic: SNS topic for the job's outcome. Default: a new KMS-encrypted topic.
        :param timeout: execution timeout. Default: 3 days.
        :param models_file: a models file merged over the packaged knowledge base. Default: none.
        :param dataset_validator: a ``DatasetValidator`` of ``data_bucket`` run on the training data first (the
            uploaded object, through the same RFT rules as ``training_data_file``); an invalid dataset fails the
            execution, notified, before any job is created. Its rule for the key's dataset is added here
            (``add_dataset``: the key must be under ``<training prefix><dataset>/``). Default: no validation step.
        :param required_fields: record keys the reward function reads, required in every record by the dataset
            checks (synth and validator). Default: none.
        """
        super().__init__(scope, id)
        models = load_models(models_file)
        self.model_spec = models.resolve(base_model_id, prop="base_model_id")
        facts = self.model_spec.customization.get(RFT)
        if facts is None:
            self.model_spec.require(RFT)  # raises, naming what the model supports
        assert facts is not None
        stack = Stack.of(self)
        if facts.regions is not None and not Token.is_unresolved(stack.region) and stack.region not in facts.regions:
            raise ValueError(
                f"base_model_id {base_model_id}: reinforcement fine-tuning runs in {', '.join(facts.regions)}, "
                f"not in this stack's Region {stack.region} (override in a models file if that changed)"
            )
        tags = dict(tags or {})
        _check_props(custom_model_name, validation_data_keys, tags)
        self.hyperparameters = self._validated(hyperparameters or RftHyperparameters(), facts.hyperparameters)
        self.dataset_report = (
            None if training_data_file is None else self._check_file(training_data_file, required_fields)
        )
        data_bucket = _data_bucket(data_bucket, data_bucket_key, training_data_key, validation_data_keys)
        self.dataset_validator = dataset_validator
        if dataset_validator is not None:
            self._watch(dataset_validator, data_bucket, training_data_key, required_fields)
        self.custom_model_name_prefix = custom_model_name
        self.job_name_prefix = f"{custom_model_name}-rft"[:50]
        bucket = data_bucket.bucket
        output_prefix = output_prefix or f"{data_bucket.output_prefix}{custom_model_name}/"
        self.service_role = service_role or BedrockServiceRole(
            self,
            "ServiceRole",
            job_type=BedrockJobType.MODEL_CUSTOMIZATION,
            data_bucket=data_bucket,
            custom_model_key=custom_model_key,
            description=f"Assumed by Amazon Bedrock to train {custom_model_name} with reinforcement fine-tuning",
        )
        self.reward_function = reward_function
        if isinstance(reward_function, RewardFunction):
            reward_function.grant_invoke(self.service_role)
            grader_arn = reward_function.function_arn
        else:
            grader_arn = reward_function.function_arn
            iam.Grant.add_to_principal(
                grantee=self.service_role, actions=["lambda:InvokeFunction"], resource_arns=[grader_arn]
            )
        rft_config: dict[str, Any] = {"GraderConfig": {"LambdaGrader": {"LambdaArn": grader_arn}}}
        if self.hyperparameters:
            rft_config["HyperParameters"] = {k[0].upper() + k[1:]: v for k, v in self.hyperparameters.items()}
        request: dict[str, Any] = {
            "JobName.$": "$.jobName",
            "CustomModelName.$": "$.customModelName",
            "RoleArn": self.service_role.role_arn,
            "BaseModelIdentifier": facts.base_model_id or self.model_spec.model_id,
            "CustomizationType": RFT.value,
            "TrainingDataConfig": {"S3Uri": bucket.s3_url_for_object(training_data_key)},
            "OutputDataConfig": {"S3Uri": bucket.s3_url_for_object(output_prefix)},
            "CustomizationConfig": {"RftConfig": rft_config},
        }
        if validation_data_keys:
            request["ValidationDataConfig"] = {
                "Validators": [{"S3Uri": bucket.s3_url_for_object(k)} for k in validation_data_keys]
            }
        if custom_model_key is not None:
            request["CustomModelKmsKeyId"] = custom_model_key.key_arn
        if tags:
            tag_list = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
            request["JobTags"] = tag_list
            request["CustomModelTags"] = tag_list
        self.request = request
        self.topic = topic or self._new_topic()
        self.state_machine = self._state_machine(
            request, custom_model_key, timeout or Duration.days(3), bucket.s3_url_for_object(training_data_key)
        )
        Tags.of(self.state_machine).add(JOB_PREFIX_TAG, self.job_name_prefix)
        Tags.of(self.state_machine).add(MODEL_PREFIX_TAG, custom_model_name)

    def _check_file(self, path: str | Path, required_fields: Sequence[str]) -> ValidationReport:
        """The local copy of the dataset through the RFT rules of the validator core (``ValueError`` if invalid)."""
        report = validate_file(
            path,
            base_model=self.model_spec,
            customization_type=RFT,
            max_prompt_tokens=self.hyperparameters.get("maxPromptLength"),
            required_fields=required_fields,
        )
        if not report.valid:
            first = "; ".join(
                f"line {e.line}: {e.field + ': ' if e.field else ''}{e.message}" for e in report.errors[:5]
            )
            raise ValueError(f"training_data_file {path}: {report.error_count} errors: {first}")
        return report

    def _watch(
        self, validator: DatasetValidator, data_bucket: TrainingDataBucketBase, key: str, required_fields: Sequence[str]
    ) -> None:
        """Add the validator's RFT rule for the training key's dataset (``<training prefix><dataset>/``)."""
        if validator.data_bucket.bucket is not data_bucket.bucket:
            raise ValueError("dataset_validator must watch data_bucket, the bucket of training_data_key")
        dataset, _, rest = key.removeprefix(data_bucket.training_prefix).partition("/")
        if not key.startswith(data_bucket.training_prefix) or not rest:
            raise ValueError(
                f"training_data_key {key!r}: with a dataset_validator the key goes under "
                f"'{data_bucket.training_prefix}<dataset>/' (its rule is added for that dataset)"
            )
        validator.add_dataset(
            dataset, base_model=self.model_spec.model_id, customization_type=RFT, required_fields=required_fields
        )

    def _validated(self, hyperparameters: RftHyperparameters, specs: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, value in hyperparameters.to_api().items():
            spec = specs.get(name)
            if spec is None:
                allowed = ", ".join(specs) or "none"
                raise ValueError(
                    f"hyperparameter {name} is not one {self.model_spec.model_id} RFT takes; it takes: {allowed}"
                )
            text = spec.validate(value)
            values[name] = text if spec.type == "enum" else (int(text) if spec.type == "int" else float(text))
        return values

    def _new_topic(self) -> sns.Topic:
        key = kms.Key(self, "TopicKey", description="Encrypts the RFT notification topic", enable_key_rotation=True)
        return sns.Topic(
            self, "Notifications", display_name="Bedrock reinforcement fine-tuning", master_key=key, enforce_ssl=True
        )

    def _state_machine(
        self, request: dict[str, Any], custom_model_key: BedrockKmsKey | None, timeout: Duration, training_uri: str
    ) -> sfn.StateMachine:
        WORKFLOW_TIMEOUT_HOURS.check_hours("timeout", timeout)
        stack = Stack.of(self)
        create_job = sfn.CustomState(
            self,
            "CreateJob",
            state_json={
                "Type": "Task",
                "Comment": "Create the reinforcement fine-tuning job and wait for it (.sync)",
                "Resource": SYNC_RESOURCE.format(partition=stack.partition),
                "Parameters": request,
                "ResultPath": "$.job",
            },
        )
        create_job.add_retry(
            errors=["Bedrock.ThrottlingException"], interval=Duration.seconds(30), max_attempts=4, backoff_rate=2
        )
        notify_success = tasks.SnsPublish(
            self,
            "NotifySuccess",
            topic=self.topic,
            subject="Bedrock reinforcement fine-tuning job completed",
            message=sfn.TaskInput.from_object(
                {"jobName": sfn.JsonPath.string_at("$.jobName"), "job": sfn.JsonPath.object_at("$.job")}
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        notify_failure = tasks.SnsPublish(
            self,
            "NotifyFailure",
            topic=self.topic,
            subject="Bedrock reinforcement fine-tuning job failed",
            message=sfn.TaskInput.from_object(
                {"jobName": sfn.JsonPath.string_at("$.jobName"), "error": sfn.JsonPath.object_at("$.error")}
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        failed = sfn.Fail(self, "JobFailed", error="RftJobFailed", cause="The reinforcement fine-tuning job failed")
        create_job.add_catch(notify_failure.next(failed), errors=["States.ALL"], result_path="$.error")
        create_job.next(notify_success)
        start: sfn.IChainable = create_job
        if self.dataset_validator is not None:
            start = self._validation(training_uri, create_job, notify_failure)
        log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_YEAR)
        machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(sfn.Chain.start(start)),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=timeout,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        )
        self._grant_sync_task(machine, custom_model_key)
        if self.dataset_validator is not None:
            machine.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"], resources=[self.dataset_validator.function.function_arn]
                )
            )
        return machine

    def _validation(
        self, training_uri: str, create_job: sfn.IChainable, notify_failure: sfn.IChainable
    ) -> sfn.IChainable:
        """ValidateDataset (the validator Lambda on the uploaded training data) -> DatasetValid? -> the job, or the
        failure notification with the validator's report as the error."""
        assert self.dataset_validator is not None
        validate, invalid = validation_states(
            self,
            task_id="ValidateDataset",
            invalid_id="DatasetInvalid",
            function_arn=self.dataset_validator.function.function_arn,
            parameters={"uri": training_uri},
            comment="Validate the training data (dataset validator Lambda, RFT rules)",
            invalid_comment="The validator's report becomes the failure reason",
            on_error=notify_failure,
        )
        passed = sfn.Condition.string_equals("$.validation.status", "passed")
        return validate.next(sfn.Choice(self, "DatasetValid").when(passed, create_job).otherwise(invalid))

    def _grant_sync_task(self, machine: sfn.StateMachine, custom_model_key: BedrockKmsKey | None) -> None:
        """IAM for ``createModelCustomizationJob.sync``: create (on the base model), poll and stop the job."""
        stack = Stack.of(self)
        foundation_arns = [
            stack.format_arn(service="bedrock", resource="foundation-model", resource_name=m, account="")
            for m in sorted(set(self.model_spec.ids))
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
                actions=["bedrock:GetModelCustomizationJob", "bedrock:StopModelCustomizationJob"], resources=[job_arn]
            )
        )
        self.service_role.grant_pass_role(machine)
        if custom_model_key is not None:
            custom_model_key.grant_bedrock_use(machine)
        self.topic.grant_publish(machine)
        policy = machine.role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        if self.topic.master_key is not None:
            nag.acknowledge(
                policy,
                "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
                "publishing to the KMS-encrypted notification topic needs kms:GenerateDataKey* on that key only",
            )
        for arn, what in ((job_arn, "customization job"), (model_arn, "custom model")):
            nag.acknowledge(
                policy,
                nag.iam5_resource_finding(self, arn),
                f"{what} ARNs end in a Bedrock-generated id unknown until the job runs; the .sync integration "
                "creates, polls and (on abort) stops jobs of this account and Region only",
            )
        nag.acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray tracing and CloudWatch Logs delivery for Step Functions need resource '*' "
            "(xray:PutTraceSegments, logs:CreateLogDelivery and related APIs are not resource-scoped)",
        )

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start the job by hand (``bedrock-ops train``: it also reads the state machine's tags)."""
        grant = self.state_machine.grant_start_execution(grantee)
        self.state_machine.grant(grantee, "states:ListTagsForResource")
        self.state_machine.grant_execution(grantee, "states:DescribeExecution")
        return grant


def _check_props(custom_model_name: str, validation_data_keys: Sequence[str], tags: Mapping[str, str]) -> None:
    if not re.match(_NAME_RE, custom_model_name) or len(custom_model_name) > 50:
        raise ValueError(
            f"custom_model_name must be letters, digits, '-' or '_' (at most 50), got {custom_model_name!r}"
        )
    require_list(validation_data_keys, param="validation_data_keys", of="object keys")
    if len(validation_data_keys) > 10:
        raise ValueError(f"validation_data_keys: at most 10, got {len(validation_data_keys)}")
    if len(tags) > 200:
        raise ValueError(f"tags: at most 200, got {len(tags)}")


def _data_bucket(
    value: DataBucketLike, bucket_key: kms.IKey | None, training_data_key: str, validation_data_keys: Sequence[str]
) -> TrainingDataBucketBase:
    """``value`` as a data bucket (``data_bucket_of``) whose prefixes hold the training and validation keys."""
    data_bucket = data_bucket_of(value, encryption_key=bucket_key)
    for key in [training_data_key, *validation_data_keys]:
        prefix = data_bucket.training_prefix if key == training_data_key else data_bucket.validation_prefix
        if not Token.is_unresolved(key) and not key.startswith(prefix):
            raise ValueError(f"data key {key!r} must start with {prefix!r} (the prefix the service role reads)")
    return data_bucket
