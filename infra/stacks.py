"""The stacks of the default app, composed from ``bedrock_ops`` constructs and wired with grants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from bedrock_ops import (
    AlarmThresholds,
    BedrockJobType,
    BedrockKmsKey,
    BedrockMonitoring,
    BedrockServiceRole,
    CustomizationHyperparameters,
    CustomizationType,
    DatasetFormat,
    DatasetSplit,
    DatasetValidator,
    EvaluationGate,
    GitHubOidcDeployRoles,
    InvocationLogging,
    LocalDataset,
    LocalDatasets,
    ModelAccess,
    ModelCustomizationWorkflow,
    ModelEvaluation,
    MonitoredModel,
    ProvisionedThroughput,
    TrainingDataBucket,
    load_pricing_table,
)
from bedrock_ops.serving.inference_profile import ApplicationInferenceProfile
from bedrock_ops.serving.stable_endpoint import StableEndpoint
from constructs import Construct
from infra.config import (
    BATCH_TASK,
    AppConfig,
    CustomizationJobConfig,
    EvaluationConfig,
    InvocationLoggingConfig,
    MonitoredModelConfig,
    MonitoringConfig,
    feeds,
)

ROOT = Path(__file__).resolve().parent.parent


def _removal_policy(config: AppConfig) -> RemovalPolicy:
    """What happens to data-holding resources (buckets, keys, log groups) when a stack is deleted."""
    return RemovalPolicy.RETAIN if config.data.removal_policy == "retain" else RemovalPolicy.DESTROY


class DataStack(Stack):
    """The secure data plane: the KMS key, the training data bucket and the Bedrock service roles."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        data = config.data
        removal = _removal_policy(config)
        with feeds(config, "data", {"alias": "key_alias", "bucket_name": "bucket_name"}):
            self.key = BedrockKmsKey(
                self, "DataKey", alias=data.key_alias or f"alias/{config.project_name}", removal_policy=removal
            )
            self.data_bucket = TrainingDataBucket(
                self,
                "TrainingData",
                encryption_key=self.key,
                bucket_name=data.bucket_name,
                removal_policy=removal,
                noncurrent_version_expiration=Duration.days(data.noncurrent_version_expiration_days),
                abort_incomplete_multipart_upload_after=Duration.days(data.abort_incomplete_upload_days),
                access_log_retention=Duration.days(data.access_log_retention_days),
            )
        self.local_datasets, self.dataset_validator = _datasets(self, self.data_bucket, config)
        self.customization_role = BedrockServiceRole(
            self, "CustomizationRole", data_bucket=self.data_bucket, custom_model_key=self.key
        )
        self.evaluation_role = BedrockServiceRole(
            self,
            "EvaluationRole",
            job_type=BedrockJobType.EVALUATION,
            data_bucket=self.data_bucket,
            custom_model_key=self.key,
        )
        # Evaluation gates of customization jobs (another stack) name the bucket by this export: across stacks,
        # cdk-nag's finding ids depend on how a reference is exported, and an import renders as its name.
        gated = any(j.serving is not None and j.serving.gate is not None for j in config.customization.jobs)
        self.bucket_name_export: str | None = f"{self.stack_name}-TrainingDataBucketName" if gated else None
        CfnOutput(
            self,
            "TrainingDataBucketName",
            value=self.data_bucket.bucket_name,
            export_name=self.bucket_name_export,
        )
        CfnOutput(self, "DataKeyArn", value=self.key.key_arn)
        CfnOutput(self, "CustomizationRoleArn", value=self.customization_role.role_arn)
        CfnOutput(self, "EvaluationRoleArn", value=self.evaluation_role.role_arn)
        self.evaluations = add_evaluations(self, config, self.data_bucket)


def add_evaluations(stack: Stack, config: AppConfig, data_bucket: TrainingDataBucket) -> list[ModelEvaluation]:
    """The configured Bedrock model evaluation jobs, on ``data_bucket``'s ``evaluation/`` prefix.

    They live in the bucket's stack: the bucket's prefix grants are acknowledged there (across stacks, the
    cdk-nag finding ids depend on how references are exported). Each job starts when the stack deploys and
    publishes its outcome to its SNS topic (the ``<Name>TopicArn`` output: subscribe to it).
    """
    evaluations = []
    for index, spec in enumerate(config.evaluations):
        construct_id = "Evaluation" + "".join(part.capitalize() for part in spec.name.split("-"))
        with feeds(config, f"evaluations.{index}", _EVALUATION_PROPS):
            evaluation = _evaluation(stack, construct_id, spec, config, data_bucket)
        evaluations.append(evaluation)
        CfnOutput(stack, f"{construct_id}JobArn", value=evaluation.job_arn)
        CfnOutput(stack, f"{construct_id}TopicArn", value=evaluation.topic.topic_arn)
    return evaluations


