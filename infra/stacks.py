"""The stacks of the default app, composed from ``bedrock_ops`` constructs and wired with grants."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_logs as logs

from bedrock_ops import (
    AlarmThresholds,
    BedrockJobType,
    BedrockKmsKey,
    BedrockMonitoring,
    BedrockServiceRole,
    InvocationLogging,
    MonitoredModel,
    TrainingDataBucket,
)
from constructs import Construct
from infra.config import AppConfig


class DataStack(Stack):
    """The secure data plane: the KMS key, the training data bucket and the Bedrock service roles."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        data = config.data
        removal = RemovalPolicy.RETAIN if data.removal_policy == "retain" else RemovalPolicy.DESTROY
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
        CfnOutput(self, "TrainingDataBucketName", value=self.data_bucket.bucket_name)
        CfnOutput(self, "DataKeyArn", value=self.key.key_arn)
        CfnOutput(self, "CustomizationRoleArn", value=self.customization_role.role_arn)
        CfnOutput(self, "EvaluationRoleArn", value=self.evaluation_role.role_arn)


class ObservabilityStack(Stack):
    """Model invocation logging (with ContentFilteredCount and saved queries), alarms and dashboards."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        logging_config = config.observability.invocation_logging
        monitoring_config = config.observability.monitoring
        removal = RemovalPolicy.RETAIN if config.data.removal_policy == "retain" else RemovalPolicy.DESTROY
        self.invocation_logging: InvocationLogging | None = None
        self.monitoring: BedrockMonitoring | None = None
        if logging_config.enabled:
            self.invocation_logging = InvocationLogging(
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
        if monitoring_config.enabled:
            alarms = monitoring_config.alarms
            self.monitoring = BedrockMonitoring(
                self,
                "Monitoring",
                models=[
                    MonitoredModel(m.model_id, latency_threshold_ms=m.latency_threshold_ms)
                    for m in monitoring_config.models
                ],
                thresholds=AlarmThresholds(
                    latency_ms=alarms.latency_ms,
                    latency_statistic=alarms.latency_statistic,
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
                model_prices={
                    m.model_id: (m.price_per_1k_input_tokens, m.price_per_1k_output_tokens)
                    for m in monitoring_config.models
                    if m.price_per_1k_input_tokens is not None and m.price_per_1k_output_tokens is not None
                },
                log_delivery_alarms=logging_config.enabled,
                invocation_log_group=self.invocation_logging.log_group if self.invocation_logging else None,
            )
            CfnOutput(self, "AlarmTopicArn", value=self.monitoring.alarm_topic.topic_arn)
        if self.invocation_logging is not None:
            if self.invocation_logging.log_group is not None:
                CfnOutput(self, "InvocationLogGroupName", value=self.invocation_logging.log_group.log_group_name)
            if self.invocation_logging.bucket is not None:
                CfnOutput(self, "InvocationLogBucketName", value=self.invocation_logging.bucket.bucket_name)


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
