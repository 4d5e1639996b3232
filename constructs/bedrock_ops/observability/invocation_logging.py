"""InvocationLogging: Amazon Bedrock model invocation logging as code (one per account and Region)."""

from __future__ import annotations

import re

from aws_cdk import ArnFormat, CustomResource, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from bedrock_ops._core import buckets, nag
from bedrock_ops._core.providers import singleton_provider
from bedrock_ops.data.kms import BedrockKmsKey
from bedrock_ops.observability.content_filter import ContentFilteredCountMetricFilter, content_filtered_insights_filter
from bedrock_ops.observability.metrics import PROJECT_NAMESPACE, BedrockLoggingMetrics, BedrockOpsMetrics
from constructs import Construct

#: The log stream Bedrock writes to inside the log group.
BEDROCK_LOG_STREAM = "aws/bedrock/modelinvocations"
#: Where the custom resource keeps the configuration to restore on delete (see lambda/invocation_logging).
STATE_PARAMETER_NAME = "/bedrock-ops/invocation-logging/previous-configuration"
_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$")
_LOG_GROUP_NAME = re.compile(r"^[\w.#/-]{1,512}$")


class IInvocationLogging(Construct):
    """Model invocation logging, created here (:class:`InvocationLogging`) or configured elsewhere
    (:meth:`InvocationLogging.from_logging_attributes`): its destinations, reading them and its metrics."""

    log_group: logs.ILogGroup | None
    """The CloudWatch Logs destination (None without one)."""
    bucket: s3.IBucket | None
    """The S3 destination (None without one)."""
    encryption_key: kms.IKey | None
    """The key of the destinations (None: not known)."""
    key_prefix: str
    """The S3 key prefix of log records."""
    content_filter_namespace: str
    """Namespace of ``ContentFilteredCount``."""
    _readable_objects = "*"
    """The objects ``grant_read_logs`` grants (an import: those under its key prefix)."""

    def metric_content_filtered_count(self, model_id: str, **options: object) -> cloudwatch.Metric:
        """``ContentFilteredCount`` of one model (Sum, 5 minutes)."""
        metrics = BedrockOpsMetrics(model_id, namespace=self.content_filter_namespace)
        return metrics.metric_content_filtered_count(**options)

    def metric_cloud_watch_delivery_failure(self, **options: object) -> cloudwatch.Metric:
        """Records Bedrock could not deliver to CloudWatch Logs (Sum, account-wide)."""
        return BedrockLoggingMetrics().metric_cloud_watch_delivery_failure(**options)

    def metric_s3_delivery_failure(self, **options: object) -> cloudwatch.Metric:
        """Records Bedrock could not deliver to S3 (Sum, account-wide)."""
        return BedrockLoggingMetrics().metric_s3_delivery_failure(**options)

    def grant_read_logs(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read the invocation logs: the log group (Logs Insights queries included) and the bucket, with the key.

        Only actions that apply to a log group or its streams are granted on it (Service Authorization Reference):
        ``logs:DescribeLogGroups`` and ``logs:StopQuery``, which take no resource type and which
        ``LogGroup.grant_read`` and earlier versions granted on the log group, where they never applied, are
        not granted."""
        grants: list[iam.Grant] = []
        if self.log_group is not None:
            grants.append(
                iam.Grant.add_to_principal(
                    grantee=grantee,
                    actions=[
                        "logs:FilterLogEvents",
                        "logs:GetLogEvents",
                        "logs:GetLogGroupFields",
                        "logs:DescribeLogStreams",
                        "logs:StartQuery",
                        "logs:GetQueryResults",
                    ],
                    resource_arns=[self.log_group.log_group_arn],
                )
            )
        if self.bucket is not None:
            grants.append(self.bucket.grant_read(grantee, self._readable_objects))
        if self.encryption_key is not None:
            grants.append(self.encryption_key.grant_decrypt(grantee))
        combined = grants[0]
        for grant in grants[1:]:
            combined = combined.combine(grant)
        return combined


class InvocationLogging(IInvocationLogging):
    """Bedrock model invocation logging to CloudWatch Logs and/or S3, switched on by a custom resource.

    CloudFormation has no resource for it (aws/aws-cdk#31478). What this creates:

    - CloudWatch Logs destination: a KMS-encrypted log group with retention, and a delivery role that
      ``bedrock.amazonaws.com`` may assume only for this account (``aws:SourceAccount``) and its Bedrock
      resources in this Region (``aws:SourceArn``), allowed only ``logs:CreateLogStream`` and
      ``logs:PutLogEvents`` on Bedrock's stream ``aws/bedrock/modelinvocations``;
    - S3 destination (and large-data delivery of bodies over 100 KB and binary data): a KMS-encrypted,
      SSL-only bucket with ACLs disabled, versioning and access logs; its bucket policy lets
      ``bedrock.amazonaws.com`` put objects only under ``<prefix>/AWSLogs/<account>/BedrockModelInvocationLogs/``
      (and the large-data prefix) with the same two conditions; the key lets Bedrock generate data keys under
      the same conditions;
    - the ``ContentFilteredCount`` metric filter and Logs Insights saved queries on the log group;
    - a ``Custom::BedrockInvocationLogging`` resource that puts the configuration. A configuration that this
      stack did not create fails the deployment unless ``adopt_existing=True``; on delete the configuration
      found before is restored (or logging switched off if there was none).

    Only one per account and Region: a second ``InvocationLogging`` in the same app environment fails the
    synth. Stacks without an explicit environment count as "any environment".
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cloud_watch_logs: bool = True,
        s3_bucket: bool = True,
        large_data_delivery: bool = True,
        text_data: bool = True,
        image_data: bool = True,
        embedding_data: bool = True,
        video_data: bool = True,
        encryption_key: kms.IKey | None = None,
        log_group_name: str = "/bedrock-ops/model-invocations",
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        bucket_name: str | None = None,
        key_prefix: str = "invocation-logs",
        large_data_prefix: str = "invocation-logs-large-data",
        access_log_bucket: s3.IBucket | None = None,
        adopt_existing: bool = False,
        content_filter_namespace: str = PROJECT_NAMESPACE,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param cloud_watch_logs: deliver to a CloudWatch Logs log group (default: true).
        :param s3_bucket: deliver to an S3 bucket (default: true).
        :param large_data_delivery: with CloudWatch Logs, send bodies over 100 KB and binary data to the
            bucket (default: true; creates the bucket even when ``s3_bucket`` is false).
        :param text_data: log text (default: true).
        :param image_data: log images (default: true).
        :param embedding_data: log embeddings (default: true).
        :param video_data: log video (default: true).
        :param encryption_key: the key for the log group and the bucket (default: a new ``BedrockKmsKey``;
            an imported key must already allow CloudWatch Logs and Bedrock as described above).
        :param log_group_name: 1-512 characters (default: ``/bedrock-ops/model-invocations``).
        :param log_retention: how long the log group keeps records (default: one year).
        :param bucket_name: the bucket's physical name (default: generated).
        :param key_prefix: the S3 key prefix of log records, without slashes at either end
            (default: ``invocation-logs``).
        :param large_data_prefix: the S3 key prefix of large data (default: ``invocation-logs-large-data``).
        :param access_log_bucket: where the bucket's server access logs go (default: a new bucket).
        :param adopt_existing: take over a logging configuration this stack did not create; it is restored
            when this construct is deleted (default: false, such a configuration fails the deployment).
        :param content_filter_namespace: namespace of ``ContentFilteredCount`` (default: ``BedrockOps``).
        :param removal_policy: of the log group, bucket and key (default: RETAIN).
        """
        super().__init__(scope, id)
        buckets.use_bucket_policy_for_access_logs(self)
        if not (cloud_watch_logs or s3_bucket):
            raise ValueError("InvocationLogging needs a destination: cloud_watch_logs and s3_bucket are both False")
        if not Token.is_unresolved(log_group_name) and not _LOG_GROUP_NAME.match(log_group_name):
            raise ValueError(
                f"log_group_name must be 1-512 characters of A-Z a-z 0-9 _ - / . #, got {log_group_name!r}"
            )
        for name, prefix in (("key_prefix", key_prefix), ("large_data_prefix", large_data_prefix)):
            if not _PREFIX.match(prefix) or len(prefix) > 900:
                raise ValueError(f"{name} must be an S3 key prefix without leading or trailing '/', got {prefix!r}")
        if key_prefix == large_data_prefix:
            raise ValueError(f"large_data_prefix must differ from key_prefix, both are {key_prefix!r}")
        _claim_environment(self)

        stack = Stack.of(self)
        self._stack = stack
        self.content_filter_namespace = content_filter_namespace
        self.encryption_key: kms.IKey = encryption_key or BedrockKmsKey(
            self,
            "Key",
            description="cdk-bedrock-ops: Bedrock model invocation logs",
            removal_policy=removal_policy,
        )
        self.log_group: logs.LogGroup | None = None
        self.delivery_role: iam.Role | None = None
        self.bucket: s3.Bucket | None = None
        self.content_filter: ContentFilteredCountMetricFilter | None = None
        self.query_definitions: list[logs.QueryDefinition] = []
        self.key_prefix = key_prefix
        self.large_data_prefix = large_data_prefix

        needs_bucket = s3_bucket or (cloud_watch_logs and large_data_delivery)
        if needs_bucket:
            self.bucket = self._bucket(bucket_name, access_log_bucket, removal_policy)
            prefixes = [
                p
                for p, on in ((key_prefix, s3_bucket), (large_data_prefix, cloud_watch_logs and large_data_delivery))
                if on
            ]
            self._allow_bedrock_to_write(self.bucket, prefixes)
        if cloud_watch_logs:
            self.log_group, self.delivery_role = self._cloud_watch_destination(
                log_group_name, log_retention, removal_policy
            )
            self.content_filter = ContentFilteredCountMetricFilter(
                self, "ContentFilteredCount", log_group=self.log_group, namespace=content_filter_namespace
            )
            self.query_definitions = self._queries(self.log_group)

        config: dict[str, object] = {
            "textDataDeliveryEnabled": text_data,
            "imageDataDeliveryEnabled": image_data,
            "embeddingDataDeliveryEnabled": embedding_data,
            "videoDataDeliveryEnabled": video_data,
        }
        if self.log_group is not None and self.delivery_role is not None:
            cloud_watch: dict[str, object] = {
                "logGroupName": self.log_group.log_group_name,
                "roleArn": self.delivery_role.role_arn,
            }
            if large_data_delivery and self.bucket is not None:
                cloud_watch["largeDataDeliveryS3Config"] = {
                    "bucketName": self.bucket.bucket_name,
                    "keyPrefix": large_data_prefix,
                }
            config["cloudWatchConfig"] = cloud_watch
        if s3_bucket and self.bucket is not None:
            config["s3Config"] = {"bucketName": self.bucket.bucket_name, "keyPrefix": key_prefix}
        self.logging_config = config
        self.resource = self._configuration(config, adopt_existing)

    # --- public ----------------------------------------------------------------------------------------

    @staticmethod
    def from_logging_attributes(
        scope: Construct,
        id: str,
        *,
        log_group_name: str | None = None,
        bucket_name: str | None = None,
        key_prefix: str = "",
        encryption_key: kms.IKey | None = None,
        content_filter_namespace: str = PROJECT_NAMESPACE,
    ) -> IInvocationLogging:
        """The account's invocation logging configured elsewhere (another stack, the console): what an import can
        offer is reading the logs it names (``grant_read_logs``) and the account-wide delivery metrics
        (``metric_cloud_watch_delivery_failure``, ``metric_s3_delivery_failure``); ``metric_content_filtered_count``
        counts only where a ``ContentFilteredCountMetricFilter`` runs on that log group. It does not change the
        configuration, claims no account and Region (an ``InvocationLogging`` may still own them) and grants
        nothing to Bedrock: it does not write through roles you grant, it writes with the configuration's own.

        :param log_group_name: the configuration's log group (default: none; no log group grants).
        :param bucket_name: the configuration's bucket (default: none; no bucket grants).
        :param key_prefix: the configuration's S3 key prefix; reads are granted under it (default: the whole
            bucket).
        :param encryption_key: the key of the log group and bucket; ``grant_read_logs`` adds ``kms:Decrypt`` on it
            (default: none).
        :param content_filter_namespace: namespace of ``ContentFilteredCount`` (default: ``BedrockOps``).
        """
        if log_group_name is None and bucket_name is None:
            raise ValueError(f"{id}: from_logging_attributes needs log_group_name or bucket_name, got neither")
        named = log_group_name is not None and not Token.is_unresolved(log_group_name)
        if named and not _LOG_GROUP_NAME.match(str(log_group_name)):
            raise ValueError(
                f"log_group_name must be 1-512 characters of A-Z a-z 0-9 _ - / . #, got {log_group_name!r}"
            )
        if key_prefix and not _PREFIX.match(key_prefix):
            raise ValueError(f"key_prefix must be an S3 key prefix without leading or trailing '/', got {key_prefix!r}")
        return _ImportedInvocationLogging(
            scope,
            id,
            log_group_name=log_group_name,
            bucket_name=bucket_name,
            key_prefix=key_prefix,
            encryption_key=encryption_key,
            content_filter_namespace=content_filter_namespace,
        )

    # --- destinations ----------------------------------------------------------------------------------

    def _bucket(
        self, bucket_name: str | None, access_log_bucket: s3.IBucket | None, removal_policy: RemovalPolicy
    ) -> s3.Bucket:
        if access_log_bucket is None:
            access_log_bucket = buckets.access_log_bucket(
                self, "AccessLogs", destination_of="the invocation log bucket", removal_policy=removal_policy
            )
        return buckets.kms_bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption_key=self.encryption_key,
            access_logs=access_log_bucket,
            access_log_prefix="invocation-log-bucket/",
            removal_policy=removal_policy,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireOldVersions",
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
        )

    def _bedrock_conditions(self) -> dict[str, dict[str, str]]:
        stack = self._stack
        return {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:bedrock:{stack.region}:{stack.account}:*"},
        }

    def _allow_bedrock_to_write(self, bucket: s3.Bucket, prefixes: list[str]) -> None:
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AmazonBedrockLogsWrite",
                principals=[iam.ServicePrincipal("bedrock.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[
                    bucket.arn_for_objects(f"{p}/AWSLogs/{self._stack.account}/BedrockModelInvocationLogs/*")
                    for p in prefixes
                ],
                conditions=self._bedrock_conditions(),
            )
        )
        self.encryption_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowBedrockToEncryptInvocationLogs",
                principals=[iam.ServicePrincipal("bedrock.amazonaws.com")],
                actions=["kms:GenerateDataKey"],
                resources=["*"],
                conditions=self._bedrock_conditions(),
            )
        )

    def _cloud_watch_destination(
        self, log_group_name: str, retention: logs.RetentionDays, removal_policy: RemovalPolicy
    ) -> tuple[logs.LogGroup, iam.Role]:
        stack = self._stack
        log_group_arn = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=log_group_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        # CloudWatch Logs encrypts the group with the key only if the key policy lets it, for this group only.
        self.encryption_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsForTheInvocationLogGroup",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
            )
        )
        log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=log_group_name,
            encryption_key=self.encryption_key,
            retention=retention,
            removal_policy=removal_policy,
        )
        role = iam.Role(
            self,
            "DeliveryRole",
            description="Lets Amazon Bedrock write model invocation logs to CloudWatch Logs",
            assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com", conditions=self._bedrock_conditions()),
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[f"{log_group_arn}:log-stream:{BEDROCK_LOG_STREAM}"],
            )
        )
        return log_group, role

    def _queries(self, log_group: logs.LogGroup) -> list[logs.QueryDefinition]:
        queries = {
            "SlowestCalls": logs.QueryString(
                fields=[
                    "@timestamp",
                    "modelId",
                    "operation",
                    "identity.arn",
                    "output.outputBodyJson.metrics.latencyMs",
                ],
                filter_statements=["ispresent(output.outputBodyJson.metrics.latencyMs)"],
                sort="output.outputBodyJson.metrics.latencyMs desc",
                limit=50,
            ),
            "TokensByCallerAndModel": logs.QueryString(
                stats_statements=[
                    "sum(input.inputTokenCount) as inputTokens, sum(output.outputTokenCount) as outputTokens, "
                    "count(*) as invocations by identity.arn, modelId"
                ],
                sort="inputTokens desc",
            ),
            "ContentFilteredRequests": logs.QueryString(
                fields=["@timestamp", "modelId", "identity.arn", "operation", "requestId"],
                filter_statements=[content_filtered_insights_filter().removeprefix("filter ")],
                sort="@timestamp desc",
                limit=100,
            ),
            "ErrorsByModel": logs.QueryString(
                filter_statements=["ispresent(errorCode)"],
                stats_statements=["count(*) as errors by modelId, errorCode"],
                sort="errors desc",
            ),
        }
        titles = {
            "SlowestCalls": "slowest-calls",
            "TokensByCallerAndModel": "tokens-by-caller-and-model",
            "ContentFilteredRequests": "content-filtered-requests",
            "ErrorsByModel": "errors-by-model",
        }
        return [
            logs.QueryDefinition(
                self,
                f"Query{key}",
                query_definition_name=f"bedrock-ops/invocation-logs/{titles[key]}",
                query_string=query,
                log_groups=[log_group],
            )
            for key, query in queries.items()
        ]

    # --- the configuration -----------------------------------------------------------------------------

    def _configuration(self, config: dict[str, object], adopt_existing: bool) -> CustomResource:
        stack = self._stack
        handle = singleton_provider(
            self,
            kind="InvocationLogging",
            handler="invocation_logging",
            description="cdk-bedrock-ops: Bedrock model invocation logging configuration",
        )
        role = handle.on_event_role
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="InvocationLoggingConfiguration",
                actions=[
                    "bedrock:GetModelInvocationLoggingConfiguration",
                    "bedrock:PutModelInvocationLoggingConfiguration",
                    "bedrock:DeleteModelInvocationLoggingConfiguration",
                ],
                resources=["*"],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="InvocationLoggingState",
                actions=["ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter"],
                resources=[
                    stack.format_arn(
                        service="ssm", resource="parameter", resource_name=STATE_PARAMETER_NAME.lstrip("/")
                    )
                ],
            )
        )
        if self.delivery_role is not None:
            self.delivery_role.grant_pass_role(role)
        policy = role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        nag.acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "bedrock:Get/Put/DeleteModelInvocationLoggingConfiguration act on the account's single logging "
            "configuration and support no resource-level permissions.",
        )
        resource = handle.resource(
            self,
            "Configuration",
            resource_type="Custom::BedrockInvocationLogging",
            properties={
                "LoggingConfig": stack.to_json_string(config),
                "Adopt": "true" if adopt_existing else "false",
                "StateParameterName": STATE_PARAMETER_NAME,
            },
            service_timeout=Duration.minutes(5),
        )
        # Bedrock validates the destinations when the configuration is put: their policies must exist first
        # (the bucket, log group and role themselves are referenced by the configuration already).
        if self.bucket is not None and self.bucket.policy is not None:
            resource.node.add_dependency(self.bucket.policy)
        if self.delivery_role is not None:
            delivery_policy = self.delivery_role.node.try_find_child("DefaultPolicy")
            assert delivery_policy is not None
            resource.node.add_dependency(delivery_policy)
        return resource


def _environment_key(scope: Construct) -> tuple[str | None, str | None]:
    stack = Stack.of(scope)
    account = None if Token.is_unresolved(stack.account) else stack.account
    region = None if Token.is_unresolved(stack.region) else stack.region
    return account, region


def _same_environment(a: tuple[str | None, str | None], b: tuple[str | None, str | None]) -> bool:
    return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


def _claim_environment(construct: InvocationLogging) -> None:
    """Fail when another InvocationLogging of this app targets the same account and Region."""
    mine = _environment_key(construct)
    for other in construct.node.root.node.find_all():
        if other is construct or not isinstance(other, InvocationLogging):
            continue
        if _same_environment(mine, _environment_key(other)):
            account, region = mine
            raise ValueError(
                "Bedrock model invocation logging is one configuration per account and Region: "
                f"{construct.node.path} and {other.node.path} both configure it for account "
                f"{account or '(any)'} in {region or '(any Region)'}. Keep one InvocationLogging per environment."
            )


class _ImportedInvocationLogging(IInvocationLogging):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        log_group_name: str | None,
        bucket_name: str | None,
        key_prefix: str,
        encryption_key: kms.IKey | None,
        content_filter_namespace: str,
    ) -> None:
        super().__init__(scope, id)
        self.log_group = (
            None if log_group_name is None else logs.LogGroup.from_log_group_name(self, "LogGroup", log_group_name)
        )
        self.bucket = None if bucket_name is None else s3.Bucket.from_bucket_name(self, "Bucket", bucket_name)
        self.encryption_key = encryption_key
        self.key_prefix = key_prefix
        self._readable_objects = f"{key_prefix}/*" if key_prefix else "*"
        self.content_filter_namespace = content_filter_namespace
