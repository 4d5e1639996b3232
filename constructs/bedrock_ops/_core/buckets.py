"""The library's S3 buckets, built one way: SSE-KMS data buckets with TLS only, no ACLs, versioning, and
server access logs to an SSE-S3 log bucket."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from bedrock_ops._core import nag
from constructs import Construct

#: The feature flag that makes server access logging use a bucket policy instead of the LogDeliveryWrite ACL.
ACCESS_LOGS_USE_BUCKET_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"


def use_bucket_policy_for_access_logs(construct: Construct) -> None:
    """Let the buckets under ``construct`` keep ACLs disabled whatever the consuming app's feature flags say.

    Call it first thing in the construct's ``__init__``: context can only be set on a node without children.
    """
    construct.node.set_context(ACCESS_LOGS_USE_BUCKET_POLICY, True)


def access_log_bucket(
    scope: Construct,
    id: str,
    *,
    destination_of: str,
    removal_policy: RemovalPolicy,
    retention: Duration = Duration.days(365),
    abort_incomplete_multipart_upload_after: Duration = Duration.days(7),
) -> s3.Bucket:
    """An SSE-S3 bucket for server access logs (S3 log delivery cannot write SSE-KMS), kept ``retention``."""
    bucket = s3.Bucket(
        scope,
        id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforce_ssl=True,
        versioned=True,
        removal_policy=removal_policy,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="ExpireAccessLogs",
                expiration=retention,
                noncurrent_version_expiration=Duration.days(1),
                abort_incomplete_multipart_upload_after=abort_incomplete_multipart_upload_after,
            )
        ],
    )
    nag.acknowledge(
        bucket,
        "AwsSolutions-S1",
        f"This bucket is the server access log destination of {destination_of}; logging it to itself would "
        "loop and S3 does not support that.",
    )
    return bucket


def kms_bucket(
    scope: Construct,
    id: str,
    *,
    encryption_key: kms.IKey,
    access_logs: s3.IBucket,
    access_log_prefix: str,
    removal_policy: RemovalPolicy,
    lifecycle_rules: Sequence[s3.LifecycleRule],
    bucket_name: str | None = None,
) -> s3.Bucket:
    """A versioned SSE-KMS bucket (bucket keys on), TLS only, public access blocked, ACLs disabled,
    server access logs to ``access_logs`` under ``access_log_prefix``."""
    return s3.Bucket(
        scope,
        id,
        bucket_name=bucket_name,
        encryption=s3.BucketEncryption.KMS,
        encryption_key=encryption_key,
        bucket_key_enabled=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforce_ssl=True,
        versioned=True,
        removal_policy=removal_policy,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix=access_log_prefix,
        lifecycle_rules=list(lifecycle_rules),
    )
