"""An S3 bucket for Bedrock training, validation, output and evaluation data, and the same grants on a bucket
created elsewhere (``TrainingDataBucket.from_bucket_name``, ``from_bucket_attributes``, or any ``s3.IBucket``
passed as a construct's ``data_bucket``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from bedrock_ops._core import buckets, nag
from bedrock_ops._core.errors import PropTypeError
from bedrock_ops.data.kms import BedrockKmsKey, via_service
from constructs import Construct

_READ_ACTIONS = ("s3:GetObject",)
_WRITE_ACTIONS = ("s3:GetObject", "s3:PutObject")


@dataclass(frozen=True)
class DataPrefixes:
    """The key prefixes Bedrock jobs read and write in a data bucket; the one definition of their defaults.

    A :class:`TrainingDataBucket` uses the defaults; a bucket created elsewhere gets them too unless
    ``prefixes=`` says otherwise (``TrainingDataBucket.from_bucket_name(..., prefixes=DataPrefixes(...))``).
    Each is a relative key prefix ending in ``/``, without ``*``.
    """

    training: str = "training/"
    """Training datasets (default: ``training/``)."""
    validation: str = "validation/"
    """Validation datasets (default: ``validation/``)."""
    output: str = "output/"
    """Customization job outputs (default: ``output/``)."""
    evaluation: str = "evaluation/"
    """Evaluation prompt datasets; results go to ``<evaluation>results/`` (default: ``evaluation/``)."""

    def __post_init__(self) -> None:
        for name in ("training", "validation", "output", "evaluation"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.endswith("/") or value.startswith("/") or "*" in value:
                raise ValueError(
                    f"DataPrefixes.{name} must be a relative key prefix ending in '/' without '*', such as "
                    f"'{name}/', got {value!r}"
                )


DEFAULT_PREFIXES = DataPrefixes()


class TrainingDataBucketBase:
    """What Bedrock constructs need of a data bucket: the bucket, its KMS key (if any), the prefixes and the
    least-privilege grants on them. :class:`TrainingDataBucket` is one; the ``from_*`` importers and
    :func:`data_bucket_of` give one for a bucket created elsewhere."""

    bucket: s3.IBucket
    encryption_key: kms.IKey | None
    training_prefix: str = DEFAULT_PREFIXES.training
    validation_prefix: str = DEFAULT_PREFIXES.validation
    output_prefix: str = DEFAULT_PREFIXES.output
    evaluation_prefix: str = DEFAULT_PREFIXES.evaluation

    @property
    def bucket_name(self) -> str:
        """The bucket's name."""
        return self.bucket.bucket_name

    @property
    def bucket_arn(self) -> str:
        """The bucket's ARN."""
        return self.bucket.bucket_arn

    @property
    def prefixes(self) -> DataPrefixes:
        """The bucket's prefixes."""
        return DataPrefixes(
            training=self.training_prefix,
            validation=self.validation_prefix,
            output=self.output_prefix,
            evaluation=self.evaluation_prefix,
        )

    def s3_uri(self, prefix: str = "", key: str = "") -> str:
        """``s3://<bucket>/<prefix><key>``, e.g. ``data.s3_uri(data.training_prefix, "train.jsonl")``."""
        return f"s3://{self.bucket.bucket_name}/{prefix}{key}"

    def grant_read_training_data(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read objects under the training and validation prefixes (and list the bucket), with
        ``kms:Decrypt`` on the key through S3 only."""
        return self._grant(grantee, _READ_ACTIONS, (self.training_prefix, self.validation_prefix), write=False)

    def grant_read_media(self, grantee: iam.IGrantable, prefixes: Sequence[str]) -> iam.Grant:
        """Read (``s3:GetObject``) the images and videos under ``prefixes`` that a Nova dataset references (media
        must sit in the dataset's bucket, any prefix), with ``kms:Decrypt`` through S3 only."""
        if not prefixes:
            raise ValueError("grant_read_media needs at least one prefix, got none")
        return self._grant(grantee, ("s3:GetObject",), tuple(_normalize_prefix(p) for p in prefixes), write=False)

    def grant_write_output(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read and write objects under the output prefix (and list the bucket), with ``kms:Decrypt`` and
        ``kms:GenerateDataKey`` on the key through S3 only."""
        return self._grant(grantee, _WRITE_ACTIONS, (self.output_prefix,), write=True)

    def grant_read_evaluation_data(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read objects under the evaluation prefix (prompt datasets), with ``kms:Decrypt`` through S3."""
        return self._grant(grantee, _READ_ACTIONS, (self.evaluation_prefix,), write=False)

    def grant_write_evaluation_output(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read and write objects under ``<evaluation prefix>results/``, with KMS through S3."""
        return self._grant(grantee, _WRITE_ACTIONS, (f"{self.evaluation_prefix}results/",), write=True)

    def grant_write_prefix(self, grantee: iam.IGrantable, prefix: str) -> iam.Grant:
        """Read and write objects under any ``prefix`` of the bucket (e.g. uploads by a pipeline)."""
        return self._grant(grantee, _WRITE_ACTIONS, (_normalize_prefix(prefix),), write=True)

    def _grant(
        self, grantee: iam.IGrantable, actions: tuple[str, ...], prefixes: tuple[str, ...], *, write: bool
    ) -> iam.Grant:
        objects = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(actions),
            resource_arns=[self.bucket.arn_for_objects(f"{p}*") for p in prefixes],
        )
        self._acknowledge_prefix_wildcards(grantee, prefixes)
        listing = iam.Grant.add_to_principal(
            grantee=grantee, actions=["s3:ListBucket"], resource_arns=[self.bucket_arn]
        )
        grant = objects.combine(listing)
        if self.encryption_key is None:  # SSE-S3: no key to grant
            return grant
        key = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["kms:Decrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"],
            resource_arns=[self.encryption_key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": via_service(self.bucket, "s3")}},
        )
        return grant.combine(key)

    def _acknowledge_prefix_wildcards(self, grantee: iam.IGrantable, prefixes: tuple[str, ...]) -> None:
        """Object keys under a prefix are not known in advance: ``<bucket>/<prefix>*`` is the narrowest
        resource. Acknowledged on the grantee's construct when it is in this bucket's stack (a grantee in
        another stack references the bucket through an import, and gets the finding to judge itself)."""
        principal = grantee.grant_principal
        if not isinstance(principal, Construct) or Stack.of(principal) is not Stack.of(self.bucket):
            return
        for prefix in prefixes:
            nag.acknowledge(
                principal,
                nag.iam5_resource_finding(principal, self.bucket.arn_for_objects(f"{prefix}*")),
                f"Access is scoped to the '{prefix}' prefix of the training data bucket; the object keys "
                "under it are chosen by users and jobs at run time.",
            )


class TrainingDataBucket(TrainingDataBucketBase, Construct):
    """A KMS-encrypted, versioned, SSL-only bucket with the prefixes Bedrock jobs read and write.

    - encrypted with a :class:`BedrockKmsKey` (a new one unless given), bucket keys on;
    - public access blocked, ACLs disabled (bucket owner enforced), TLS required;
    - versioned, old versions expire and incomplete multipart uploads are aborted;
    - server access logs go to a separate bucket (SSE-S3: S3 log delivery cannot use SSE-KMS);
    - EventBridge notifications on (set natively on the bucket, no custom resource), so that validators
      and workflows can react when data lands;
    - well-known prefixes: :attr:`training_prefix`, :attr:`validation_prefix`, :attr:`output_prefix`,
      :attr:`evaluation_prefix`.

    Example::

        data = TrainingDataBucket(self, "Data")
        data.grant_read_training_data(role)
        data.grant_write_output(role)
    """

    training_prefix = DEFAULT_PREFIXES.training
    validation_prefix = DEFAULT_PREFIXES.validation
    output_prefix = DEFAULT_PREFIXES.output
    evaluation_prefix = DEFAULT_PREFIXES.evaluation

    @staticmethod
    def from_bucket_name(
        scope: Construct,
        id: str,
        bucket_name: str,
        *,
        encryption_key: kms.IKey | None = None,
        prefixes: DataPrefixes | None = None,
    ) -> TrainingDataBucketBase:
        """A data bucket created elsewhere, by name (``s3.Bucket.from_bucket_name``).

        :param bucket_name: the bucket's name (tokens allowed).
        :param encryption_key: the KMS key the bucket's objects are encrypted with; grants add ``kms:Decrypt``
            (and ``kms:GenerateDataKey`` for writes) on it through S3 only (default: none, SSE-S3).
        :param prefixes: the bucket's prefixes (default: ``DataPrefixes()``: ``training/``, ``validation/``,
            ``output/``, ``evaluation/``).
        """
        return TrainingDataBucket.from_bucket_attributes(
            scope, id, bucket_name=bucket_name, encryption_key=encryption_key, prefixes=prefixes
        )

    @staticmethod
    def from_bucket_attributes(
        scope: Construct,
        id: str,
        *,
        bucket_name: str | None = None,
        bucket_arn: str | None = None,
        encryption_key: kms.IKey | None = None,
        prefixes: DataPrefixes | None = None,
    ) -> TrainingDataBucketBase:
        """A data bucket created elsewhere, by name or ARN (``s3.Bucket.from_bucket_attributes``).

        :param bucket_name: the bucket's name (default: from ``bucket_arn``; one of the two is required).
        :param bucket_arn: the bucket's ARN, ``arn:<partition>:s3:::<name>`` (default: from ``bucket_name``).
        :param encryption_key: the bucket's KMS key (default: none, SSE-S3).
        :param prefixes: the bucket's prefixes (default: ``DataPrefixes()``).
        """
        if bucket_name is None and bucket_arn is None:
            raise ValueError(f"{id}: from_bucket_attributes needs bucket_name or bucket_arn, got neither")
        if bucket_arn is not None and not Token.is_unresolved(bucket_arn):
            parts = bucket_arn.split(":")
            if len(parts) != 6 or parts[0] != "arn" or parts[2] != "s3" or not parts[5] or "/" in parts[5]:
                raise ValueError(
                    f"bucket_arn must be an S3 bucket ARN, arn:<partition>:s3:::<bucket name>, got {bucket_arn!r}"
                )
        bucket = s3.Bucket.from_bucket_attributes(
            scope, id, bucket_name=bucket_name, bucket_arn=bucket_arn, encryption_key=encryption_key
        )
        return ImportedDataBucket(bucket, encryption_key=encryption_key, prefixes=prefixes)

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        encryption_key: kms.IKey | None = None,
        bucket_name: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        noncurrent_version_expiration: Duration = Duration.days(90),
        abort_incomplete_multipart_upload_after: Duration = Duration.days(7),
        access_log_bucket: s3.IBucket | None = None,
        access_log_retention: Duration = Duration.days(365),
    ) -> None:
        """
        :param encryption_key: the KMS key for the data (default: a new :class:`BedrockKmsKey`).
        :param bucket_name: a physical name (default: generated by CloudFormation).
        :param removal_policy: what happens to the buckets when they leave the stack (default: RETAIN;
            DESTROY only deletes empty buckets).
        :param noncurrent_version_expiration: how long old object versions are kept, 1-3650 days
            (default: 90 days).
        :param abort_incomplete_multipart_upload_after: 1-365 days (default: 7 days).
        :param access_log_bucket: where server access logs go (default: a new bucket of this construct).
        :param access_log_retention: how long access logs in the new log bucket are kept (default: 365 days).
        """
        Construct.__init__(self, scope, id)
        buckets.use_bucket_policy_for_access_logs(self)
        _check_days("noncurrent_version_expiration", noncurrent_version_expiration, 1, 3650)
        _check_days("abort_incomplete_multipart_upload_after", abort_incomplete_multipart_upload_after, 1, 365)
        _check_days("access_log_retention", access_log_retention, 1, 3650)

        self.encryption_key: kms.IKey = encryption_key or BedrockKmsKey(self, "Key")
        if access_log_bucket is None:
            access_log_bucket = buckets.access_log_bucket(
                self,
                "AccessLogs",
                destination_of="the training data bucket",
                removal_policy=removal_policy,
                retention=access_log_retention,
                abort_incomplete_multipart_upload_after=abort_incomplete_multipart_upload_after,
            )
        self.access_log_bucket: s3.IBucket = access_log_bucket

        self.bucket: s3.Bucket = buckets.kms_bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption_key=self.encryption_key,
            access_logs=access_log_bucket,
            access_log_prefix="training-data-bucket/",
            removal_policy=removal_policy,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireOldVersionsAndIncompleteUploads",
                    noncurrent_version_expiration=noncurrent_version_expiration,
                    abort_incomplete_multipart_upload_after=abort_incomplete_multipart_upload_after,
                )
            ],
        )
        # EventBridge notifications set on the bucket itself: the L2 `event_bridge_enabled` would add the
        # BucketNotifications custom resource (a Lambda with a managed policy) for the same effect.
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
        )


class ImportedDataBucket(TrainingDataBucketBase):
    """A data bucket created elsewhere: an ``s3.IBucket``, its KMS key (if any) and its prefixes, with the same
    grants as :class:`TrainingDataBucket`. Made by ``TrainingDataBucket.from_bucket_*`` and :func:`data_bucket_of`."""

    def __init__(
        self, bucket: s3.IBucket, *, encryption_key: kms.IKey | None = None, prefixes: DataPrefixes | None = None
    ) -> None:
        """
        :param bucket: the bucket.
        :param encryption_key: its KMS key (default: the bucket's own ``encryption_key``, if it has one;
            else none: SSE-S3).
        :param prefixes: its prefixes (default: ``DataPrefixes()``).
        """
        self.bucket = bucket
        self.encryption_key = encryption_key if encryption_key is not None else bucket.encryption_key
        prefixes = prefixes or DEFAULT_PREFIXES
        if not isinstance(prefixes, DataPrefixes):
            raise PropTypeError(f"prefixes must be a DataPrefixes, got {type(prefixes).__name__} {prefixes!r}")
        self.training_prefix = prefixes.training
        self.validation_prefix = prefixes.validation
        self.output_prefix = prefixes.output
        self.evaluation_prefix = prefixes.evaluation


#: What a ``data_bucket`` parameter takes.
DataBucketLike = TrainingDataBucketBase | s3.IBucket


def data_bucket_of(
    value: object, *, encryption_key: kms.IKey | None = None, param: str = "data_bucket"
) -> TrainingDataBucketBase:
    """``value`` (a :class:`TrainingDataBucket`, an imported one, or any ``s3.IBucket``) as a data bucket.

    An ``s3.IBucket`` gets the default prefixes (:data:`DEFAULT_PREFIXES`) and ``encryption_key`` (default:
    the bucket's own ``encryption_key``). ``encryption_key`` applies to an ``s3.IBucket`` only: a
    :class:`TrainingDataBucket` knows its key.
    """
    if isinstance(value, TrainingDataBucketBase):
        if encryption_key is not None and encryption_key is not value.encryption_key:
            raise ValueError(
                f"{param}_key applies to an s3.IBucket only: {param} is a {type(value).__name__}, which knows its "
                "key; leave it unset"
            )
        return value
    if all(hasattr(value, a) for a in ("bucket_arn", "bucket_name", "arn_for_objects", "encryption_key")):
        return ImportedDataBucket(value, encryption_key=encryption_key)  # type: ignore[arg-type]
    raise PropTypeError(
        f"{param} must be a TrainingDataBucket (or TrainingDataBucket.from_bucket_name/from_bucket_attributes) or "
        f"an s3.IBucket, got {type(value).__name__} {value!r}"
    )


def _normalize_prefix(prefix: str) -> str:
    if not prefix or prefix.startswith("/") or "*" in prefix:
        raise ValueError(f"prefix must be a relative key prefix without '*', such as 'uploads/', got {prefix!r}")
    return prefix if prefix.endswith("/") else f"{prefix}/"


def _check_days(name: str, value: Duration, low: int, high: int) -> None:
    days = value.to_days()
    if not low <= days <= high:
        raise ValueError(f"{name} must be {low}-{high} days, got {days}")