#: ModelEvaluation's props, as its messages name them -> the keys of an ``evaluations`` item.
_EVALUATION_PROPS = {
    "evaluator_model": "evaluator_model",
    "flow_definition_arn": "flow_definition_arn",
    "human_metrics": "human_metrics",
    "judge_metrics": "judge_metrics",
    "inference_params": "inference_params",
    "datasets": "datasets",
    "job_name": "name",
    "models": "models",
}


def _evaluation(
    stack: Stack, construct_id: str, spec: EvaluationConfig, config: AppConfig, data_bucket: TrainingDataBucket
) -> ModelEvaluation:
    return ModelEvaluation(
        stack,
        construct_id,
        data_bucket=data_bucket,
        job_name=spec.name,
        models=spec.models_spec(),
        datasets=[d.to_dataset() for d in spec.datasets],
        evaluator_model=spec.evaluator_model,
        flow_definition_arn=spec.flow_definition_arn,
        human_metrics=spec.human_metrics_spec(),
        human_instructions=spec.human_instructions,
        judge_metrics=spec.judge_metrics_spec(),
        inference_params=spec.inference_params,
        description=spec.description,
        poll_interval=Duration.minutes(spec.poll_interval_minutes),
        run_id=spec.run_id,
        models_file=config.models_file,
    )


