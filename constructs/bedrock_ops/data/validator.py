"""Validate training and validation datasets in the cloud, the moment they land in S3."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns

from bedrock_ops._core import nag
from bedrock_ops._core.enums import parse_enum
from bedrock_ops._core.functions import HandlerFunction
from bedrock_ops.data._validator_asset import validator_code
from bedrock_ops.data.kms import use_aws_managed_topic_key, via_service
from bedrock_ops.data.training_bucket import DataBucketLike, data_bucket_of
from bedrock_ops.data.validation import DEFAULT_MAX_ERRORS, DatasetSplit
from bedrock_ops.models.facts import CustomizationType, DatasetFormat
from bedrock_ops.models.knowledge import load_models
from constructs import Construct

#: CloudWatch namespace of the metrics the validator publishes.
METRIC_NAMESPACE = "BedrockOps/Datasets"
REPORT_SUFFIX = ".validation.json"
TAG_KEY = "bedrock-ops:validation"


class DatasetValidator(Construct):
    """A Lambda function that validates every dataset object created under the training and validation
    prefixes of a :class:`TrainingDataBucket`, triggered by EventBridge.

    For each object it streams the file through the library's validator (the same code as the
    ``bedrock-ops validate-dataset`` command, for the base model and customization type given here),
    writes ``<key>.validation.json`` next to it, tags the object ``bedrock-ops:validation=passed|failed``,
    publishes ``Records``, ``Errors`` and ``FailedFiles`` in the ``BedrockOps/Datasets`` namespace
    (dimensions ``BaseModel`` and ``Split``) and notifies :attr:`topic` on failure.

    Memory stays flat whatever the object size (10 GB for Claude 3 Haiku): the function reads the object
    in 1 MiB chunks. Keys under ``<prefix><dataset>/`` can be validated against another base model (or as
    reinforcement fine-tuning prompts) with :meth:`add_dataset`, and batch inference input under any other
    prefix of the bucket with :meth:`add_batch_input`.

    Example::

        data = TrainingDataBucket(self, "Data")
        validator = DatasetValidator(self, "Validator", data_bucket=data, base_model="amazon.nova-micro-v1:0")
        validator.topic.add_subscription(subscriptions.EmailSubscription("ml-team@example.com"))
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        data_bucket: DataBucketLike,
        base_model: str,
        data_bucket_key: kms.IKey | None = None,
        customization_type: CustomizationType | str = CustomizationType.FINE_TUNING,
        topic: sns.ITopic | None = None,
        models_file: str | Path | None = None,
        max_errors: int = DEFAULT_MAX_ERRORS,
        timeout: Duration = Duration.minutes(15),
        memory_size: int = 1769,
    ) -> None:
        """
        :param data_bucket: the bucket whose training and validation prefixes are watched: a
            ``TrainingDataBucket`` or any ``s3.IBucket`` (default prefixes, ``DataPrefixes()``; its EventBridge
            notifications must be on).
        :param data_bucket_key: the KMS key of an ``s3.IBucket`` ``data_bucket`` (default: the bucket's own).
        :param base_model: the base model datasets are checked against, plain or context-suffixed id.
        :param customization_type: fine-tuning, continued pre-training or distillation: a ``CustomizationType``
            or its value or name (``"FINE_TUNING"``, ``"fine-tuning"``) (default: FINE_TUNING).
        :param topic: where failures are published (default: a new topic encrypted with the bucket's key, or
            with SNS's AWS managed key when the bucket has none).
        :param models_file: a models file merged over the packaged knowledge base (default: none; the
            packaged knowledge base only). The merged dataset rules are shipped inside the function's asset.
        :param max_errors: errors kept in each report, 1-10000 (default: 100; all are counted).
        :param timeout: 1-15 minutes (default: 15 minutes; 10 GB at ~50 MB/s needs about 4).
        :param memory_size: 128-10240 MB (default: 1769, one full vCPU; memory use itself stays small).
        """
        super().__init__(scope, id)
        data_bucket = data_bucket_of(data_bucket, encryption_key=data_bucket_key)
        customization_type = parse_enum(CustomizationType, customization_type, param="customization_type")
        self._models = load_models(models_file)
        spec = self._models.resolve(base_model, prop="base_model")  # UnknownModelError: "did you mean ..."
        spec.require(customization_type)
        if not Token.is_unresolved(max_errors) and not 1 <= max_errors <= 10000:
            raise ValueError(f"max_errors must be 1-10000, got {max_errors}")
        minutes = timeout.to_seconds() / 60
        if not Token.is_unresolved(minutes) and not 1 <= minutes <= 15:
            raise ValueError(f"timeout must be 1-15 minutes, got {minutes:g}")
        self.data_bucket = data_bucket
        self.base_model = spec.model_id
        self.customization_type = customization_type
        self._rules: list[dict[str, Any]] = []
        self._granted: list[str] = []

        if topic is None:
            new_topic = sns.Topic(
                self,
                "Failures",
                display_name="Dataset validation failures",
                master_key=data_bucket.encryption_key,
                enforce_ssl=True,
            )
            if data_bucket.encryption_key is None:
                use_aws_managed_topic_key(new_topic)
            topic = new_topic
        self.topic: sns.ITopic = topic

        self.handler = HandlerFunction(
            self,
            "Handler",
            handler="dataset_validator",
            description=f"Validates Bedrock datasets landing in the training bucket ({self.base_model})",
            code=validator_code(models_file),
            timeout=timeout,
            memory_size=memory_size,
            environment={
                "TOPIC_ARN": topic.topic_arn,
                "METRIC_NAMESPACE": METRIC_NAMESPACE,
                "MAX_ERRORS": str(max_errors),
            },
        )
        self.function: lambda_.IFunction = self.handler.function
        for prefix, split in (
            (data_bucket.training_prefix, DatasetSplit.TRAINING),
            (data_bucket.validation_prefix, DatasetSplit.VALIDATION),
        ):
            self._add_rule(prefix, split, self.base_model, customization_type)
        self._grant_handler()
        topic.grant_publish(self.handler)
        nag.acknowledge(
            self.handler.role.node.find_child("DefaultPolicy"),
            "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            "Added by sns.Topic.grant_publish for the topic's KMS key: publishing to an encrypted topic "
            "needs data keys of that one key, which is the statement's only resource.",
        )

        self.rule = events.Rule(
            self,
            "ObjectCreated",
            description="Datasets created under the training or validation prefix of the data bucket",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [data_bucket.bucket_name]},
                    "object": {
                        "key": [
                            {"prefix": data_bucket.training_prefix},
                            {"prefix": data_bucket.validation_prefix},
                        ]
                    },
                },
            ),
            targets=[targets.LambdaFunction(self.function, retry_attempts=2, max_event_age=Duration.hours(1))],
        )

    # -- datasets ----------------------------------------------------------------------------------
    def add_dataset(
        self,
        name: str,
        *,
        base_model: str,
        customization_type: CustomizationType | str = CustomizationType.FINE_TUNING,
        required_fields: Sequence[str] = (),
    ) -> None:
        """Validate keys under ``training/<name>/`` and ``validation/<name>/`` against ``base_model``.

        :param customization_type: the datasets' customization type, the enum or its value or name (default:
            FINE_TUNING; REINFORCEMENT_FINE_TUNING checks RFT prompts).
        :param required_fields: with REINFORCEMENT_FINE_TUNING, record keys the reward function reads (default: none).
        """
        customization_type = parse_enum(CustomizationType, customization_type, param="customization_type")
        if not name or "/" in name or "*" in name:
            raise ValueError(f"dataset name must be a non-empty key segment without '/' or '*', got {name!r}")
        if required_fields and customization_type is not CustomizationType.REINFORCEMENT_FINE_TUNING:
            raise ValueError(
                f"required_fields are the reward function's record keys: they go with REINFORCEMENT_FINE_TUNING, "
                f"not {customization_type.value}"
            )
        spec = self._models.resolve(base_model, prop="base_model")
        spec.require(customization_type)
        extra = {"required_fields": list(required_fields)} if required_fields else {}
        self._add_rule(
            f"{self.data_bucket.training_prefix}{name}/",
            DatasetSplit.TRAINING,
            spec.model_id,
            customization_type,
            **extra,
        )
        self._add_rule(
            f"{self.data_bucket.validation_prefix}{name}/",
            DatasetSplit.VALIDATION,
            spec.model_id,
            customization_type,
            **extra,
        )

    def add_batch_input(self, prefix: str, *, model: str | None = None, body_format: str | None = None) -> None:
        """Validate batch inference input (``{recordId, modelInput}`` JSONL) created under ``prefix``.

        :param prefix: a key prefix of the data bucket ending in ``/``, outside the training and validation
            prefixes (e.g. ``batch/input/``, :class:`~bedrock_ops.batch.workflow.BatchInference`'s default).
        :param model: the model the jobs run (default: none; ``modelInput`` is then only checked to be a
            non-empty object and no quota applies). Its batch quotas come from the knowledge base
            (``batch_inference``; unconfirmed by default, set yours in a models file).
        :param body_format: the request format of ``modelInput``, a key of ``batch_records.REQUIRED_KEYS``
            (``converse`` for Converse jobs) (default: the model's native format when known).
        """
        from bedrock_ops.batch.requests import native_format_of
        from bedrock_ops.data.batch_records import REQUIRED_KEYS
        from bedrock_ops.models.queries import batch_limits

        if not prefix.endswith("/") or prefix.startswith("/") or "*" in prefix:
            raise ValueError(f"prefix must be a key prefix ending in '/', without a leading '/' or '*', got {prefix!r}")
        bucket = self.data_bucket
        if any(
            prefix.startswith(p) or p.startswith(prefix) for p in (bucket.training_prefix, bucket.validation_prefix)
        ):
            raise ValueError(
                f"prefix {prefix!r} overlaps the training or validation prefix; batch input goes under its own prefix"
            )
        if body_format is not None and body_format not in REQUIRED_KEYS:
            raise ValueError(f"body_format must be one of {', '.join(REQUIRED_KEYS)} or None, got {body_format!r}")
        rule: dict[str, Any] = {"prefix": prefix, "format": DatasetFormat.BATCH_RECORDS.value}
        if model is not None:
            spec = self._models.resolve(model, prop="model")
            limits = {k: v for k, v in dataclasses.asdict(batch_limits(self._models, spec.model_id)).items() if v}
            rule.update(base_model=spec.model_id, limits=limits)
            body_format = body_format or native_format_of(spec.model_id)
        if body_format is not None:
            rule["body_format"] = body_format
        self._set_rule(rule)
        self._grant_prefix(prefix)
        self.rule.add_event_pattern(detail={"object": {"key": [{"prefix": prefix}]}})

    def _add_rule(self, prefix: str, split: DatasetSplit, model: str, ctype: CustomizationType, **extra: Any) -> None:
        self._set_rule(
            {"prefix": prefix, "split": split.value, "base_model": model, "customization_type": ctype.value, **extra}
        )

    def _set_rule(self, rule: dict[str, Any]) -> None:
        self._rules = [r for r in self._rules if r["prefix"] != rule["prefix"]]
        self._rules.append(rule)
        self.handler.function.add_environment("DATASET_RULES", json.dumps(self._rules, separators=(",", ":")))

    # -- permissions -------------------------------------------------------------------------------
    def _grant_prefix(self, prefix: str) -> None:
        """Read, tag and report on objects under one more prefix (batch input)."""
        self._grant_objects((prefix,))

    def _grant_handler(self) -> None:
        bucket = self.data_bucket
        role = self.handler.role
        self._grant_objects((bucket.training_prefix, bucket.validation_prefix))
        if bucket.encryption_key is not None:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="DataKeyThroughS3",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[bucket.encryption_key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": via_service(self, "s3")}},
                )
            )

    def _grant_objects(self, prefixes: Sequence[str]) -> None:
        bucket = self.data_bucket
        role = self.handler.role
        first = not self._granted
        self._granted.extend(prefixes)
        datasets = [bucket.bucket.arn_for_objects(f"{p}*") for p in prefixes]
        reports = [bucket.bucket.arn_for_objects(f"{p}*{REPORT_SUFFIX}") for p in prefixes]
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadAndTagDatasets" if first else None,
                actions=[
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:GetObjectTagging",
                    "s3:GetObjectVersionTagging",
                    "s3:PutObjectTagging",
                    "s3:PutObjectVersionTagging",
                ],
                resources=datasets,
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="WriteReports" if first else None, actions=["s3:PutObject"], resources=reports)
        )
        policy = role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        for arn in datasets:
            nag.acknowledge(
                policy,
                nag.iam5_resource_finding(self, arn),
                "The validator reads and tags any dataset object under the training, validation or batch input "
                "prefixes it watches; their keys are chosen by users at upload time.",
            )
        for arn in reports:
            nag.acknowledge(
                policy,
                nag.iam5_resource_finding(self, arn),
                "The validator writes only '<dataset key>.validation.json' reports, next to datasets whose "
                "keys are chosen at upload time.",
            )

    # -- metrics -----------------------------------------------------------------------------------
    def metric_records(
        self, *, split: DatasetSplit = DatasetSplit.TRAINING, period: Duration = Duration.minutes(5)
    ) -> cloudwatch.Metric:
        """Records validated for :attr:`base_model` and ``split`` (Sum over ``period``)."""
        return self._metric("Records", split, period)

    def metric_errors(
        self, *, split: DatasetSplit = DatasetSplit.TRAINING, period: Duration = Duration.minutes(5)
    ) -> cloudwatch.Metric:
        """Errors found in datasets (Sum over ``period``)."""
        return self._metric("Errors", split, period)

    def metric_failed_files(
        self, *, split: DatasetSplit = DatasetSplit.TRAINING, period: Duration = Duration.minutes(5)
    ) -> cloudwatch.Metric:
        """Dataset files that failed validation (Sum over ``period``)."""
        return self._metric("FailedFiles", split, period)

    def _metric(self, name: str, split: DatasetSplit, period: Duration) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=METRIC_NAMESPACE,
            metric_name=name,
            dimensions_map={"BaseModel": self.base_model, "Split": split.value},
            statistic="Sum",
            period=period,
        )

    @property
    def function_arn(self) -> str:
        """The validator function's ARN."""
        return self.function.function_arn

    @property
    def topic_arn(self) -> str:
        """The failure topic's ARN."""
        return self.topic.topic_arn
