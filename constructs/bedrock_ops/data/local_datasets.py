"""Local dataset files, validated at synth time and uploaded to the training bucket on deploy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import RemovalPolicy, Size, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_deployment as s3deploy

from bedrock_ops._core import nag
from bedrock_ops._core.enums import parse_enum
from bedrock_ops._core.ordering import uploads_on_deploy
from bedrock_ops.batch.requests import native_format_of
from bedrock_ops.data._totals import check_totals
from bedrock_ops.data.training_bucket import DataBucketLike, TrainingDataBucketBase, data_bucket_of
from bedrock_ops.data.validation import DatasetSplit, ValidationReport, validate_file
from bedrock_ops.models.facts import CustomizationType, DatasetFormat
from bedrock_ops.models.knowledge import ModelKnowledgeBase, load_models
from constructs import Construct

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


class DatasetValidationError(ValueError):
    """One or more local datasets are invalid; the message lists file, line and reason."""

    def __init__(self, message: str, reports: Sequence[ValidationReport]) -> None:
        super().__init__(message)
        self.reports = list(reports)


BATCH_INPUT_PREFIX = "batch/input/"
"""Where local batch inference input is uploaded (``<prefix><name>/``): ``BatchInference``'s default input prefix."""


@dataclass(frozen=True)
class LocalDataset:
    """A JSONL file on disk meant for one split of a customization job, or the input of batch inference jobs.

    Uploaded to ``<training or validation prefix><name>/<file name>`` of the data bucket; batch input
    (``dataset_format=DatasetFormat.BATCH_RECORDS``, ``base_model``: the model the jobs run; the customization
    type and split do not apply) to ``batch/input/<name>/<file name>``.
    ``customization_type`` and ``split`` take their enum or its value or name (``"fine-tuning"``, ``"validation"``).
    """

    name: str
    """Key segment under the prefix, e.g. ``service-desk`` (letters, digits, ``-``, ``_``, ``.``)."""
    path: Path
    base_model: str
    customization_type: CustomizationType = CustomizationType.FINE_TUNING
    split: DatasetSplit = DatasetSplit.TRAINING
    dataset_format: DatasetFormat | None = None
    """None: a customization dataset (its format follows the model); ``BATCH_RECORDS``: batch inference input."""

    @property
    def batch(self) -> bool:
        """Whether the file is batch inference input."""
        return self.dataset_format is DatasetFormat.BATCH_RECORDS

    def __post_init__(self) -> None:
        ctype = parse_enum(CustomizationType, self.customization_type, param="LocalDataset.customization_type")
        object.__setattr__(self, "customization_type", ctype)
        object.__setattr__(self, "split", parse_enum(DatasetSplit, self.split, param="LocalDataset.split"))

    def key_prefix(self, bucket: TrainingDataBucketBase) -> str:
        """The key prefix the file is uploaded under."""
        if self.batch:
            return f"{BATCH_INPUT_PREFIX}{self.name}/"
        base = bucket.training_prefix if self.split is DatasetSplit.TRAINING else bucket.validation_prefix
        return f"{base}{self.name}/"