class CustomizationStack(Stack):
    """One Step Functions workflow per configured model customization job, notifying one topic."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, data: DataStack, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.workflows: list[ModelCustomizationWorkflow] = []
        for index, job in enumerate(config.customization.jobs):
            with feeds(config, f"customization.jobs.{index}", _JOB_PROPS):
                workflow = self._workflow(job, config, data)
            self.workflows.append(workflow)
            CfnOutput(
                self,
                f"{job.name}StateMachineArn",
                value=workflow.state_machine.state_machine_arn,
                description=f"Start a {job.name} job by hand: make train STATE_MACHINE_ARN=<this>",
            )
        if self.workflows:
            CfnOutput(self, "NotificationTopicArn", value=self.workflows[0].topic.topic_arn)

    def _workflow(self, job: CustomizationJobConfig, config: AppConfig, data: DataStack) -> ModelCustomizationWorkflow:
        endpoint = None
        if job.serving is not None:
            serving = job.serving
            gate = None
            if serving.gate is not None:
                spec = serving.gate
                assert data.bucket_name_export is not None  # the data stack exports the name when a job is gated
                gate = EvaluationGate(
                    self,
                    f"{job.name}Gate",
                    datasets=[d.to_dataset() for d in spec.datasets],
                    thresholds=spec.thresholds,
                    output_bucket=s3.Bucket.from_bucket_attributes(
                        self,
                        f"{job.name}GateBucket",
                        bucket_name=Fn.import_value(data.bucket_name_export),
                        encryption_key=data.key,
                    ),
                    must_beat_current=spec.must_beat_current,
                    evaluator_model=spec.evaluator_model,
                    judge_metrics=spec.judge_metrics_spec(),
                    inference_params=spec.inference_params,
                    timeout=Duration.hours(spec.timeout_hours),
                    poll_interval=Duration.minutes(spec.poll_interval_minutes),
                    models_file=config.models_file,
                )
            endpoint = StableEndpoint(
                self,
                f"{job.name}Endpoint",
                base_model_id=job.base_model,
                kind=serving.kind,
                endpoint_name=serving.endpoint_name or job.name,
                model_units=serving.model_units,
                commitment=serving.commitment,
                acknowledge_commitment_cost=serving.acknowledge_commitment_cost,
                custom_model_removal_policy=(
                    RemovalPolicy.DESTROY if serving.custom_model_removal_policy == "destroy" else RemovalPolicy.RETAIN
                ),
                models_file=config.models_file,
                evaluation_gate=gate,
                candidate_model_units=serving.candidate_model_units,
                acknowledge_candidate_cost=serving.acknowledge_candidate_cost,
            )
        return ModelCustomizationWorkflow(
            self,
            job.name,
            base_model_id=job.base_model,
            customization_type=CustomizationType(job.customization_type),
            data_bucket=data.data_bucket,
            training_data_key=job.training_data_key,
            validation_data_keys=job.validation_data_keys,
            media_prefixes=job.media_prefixes,
            training_data_file=ROOT / job.training_data_file if job.training_data_file else None,
            custom_model_name=job.name,
            hyperparameters=CustomizationHyperparameters.from_api(job.hyperparameters),
            teacher_model_id=job.teacher_model,
            max_response_length=job.max_response_length,
            custom_model_key=data.key,
            service_role=data.customization_role,
            tags=job.tags,
            topic=self.workflows[0].topic if self.workflows else None,
            removal_policy=RemovalPolicy.DESTROY if job.removal_policy == "destroy" else RemovalPolicy.RETAIN,
            start_on_deploy=job.start_on_deploy,
            start_on_new_data=job.start_on_new_data,
            models_file=config.models_file,
            dataset_validator=(
                data.dataset_validator.handler.function
                if job.validate_dataset and data.dataset_validator is not None
                else None
            ),
            timeout=Duration.hours(job.timeout_hours),
            serving=endpoint,
        )


#: ModelCustomizationWorkflow's props, as its messages name them -> the keys of a ``customization.jobs`` item.
_JOB_PROPS = {
    "training_data_file": "training_data_file",
    "training data": "training_data_file",
    "training_data_key": "training_data_key",
    "validation_data_keys": "validation_data_keys",
    "teacher_model_id": "teacher_model",
    "teacher": "teacher_model",
    "max_response_length": "max_response_length",
    "hyperparameter": "hyperparameters",
    "custom_model_name": "name",
    "customization_type": "customization_type",
    "base_model_id": "base_model",
    "base_model": "base_model",
    "acknowledge_candidate_cost": "serving.acknowledge_candidate_cost",
    "thresholds": "serving.gate.thresholds",
    "datasets": "serving.gate.datasets",
    "evaluator_model": "serving.gate.evaluator_model",
    "poll_interval": "serving.gate.poll_interval_minutes",
    "timeout": "timeout_hours",
    "serving": "serving",
}


def _datasets(
    scope: Construct, data_bucket: TrainingDataBucket, app_config: AppConfig
) -> tuple[LocalDatasets | None, DatasetValidator | None]:
    """Validate the local datasets (an invalid one stops the synth), upload them, watch the bucket."""
    config, models_file = app_config.datasets, app_config.models_file
    local = [
        LocalDataset(
            name=d.name,
            path=Path(d.path),
            base_model=d.base_model,
            customization_type=CustomizationType.FINE_TUNING if batch else CustomizationType.parse(d.task),
            split=DatasetSplit(d.split),
            dataset_format=DatasetFormat.BATCH_RECORDS if batch else None,
        )
        for d in config.local
        for batch in (d.task == BATCH_TASK,)
    ]
    uploads = None
    if local:  # an error names the file: the key path is that of the first entry it names
        by_file = {d.path: f"{i}.path" for i, d in enumerate(config.local)}
        with feeds(
            app_config, "datasets.local", {**by_file, **{repr(d.name): str(i) for i, d in enumerate(config.local)}}
        ):
            uploads = LocalDatasets(
                scope, "LocalDatasets", data_bucket=data_bucket, datasets=local, models_file=models_file
            )
    validator = None
    if config.validator.enabled:
        with feeds(app_config, "datasets.validator", {"max_errors": "max_errors", "base_model": "base_model"}):
            validator = DatasetValidator(
                scope,
                "DatasetValidator",
                data_bucket=data_bucket,
                base_model=config.validator.base_model,
                customization_type=CustomizationType.parse(config.validator.task),
                models_file=models_file,
                max_errors=config.validator.max_errors,
            )
        for dataset in local:  # objects under a local dataset's name are checked against its own model
            if dataset.batch:
                validator.add_batch_input(dataset.key_prefix(data_bucket), model=dataset.base_model)
            else:
                validator.add_dataset(
                    dataset.name, base_model=dataset.base_model, customization_type=dataset.customization_type
                )
    return uploads, validator


class ObservabilityStack(Stack):
    """Model invocation logging (with ContentFilteredCount and saved queries), alarms and dashboards."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        logging_config = config.observability.invocation_logging
        monitoring_config = config.observability.monitoring
        removal = _removal_policy(config)
        self.models_file = config.models_file
        self.invocation_logging: InvocationLogging | None = None
        self.monitoring: BedrockMonitoring | None = None
        if logging_config.enabled:
            with feeds(config, "observability.invocation_logging", _LOGGING_PROPS):
                self.invocation_logging = self._logging(logging_config, removal)
        self.inference_profiles = [
            ApplicationInferenceProfile(
                self,
                f"Profile-{p.name.replace(' ', '-')}",
                inference_profile_name=p.name,
                model_source=p.model_source,
                cost_allocation_tags=p.tags,
                description=p.description,
            )
            for p in monitoring_config.inference_profiles
        ]
        for profile in self.inference_profiles:
            CfnOutput(
                self,
                f"InferenceProfileArn-{profile.display_name.replace(' ', '-')}",
                value=profile.inference_profile_arn,
            )
        if monitoring_config.enabled:
            with feeds(config, "observability.monitoring", _MONITORING_PROPS):
                self.monitoring = self._monitoring(monitoring_config, logging_config.enabled)
            CfnOutput(self, "AlarmTopicArn", value=self.monitoring.alarm_topic.topic_arn)
        if self.invocation_logging is not None:
            if self.invocation_logging.log_group is not None:
                CfnOutput(self, "InvocationLogGroupName", value=self.invocation_logging.log_group.log_group_name)
            if self.invocation_logging.bucket is not None:
                CfnOutput(self, "InvocationLogBucketName", value=self.invocation_logging.bucket.bucket_name)

    def _logging(self, logging_config: InvocationLoggingConfig, removal: RemovalPolicy) -> InvocationLogging:
        return InvocationLogging(
            self,
            "InvocationLogging",
            cloud_watch_logs=logging_config.cloud_watch_logs,
            s3_bucket=logging_config.s3,
            large_data_delivery=logging_config.large_data_delivery,
            text_data=logging_config.text_data,
            image_data=logging_config.image_data,
            embedding_data=logging_config.embedding_data,
            video_data=logging_config.video_data,
            log_group_name=logging_config.log_group_name,
            log_retention=_retention(logging_config.log_retention_days),
            adopt_existing=logging_config.adopt_existing,
            removal_policy=removal,
        )

    def _monitoring(self, monitoring_config: MonitoringConfig, log_delivery_alarms: bool) -> BedrockMonitoring:
        alarms = monitoring_config.alarms
        return BedrockMonitoring(
            self,
            "Monitoring",
            models=[
                MonitoredModel(m.model_id, latency_threshold_ms=m.latency_threshold_ms, alarms=m.alarms)
                for m in monitoring_config.models
            ],
            fleet_alarms=monitoring_config.fleet_alarms,
            per_model_alarms=monitoring_config.per_model_alarms,
            tpm_quotas=monitoring_config.tpm_quotas,
            default_tpm_quota=monitoring_config.default_tpm_quota,
            inference_profiles=self.inference_profiles,
            thresholds=AlarmThresholds(
                latency_ms=alarms.latency_ms,
                latency_statistic=alarms.latency_statistic,
                fleet_latency_function=alarms.fleet_latency_function,
                time_to_first_token_ms=alarms.time_to_first_token_ms,
                quota_usage_percent=alarms.quota_usage_percent,
                content_filtered_count=alarms.content_filtered_count,
                throttles=alarms.throttles,
                server_errors=alarms.server_errors,
                log_delivery_failures=alarms.log_delivery_failures,
                period_minutes=alarms.period_minutes,
                evaluation_periods=alarms.evaluation_periods,
                datapoints_to_alarm=alarms.datapoints_to_alarm,
            ),
            alarm_name_prefix=monitoring_config.alarm_name_prefix,
            dashboard_name_prefix=monitoring_config.dashboard_name_prefix,
            alarm_emails=monitoring_config.alarm_emails,
            model_prices=_token_prices(monitoring_config),
            log_delivery_alarms=log_delivery_alarms,
            invocation_log_group=self.invocation_logging.log_group if self.invocation_logging else None,
            models_file=self.models_file,
        )


