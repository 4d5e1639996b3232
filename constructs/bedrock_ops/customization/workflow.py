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

Everything the user declares is validated at synth against the model knowledge base (``definition.py``): the
customization type the base model supports, the dataset format the type takes, each hyperparameter's range,
the teacher/student pair; the request names the base model as the fine-tuning table documents it.
The state machine is built in ``_state_machine.py``, its IAM in ``_permissions.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import (
    CustomResource,
    Duration,
    Names,
    RemovalPolicy,
    Stack,
    Tags,
)
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn

from bedrock_ops._core import nag
from bedrock_ops._core.enums import parse_enum
from bedrock_ops._core.functions import HandlerFunction
from bedrock_ops._core.ordering import reads_on_deploy
from bedrock_ops._core.providers import singleton_provider
from bedrock_ops.customization._permissions import grant_job_read, grant_trigger
from bedrock_ops.customization._state_machine import SYNC_RESOURCE, build_state_machine
from bedrock_ops.customization.definition import (
    HASH_SUFFIX,
    MAX_NAME,
    MODEL_NAME_RE,
    CustomizationHyperparameters,
    check_counts,
    check_distillation,
    check_media_readable,
    check_name,
    check_prefixes,
    check_teacher,
    detect_file_format,
    job_base_model_id,
    job_definition,
    training_file_format,
    validate_job_definition,
)
from bedrock_ops.data.kms import BedrockKmsKey
from bedrock_ops.data.training_bucket import DataBucketLike, TrainingDataBucketBase, data_bucket_of
from bedrock_ops.models.facts import CustomizationType, DatasetFormat
from bedrock_ops.models.knowledge import load_models
from bedrock_ops.roles.service_role import BedrockJobType, BedrockServiceRole
from bedrock_ops.serving.stable_endpoint import StableEndpoint
from constructs import Construct

__all__ = [
    "SYNC_RESOURCE",
    "CustomizationHyperparameters",
    "ModelCustomizationWorkflow",
    "detect_file_format",
    "validate_job_definition",
]

JOB_PREFIX_TAG = "bedrock-ops:job-name-prefix"
MODEL_PREFIX_TAG = "bedrock-ops:model-name-prefix"
STATE_CHANGE_DETAIL_TYPE = "Model Customization Job State Change"