def validate_local_datasets(
    datasets: Sequence[LocalDataset],
    *,
    models: ModelKnowledgeBase | None = None,
    errors_shown: int = 10,
) -> list[ValidationReport]:
    """Validate every file; raise :class:`DatasetValidationError` listing the first errors if any fails.

    Also checks the quotas on training plus validation records of each dataset name (Llama 3.x needs
    at least 100 in total, for example). Unknown models and unsupported customization types raise
    ``ValueError`` naming the dataset.
    """
    models = models or load_models()
    reports: list[ValidationReport] = []
    problems: list[str] = []
    seen: set[tuple[str, DatasetSplit]] = set()
    for dataset in datasets:
        if not dataset.name or not set(dataset.name) <= _NAME_CHARS:
            raise ValueError(f"dataset name must be letters, digits, '-', '_' or '.', got {dataset.name!r}")
        if (dataset.name, dataset.split) in seen:
            raise ValueError(f"dataset {dataset.name!r} declares the {dataset.split.value} split twice")
        seen.add((dataset.name, dataset.split))
        try:
            spec = models.resolve(dataset.base_model, prop="base_model")
            if not dataset.batch:
                spec.require(dataset.customization_type)
        except ValueError as exc:
            raise ValueError(f"dataset {dataset.name!r}: {exc}") from None
        try:
            if dataset.batch:
                report = validate_file(
                    dataset.path,
                    base_model=spec,
                    models=models,
                    dataset_format=DatasetFormat.BATCH_RECORDS,
                    body_format=native_format_of(spec.model_id),
                    max_errors=errors_shown,
                )
            else:
                report = validate_file(
                    dataset.path,
                    base_model=spec,
                    customization_type=dataset.customization_type,
                    split=dataset.split,
                    max_errors=errors_shown,
                )
        except OSError as exc:
            raise ValueError(f"dataset {dataset.name!r}: cannot read {dataset.path}: {exc.strerror or exc}") from None
        reports.append(report)
        if not report.valid:
            problems.append(report.format_text())
    problems.extend(_total_problems(datasets, reports, models))
    if problems:
        raise DatasetValidationError(
            "invalid datasets; nothing was synthesized or uploaded:\n" + "\n".join(problems), reports
        )
    return reports


def _total_problems(
    datasets: Sequence[LocalDataset], reports: Sequence[ValidationReport], models: ModelKnowledgeBase
) -> list[str]:
    counts: dict[str, dict[DatasetSplit, int]] = {}
    by_name: dict[str, LocalDataset] = {}
    for dataset, report in zip(datasets, reports, strict=True):
        if dataset.batch:  # batch input trains nothing: no training plus validation quotas
            continue
        counts.setdefault(dataset.name, {})[dataset.split] = report.records
        by_name.setdefault(dataset.name, dataset)
    problems = []
    for name, splits in counts.items():
        dataset = by_name[name]
        spec = models.resolve(dataset.base_model, prop="base_model")
        for problem in check_totals(
            spec,
            dataset.customization_type,
            splits.get(DatasetSplit.TRAINING, 0),
            splits.get(DatasetSplit.VALIDATION, 0),
        ):
            problems.append(f"dataset {name!r}: {problem}")
    return problems