#: InvocationLogging's props, as its messages name them -> keys of ``observability.invocation_logging``.
_LOGGING_PROPS = {
    "log_group_name": "log_group_name",
    "log_retention": "log_retention_days",
    "large_data_delivery": "large_data_delivery",
    "adopt_existing": "adopt_existing",
    "cloud_watch_logs": "cloud_watch_logs",
    "s3_bucket": "s3",
}
#: BedrockMonitoring's props, as its messages name them -> keys of ``observability.monitoring``.
_MONITORING_PROPS = {
    "alarm_emails": "alarm_emails",
    "alarm_name_prefix": "alarm_name_prefix",
    "dashboard_name_prefix": "dashboard_name_prefix",
    "model_prices": "models",
    "thresholds": "alarms",
    "models": "models",
    "model": "models",
}


def _token_prices(monitoring: MonitoringConfig) -> dict[str, tuple[float, float]]:
    """USD per 1,000 (input, output) tokens per monitored model: the configuration's own figures, else the
    dated pricing table (``bedrock_ops.cost.pricing``); models priced in neither get no cost widget."""
    table = load_pricing_table(monitoring.pricing_file)
    prices: dict[str, tuple[float, float]] = {}
    sources = [p.model_source for p in monitoring.inference_profiles]
    for model in [*monitoring.models, *(MonitoredModelConfig(model_id=m) for m in sources)]:
        if model.price_per_1k_input_tokens is not None and model.price_per_1k_output_tokens is not None:
            prices[model.model_id] = (model.price_per_1k_input_tokens, model.price_per_1k_output_tokens)
            continue
        price = table.price(model.model_id)
        if price is not None and price.input_per_1k_tokens is not None and price.output_per_1k_tokens is not None:
            prices[model.model_id] = (price.input_per_1k_tokens, price.output_per_1k_tokens)
    return prices