class ModelCustomizationWorkflow(Construct):
    """A Bedrock model customization job declared as code and run by Step Functions.

    Attributes: ``state_machine``, ``topic``, ``alarm``, ``state_change_rule``, ``service_role``,
    ``job_name_prefix``, ``custom_model_name_prefix``, ``model_spec``, ``base_model_identifier`` (the
    ``baseModelIdentifier`` sent: the id the knowledge base documents for the customization type),
    ``hyperparameters`` (validated API strings), ``request`` (the Step Functions parameters of the
    create-job state), ``trigger`` (the deploy-time custom resource, ``None`` when
    ``start_on_deploy=False``), ``data_trigger`` (the function started by validated new data, ``None``
    unless ``start_on_new_data=True``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        base_model_id: str,
        customization_type: CustomizationType | str,
        data_bucket: DataBucketLike,
        training_data_key: str,
        custom_model_name: str,
        data_bucket_key: kms.IKey | None = None,
        training_data_format: DatasetFormat | str | None = None,
        training_data_file: str | Path | None = None,
        validation_data_keys: Sequence[str] = (),
        media_prefixes: Sequence[str] = (),
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
        serving: StableEndpoint | None = None,
        topic: sns.ITopic | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        start_on_deploy: bool = True,
        start_on_new_data: bool = False,
        timeout: Duration | None = None,
        models_file: str | Path | None = None,
    ) -> None:
        """Declare the job and its workflow.

        :param base_model_id: model to customize: any id of it (plain, context variant, ARN); the request
            sends the ``baseModelIdentifier`` the knowledge base documents for the customization type (the
            fine-tuning table's context variant, e.g. ``amazon.nova-micro-v1:0`` -> ``amazon.nova-micro-v1:0:128k``).
        :param customization_type: FINE_TUNING, CONTINUED_PRE_TRAINING or DISTILLATION (a ``CustomizationType``
            or its value or name: ``"FINE_TUNING"``, ``"fine-tuning"``); must be one the base model supports.
        :param data_bucket: the bucket holding training, validation and output data.
            A ``TrainingDataBucket``, ``TrainingDataBucket.from_bucket_name/from_bucket_attributes(...)`` or any
            ``s3.IBucket`` (with the default prefixes, ``DataPrefixes()``).
        :param data_bucket_key: the KMS key of an ``s3.IBucket`` ``data_bucket`` (default: the bucket's own
            ``encryption_key``; none for ``s3.Bucket.from_bucket_name``: SSE-S3).
        :param training_data_key: object key of the training JSONL in ``data_bucket``.
        :param custom_model_name: prefix of the custom model's name (a ``-<definition hash>``
            suffix is appended); letters, digits, ``-`` and ``_``, at most 50 characters.
        :param training_data_format: format of the training data (a ``DatasetFormat`` or its value or name),
            checked against the type.
            Default: detected from ``training_data_file`` if given, otherwise not checked.
        :param training_data_file: local copy of the training data (first record read at synth
            to detect its format). Default: none.
        :param validation_data_keys: keys of 0-10 validation JSONL files. Default: none.
        :param media_prefixes: key prefixes of ``data_bucket`` holding the images and videos a Nova dataset
            references (Nova reads media only from the dataset's bucket); the service role gets
            ``s3:GetObject`` on the objects under them. Default: none (media under the training and validation
            prefixes are readable already; a ``training_data_file`` referencing media elsewhere is an error).
        :param output_prefix: key prefix for the job's output. Default:
            ``<bucket output prefix><custom_model_name>/``.
        :param hyperparameters: typed hyperparameters, validated per base model. Default: none set
            (Bedrock's defaults).
        :param teacher_model_id: DISTILLATION only (required there): the teacher, one the knowledge base documents
            for the student; a teacher invoked only through cross-Region inference profiles (Nova Premier, Llama
            3.3 70B) must be given as one (``us.amazon.nova-premier-v1:0``), which gives the service role
            ``bedrock:InvokeModel`` on the profile and on its model in every Region.
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
        :param serving: a :class:`~bedrock_ops.StableEndpoint` of the same base model: after the success hooks,
            each new model is promoted behind it (created the first time, then swapped in place or replaced; the
            previous model is kept in its record for ``bedrock-ops rollback``), and the promotion is announced on
            the endpoint's topic. A failed job promotes nothing. With the endpoint's ``evaluation_gate``, the model
            is first evaluated on a candidate throughput, deleted afterwards (also when an execution is aborted,
            times out or fails), and promoted only if it passed. Default: none (models are only trained).
        :param topic: SNS topic for notifications. Default: a new KMS-encrypted topic.
        :param removal_policy: what deleting the stack (or replacing the job) does to trained custom
            models. Default: ``RETAIN`` (models are kept); ``DESTROY`` stops the job and deletes them.
        :param start_on_deploy: start the workflow on deploy when the definition changed. Default:
            True. When False, start it by hand (``bedrock-ops train``).
        :param start_on_new_data: also start the workflow when a new version of the training data is
            tagged ``bedrock-ops:validation=passed`` by the project's dataset validator (S3 "Object Tags
            Added" event) and the data changed since the last job. Default: False.
        :param timeout: execution timeout, 1-8760 hours (the ``timeout_hours`` bound of the configuration; the
            alarm fires on timed-out executions). Default: 3 days.
        :param models_file: a models file merged over the packaged knowledge base. Default: none.
        """
        super().__init__(scope, id)
        customization_type, training_data_format = _job_types(customization_type, training_data_format)
        data_bucket = data_bucket_of(data_bucket, encryption_key=data_bucket_key)
        models = load_models(models_file)
        self.model_spec = models.resolve(base_model_id, prop="base_model_id")
        hyperparameters = hyperparameters or CustomizationHyperparameters()
        if training_data_format is None and training_data_file is not None:
            training_data_format = training_file_format(training_data_file)
        self.hyperparameters = validate_job_definition(
            self.model_spec,
            customization_type=customization_type,
            dataset_format=training_data_format,
            hyperparameters=hyperparameters,
        )
        check_name("custom_model_name", custom_model_name, MODEL_NAME_RE)
        check_distillation(customization_type, teacher_model_id, max_response_length)
        teacher = check_teacher(models, self.model_spec, teacher_model_id) if teacher_model_id else None
        self.base_model_identifier = job_base_model_id(self.model_spec, customization_type, base_model_id)
        check_counts(
            validation_data_keys, tags or {}, vpc, security_groups, media_prefixes=media_prefixes, timeout=timeout
        )
        self.customization_type = customization_type
        self.removal_policy = removal_policy
        self.serving = _check_serving(serving, self.model_spec.model_id)
        self.custom_model_name_prefix = custom_model_name
        self.job_name_prefix = Names.unique_resource_name(
            self, max_length=MAX_NAME - HASH_SUFFIX, separator="-"
        ).lower()

        bucket = data_bucket.bucket
        output_prefix = output_prefix or f"{data_bucket.output_prefix}{custom_model_name}/"
        check_prefixes(data_bucket, training_data_key, validation_data_keys, output_prefix)
        self.service_role = service_role or BedrockServiceRole(
            self,
            "ServiceRole",
            job_type=BedrockJobType.MODEL_CUSTOMIZATION,
            data_bucket=data_bucket,
            custom_model_key=custom_model_key,
            description=f"Assumed by Amazon Bedrock to train {custom_model_name} custom models",
        )
        self._media_access(data_bucket, training_data_file, media_prefixes)
        subnet_ids, group_ids = self._vpc_config(vpc, vpc_subnets, security_groups)

        # The request sent to Bedrock; names come from the execution input (hash-suffixed).
        definition = job_definition(
            base_model_id=self.base_model_identifier,
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
        grant_job_read(self, status_fn.role)

        self.state_machine = build_state_machine(
            self,
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
            serving=self.serving,
            base_model_id=self.base_model_identifier,
            teacher=teacher,
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

    def _media_access(
        self, data_bucket: TrainingDataBucketBase, training_data_file: str | Path | None, media_prefixes: Sequence[str]
    ) -> None:
        """Nova reads a dataset's images and videos from the dataset's bucket with the service role: grant the
        media prefixes, and check that the local training file references no medium outside what it reads."""
        if training_data_file is not None:
            readable = [data_bucket.training_prefix, data_bucket.validation_prefix, *media_prefixes]
            check_media_readable(training_data_file, readable)
        if media_prefixes:
            data_bucket.grant_read_media(self.service_role, media_prefixes)

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

    def _trigger(
        self,
        *,
        definition: dict[str, Any],
        bucket_name: str,
        data_keys: list[str],
        bucket: TrainingDataBucketBase,
    ) -> CustomResource:
        stack = Stack.of(self)
        handle = singleton_provider(
            self,
            kind="ModelCustomization",
            handler="customization_trigger",
            description="Starts a Bedrock customization workflow when its job definition changes",
        )
        role = handle.on_event_role
        grant_trigger(self, role, bucket, data_keys)
        if self.removal_policy == RemovalPolicy.DESTROY:
            job_arn = stack.format_arn(service="bedrock", resource="model-customization-job", resource_name="*")
            model_arn = stack.format_arn(service="bedrock", resource="custom-model", resource_name="*")
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["bedrock:StopModelCustomizationJob"], resources=[job_arn])
            )
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["bedrock:DeleteCustomModel"], resources=[model_arn])
            )
            nag.acknowledge(
                role,
                nag.iam5_resource_finding(self, model_arn),
                "custom model ARNs end in a Bedrock-generated id unknown until the job completes; with "
                "removal_policy DESTROY the trigger deletes the models it trained (by name)",
            )
        trigger = handle.resource(
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
        reads_on_deploy(bucket.bucket, trigger)  # after the LocalDatasets upload of the same bucket
        return trigger

    def _data_trigger(
        self, *, definition: dict[str, Any], bucket: TrainingDataBucketBase, data_keys: list[str]
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
        grant_trigger(self, function.role, bucket, data_keys)
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


def _job_types(
    customization_type: CustomizationType | str, training_data_format: DatasetFormat | str | None
) -> tuple[CustomizationType, DatasetFormat | None]:
    """The enum-typed props read as their enums (``parse_enum``: the member, its value or its name)."""
    ctype = parse_enum(CustomizationType, customization_type, param="customization_type")
    if ctype is CustomizationType.REINFORCEMENT_FINE_TUNING:  # needs a grader: rftConfig
        raise ValueError("customization_type REINFORCEMENT_FINE_TUNING: use ReinforcementFineTuningWorkflow")
    if training_data_format is None:
        return ctype, None
    return ctype, parse_enum(DatasetFormat, training_data_format, param="training_data_format")


def _check_serving(serving: StableEndpoint | None, model_id: str) -> StableEndpoint | None:
    """``serving`` must serve custom models of the base model this workflow trains."""
    if serving is not None and serving.base_model_id != model_id:
        raise ValueError(
            f"serving: the stable endpoint serves custom models of {serving.base_model_id}, but this workflow "
            f"trains {model_id}: give a StableEndpoint(base_model_id={model_id!r})"
        )
    return serving