class LocalDatasets(Construct):
    """Validates local dataset files when the app is synthesized and uploads them on deploy.

    Validation runs in the constructor: an invalid file raises :class:`DatasetValidationError`
    (file, line and reason of the first errors) and the synth stops before any asset is staged.
    Valid files are uploaded by one ``BucketDeployment`` each to
    ``<training|validation prefix><name>/<file name>``; nothing is pruned or deleted in the bucket.

    Example::

        LocalDatasets(self, "Datasets", data_bucket=data, datasets=[
            LocalDataset(name="chat", path=Path("data/train.jsonl"), base_model="amazon.nova-micro-v1:0"),
        ])
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        data_bucket: DataBucketLike,
        datasets: Sequence[LocalDataset],
        data_bucket_key: kms.IKey | None = None,
        models_file: str | Path | None = None,
        errors_shown: int = 10,
        memory_limit: int = 1024,
    ) -> None:
        """
        :param data_bucket: where the files go: a ``TrainingDataBucket`` or any ``s3.IBucket`` (default prefixes,
            ``DataPrefixes()``).
        :param data_bucket_key: the KMS key of an ``s3.IBucket`` ``data_bucket`` (default: the bucket's own).
        :param datasets: the files, each with its name, base model, customization type and split.
        :param models_file: a models file merged over the packaged knowledge base (default: none).
        :param errors_shown: errors listed per file when validation fails, 1-1000 (default: 10).
        :param memory_limit: MB for the upload function, 128-10240 (default: 1024; the AWS CLI streams).
        """
        super().__init__(scope, id)
        data_bucket = data_bucket_of(data_bucket, encryption_key=data_bucket_key)
        if not 1 <= errors_shown <= 1000:
            raise ValueError(f"errors_shown must be 1-1000, got {errors_shown}")
        if not 128 <= memory_limit <= 10240:
            raise ValueError(f"memory_limit must be 128-10240 MB, got {memory_limit}")
        self.reports = validate_local_datasets(datasets, models=load_models(models_file), errors_shown=errors_shown)
        self.datasets = list(datasets)
        self.deployments: list[s3deploy.BucketDeployment] = []
        if not datasets:
            return
        log_group = logs.LogGroup(
            self, "UploadLogs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.DESTROY
        )
        role = iam.Role(
            self,
            "UploadRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Uploads validated local datasets to the training data bucket",
        )
        log_group.grant_write(role)
        self.upload_role = role
        for index, dataset in enumerate(datasets):
            path = Path(dataset.path).resolve()
            deployment = s3deploy.BucketDeployment(
                self,
                f"Upload{index}",
                destination_bucket=data_bucket.bucket,
                destination_key_prefix=dataset.key_prefix(data_bucket),
                sources=[s3deploy.Source.asset(str(path.parent), exclude=["*", f"!{path.name}"])],
                prune=False,
                retain_on_delete=True,
                role=role,
                log_group=log_group,
                memory_limit=memory_limit,
                ephemeral_storage_size=Size.gibibytes(10),
            )
            self.deployments.append(deployment)
            uploads_on_deploy(data_bucket.bucket, deployment)
            if data_bucket.encryption_key is not None and data_bucket.bucket.encryption_key is None:
                # BucketDeployment grants the key of the bucket object only: an s3.IBucket given with
                # data_bucket_key needs the key granted here, through S3, on the dataset's prefix.
                data_bucket.grant_write_prefix(role, dataset.key_prefix(data_bucket))
        self._acknowledge(role)

    def _acknowledge(self, role: iam.Role) -> None:
        """Acknowledge the findings on what aws-cdk-lib's BucketDeployment grants and runs."""
        policy = role.node.find_child("DefaultPolicy")
        assert isinstance(policy, iam.Policy)
        reasons = {
            "AwsSolutions-IAM5[Action::s3:GetObject*]": "BucketDeployment grants read on the CDK asset objects "
            "it copies from (s3:GetObject* covers their versions and tags).",
            "AwsSolutions-IAM5[Action::s3:GetBucket*]": "BucketDeployment reads the source and destination "
            "buckets' configuration to copy objects with the AWS CLI.",
            "AwsSolutions-IAM5[Action::s3:List*]": "The AWS CLI sync used by BucketDeployment lists the "
            "destination prefix to compare objects.",
            "AwsSolutions-IAM5[Action::s3:DeleteObject*]": "Granted by BucketDeployment's readWrite grant on "
            "the destination; prune is off, so the function never deletes objects.",
            "AwsSolutions-IAM5[Action::s3:Abort*]": "Lets the AWS CLI abort its own multipart uploads of "
            "large dataset files.",
            "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]": "Writing SSE-KMS objects to the training "
            "bucket needs data keys of its key (granted on that one key only).",
            "AwsSolutions-IAM5[Action::kms:ReEncrypt*]": "Granted with the bucket key by the destination's "
            "readWrite grant (that one key only).",
        }
        for finding, reason in reasons.items():
            nag.acknowledge(policy, finding, reason)
        stack = Stack.of(self)
        document = stack.resolve(policy.document.to_json())
        for statement in document.get("Statement", []):
            resources = statement.get("Resource", [])
            for resource in resources if isinstance(resources, list) else [resources]:
                rendered = nag.iam5_resource_finding(self, resource)
                if not rendered.endswith("/*]"):
                    continue
                nag.acknowledge(
                    policy,
                    rendered,
                    "BucketDeployment copies the zipped dataset asset (key: its content hash) from the CDK "
                    "asset bucket into the training bucket, under the dataset's training/<name>/, "
                    "validation/<name>/ or batch/input/<name>/ prefix; the grants of aws-cdk-lib cover the "
                    "buckets' objects.",
                )
        for child in stack.node.children:
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                nag.acknowledge(
                    child,
                    "AwsSolutions-L1",
                    "The runtime of BucketDeployment's handler is chosen by aws-cdk-lib and cannot be set; "
                    "it is the version this aws-cdk-lib release ships and tests.",
                )