_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def _retention(days: int) -> logs.RetentionDays:
    """The RetentionDays member for a number of days (the config allows only these values)."""
    return _RETENTION[days]


class ModelServingStack(Stack):
    """Model access for the configured foundation models and, when enabled, a provisioned throughput."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        access = config.model_access
        self.model_access: ModelAccess | None = None
        if access.enabled:
            with feeds(
                config, "model_access", {"use_case_form": "use_case_form", "models": "models", "model": "models"}
            ):
                self.model_access = ModelAccess(
                    self,
                    "ModelAccess",
                    models=access.models,
                    use_case_form=access.use_case_form.form_data() if access.use_case_form else None,
                    accept_agreements=access.accept_agreements,
                    models_file=config.models_file,
                )
        pt = config.provisioned_throughput
        self.provisioned_throughput: ProvisionedThroughput | None = None
        if pt.enabled:
            with feeds(config, "provisioned_throughput", _THROUGHPUT_PROPS):
                self.provisioned_throughput = ProvisionedThroughput(
                    self,
                    "ProvisionedThroughput",
                    model=pt.model_id,
                    base_model_id=pt.base_model_id,
                    model_units=pt.model_units,
                    commitment=pt.commitment,
                    provisioned_model_name=pt.name or f"{config.project_name}-pt",
                    acknowledge_commitment_cost=pt.acknowledge_commitment_cost,
                    pricing_table=load_pricing_table(pt.pricing_file),
                    models_file=config.models_file,
                )
            CfnOutput(self, "ProvisionedModelArn", value=self.provisioned_throughput.provisioned_model_arn)


#: ProvisionedThroughput's props, as its messages name them -> keys of ``provisioned_throughput``; the
#: first match wins (the cost guard's message names the commitment, the model and the acknowledgment).
_THROUGHPUT_PROPS = {
    "acknowledge_commitment_cost": "acknowledge_commitment_cost",
    "pricing": "pricing_file",
    "model_units": "model_units",
    "base_model_id": "base_model_id",
    "provisioned_model_name": "name",
    "commitment": "commitment",
    "model": "model_id",
}


class GitHubDeployStack(Stack):
    """The GitHub OIDC provider and the roles the GitHub Actions workflow assumes to diff and deploy."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        github = config.github
        assert github is not None
        with feeds(config, "github", {"repository": "repository", "branch": "branch", "provider_arn": "provider_arn"}):
            self.roles = GitHubOidcDeployRoles(
                self, "GitHub", repository=github.repository, branch=github.branch, provider_arn=github.provider_arn
            )
        CfnOutput(self, "DeployRoleArn", value=self.roles.deploy_role.role_arn)
        CfnOutput(self, "DiffRoleArn", value=self.roles.diff_role.role_arn)
