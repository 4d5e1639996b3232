"""What a customization job is made of, checked at synth against the model knowledge base.

:class:`CustomizationHyperparameters` (typed, sent under the API names), :func:`validate_job_definition` (type,
dataset format, hyperparameter ranges), :func:`check_teacher` (documented teacher/student pairs, profile-only
teachers given as inference profiles), :func:`job_base_model_id` (the ``baseModelIdentifier`` the fine-tuning
table documents) and the request's training-relevant part (:func:`job_definition`, what the trigger hashes).
The facts come from the knowledge base (``bedrock_ops/models/data/models.json``); nothing here restates them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Token
from aws_cdk import aws_ec2 as ec2

from bedrock_ops._core.errors import PropTypeError
from bedrock_ops._core.limits import WORKFLOW_TIMEOUT_HOURS
from bedrock_ops._core.sequences import require_list
from bedrock_ops.data.training_bucket import TrainingDataBucketBase
from bedrock_ops.models.facts import CustomizationType, DatasetFormat, ModelEntry, detect_format
from bedrock_ops.models.ids import ModelReference, ReferenceKind
from bedrock_ops.models.knowledge import ModelKnowledgeBase

__all__ = [
    "CustomizationHyperparameters",
    "check_teacher",
    "detect_file_format",
    "job_base_model_id",
    "job_definition",
    "validate_job_definition",
]

HASH_SUFFIX = 13  # "-" + 12 hex characters appended by the trigger
MAX_NAME = 63
MODEL_NAME_RE = re.compile(r"^[0-9a-zA-Z](?:[_-]?[0-9a-zA-Z])*$")
_MAX_TAGS = 200
_FIX = "(model knowledge base; add or correct a fact with a models file: models_file / --models-file)"


@dataclass(frozen=True)
class CustomizationHyperparameters:
    """Hyperparameters of a customization job, named as in Python and sent under the API names.

    Every field defaults to ``None`` (not sent: Bedrock uses the model's default). Which ones a
    base model takes, and their ranges, come from the model registry and are checked at synth.
    """

    epoch_count: int | None = None
    """``epochCount``: passes over the training data."""
    batch_size: int | None = None
    """``batchSize``: records per update."""
    learning_rate: float | None = None
    """``learningRate`` (Titan, Llama, Nova)."""
    learning_rate_warmup_steps: int | None = None
    """``learningRateWarmupSteps`` (Titan, Nova)."""
    learning_rate_multiplier: float | None = None
    """``learningRateMultiplier`` (Claude 3 Haiku)."""
    early_stopping_threshold: float | None = None
    """``earlyStoppingThreshold`` (Claude 3 Haiku)."""
    early_stopping_patience: int | None = None
    """``earlyStoppingPatience`` (Claude 3 Haiku)."""
    extra: Mapping[str, int | float | str] = field(default_factory=dict)
    """Other hyperparameters by API name (must still be known to the registry for the model)."""

    _API_NAMES = {  # noqa: RUF012 - class constant, not a dataclass field (no annotation)
        "epoch_count": "epochCount",
        "batch_size": "batchSize",
        "learning_rate": "learningRate",
        "learning_rate_warmup_steps": "learningRateWarmupSteps",
        "learning_rate_multiplier": "learningRateMultiplier",
        "early_stopping_threshold": "earlyStoppingThreshold",
        "early_stopping_patience": "earlyStoppingPatience",
    }

    def __post_init__(self) -> None:
        """Each field is a number (int or float; not a string or bool) or a token, as the configuration's
        ``hyperparameters`` (numbers by API name); ranges and integrality come from the knowledge base."""
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "extra" or value is None or Token.is_unresolved(value):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise PropTypeError(
                    f"CustomizationHyperparameters.{item.name} ({self._API_NAMES[item.name]}) must be a number "
                    f"(int or float), got {type(value).__name__} {value!r}"
                )

    def to_api(self) -> dict[str, int | float | str]:
        """Return the set hyperparameters keyed by their API names (unvalidated)."""
        values: dict[str, int | float | str] = {}
        for item in fields(self):
            if item.name == "extra":
                continue
            value = getattr(self, item.name)
            if value is not None:
                values[self._API_NAMES[item.name]] = value
        for name, value in self.extra.items():
            if name in values:
                raise ValueError(f"hyperparameter {name} is given twice (as a field and in extra)")
            values[name] = value
        return values

    @classmethod
    def from_api(cls, values: Mapping[str, int | float | str]) -> CustomizationHyperparameters:
        """Build from a mapping keyed by API names (``{"epochCount": 2, ...}``)."""
        by_api = {api: py for py, api in cls._API_NAMES.items()}
        known: dict[str, Any] = {by_api[k]: v for k, v in values.items() if k in by_api}
        extra = {k: v for k, v in values.items() if k not in by_api}
        return cls(**known, extra=extra)


def validate_job_definition(
    spec: ModelEntry,
    *,
    customization_type: CustomizationType,
    dataset_format: DatasetFormat | None,
    hyperparameters: CustomizationHyperparameters,
) -> dict[str, str]:
    """Check type, dataset format and hyperparameters against the model's knowledge base entry.

    Returns the hyperparameters as the API strings. Raises ``ValueError`` naming the prop, the bad
    value and what is allowed.
    """
    formats = spec.require(customization_type)  # UnsupportedCustomizationError lists the allowed
    if dataset_format is not None and not spec.accepts(customization_type, dataset_format):
        allowed = ", ".join(f.value for f in formats) or "none"
        raise ValueError(
            f"training data format {dataset_format.value} does not match customization_type "
            f"{customization_type.value} for {spec.model_id}; allowed formats: {allowed}"
        )
    api_values: dict[str, str] = {}
    taken = spec.hyperparameters(customization_type)
    for name, value in hyperparameters.to_api().items():
        hp_spec = taken.get(name)
        if hp_spec is None:
            allowed = ", ".join(sorted(taken)) or "none"
            raise ValueError(f"hyperparameter {name} is not taken by {spec.model_id}; allowed: {allowed}")
        if isinstance(value, str) and Token.is_unresolved(value):
            api_values[name] = value
            continue
        api_values[name] = hp_spec.validate(value)
    return api_values


def detect_file_format(path: str | Path) -> DatasetFormat | None:
    """Return the dataset format of the first non-empty JSON line of a local JSONL file."""
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                return detect_format(record) if isinstance(record, dict) else None
    return None


def training_file_format(path: str | Path) -> DatasetFormat:
    """The dataset format of the local training file at ``path``, or ``ValueError`` naming the file."""
    found = detect_file_format(path)
    if found is None:
        untrained = (DatasetFormat.EVALUATION_PROMPTS, DatasetFormat.BATCH_RECORDS)
        trainable = (f.value for f in DatasetFormat if f not in untrained)
        raise ValueError(
            f"training_data_file {path} holds no record of a known dataset format; allowed formats: "
            f"{', '.join(trainable)}"
        )
    return found


def check_name(prop: str, value: str, pattern: re.Pattern[str]) -> None:
    if Token.is_unresolved(value):
        return
    limit = MAX_NAME - HASH_SUFFIX
    if not 1 <= len(value) <= limit or not pattern.match(value):
        raise ValueError(
            f"{prop} must be 1-{limit} letters, digits, '-' or '_' (a -<hash> suffix is added), got {value!r}"
        )


def job_definition(
    *,
    base_model_id: str,
    customization_type: CustomizationType,
    training_uri: str,
    validation_uris: Sequence[str],
    output_uri: str,
    hyperparameters: Mapping[str, str],
    teacher_model_id: str | None,
    max_response_length: int | None,
) -> dict[str, Any]:
    """The training-relevant part of the request (what the trigger hashes), Step Functions casing."""
    definition: dict[str, Any] = {
        "BaseModelIdentifier": base_model_id,
        "CustomizationType": customization_type.value,
        "TrainingDataConfig": {"S3Uri": training_uri},
        "OutputDataConfig": {"S3Uri": output_uri},
    }
    if validation_uris:
        definition["ValidationDataConfig"] = {"Validators": [{"S3Uri": uri} for uri in validation_uris]}
    if hyperparameters:
        definition["HyperParameters"] = dict(hyperparameters)
    if customization_type is CustomizationType.DISTILLATION:
        teacher: dict[str, Any] = {"TeacherModelIdentifier": teacher_model_id}
        if max_response_length is not None:
            teacher["MaxResponseLengthForInference"] = max_response_length
        definition["CustomizationConfig"] = {"DistillationConfig": {"TeacherModelConfig": teacher}}
    return definition


def check_counts(
    validation_data_keys: Sequence[str],
    tags: Mapping[str, str],
    vpc: ec2.IVpc | None,
    security_groups: Sequence[ec2.ISecurityGroup],
    *,
    media_prefixes: Sequence[str] = (),
    timeout: Duration | None = None,
) -> None:
    """Counts, list types and the workflow timeout (the bounds the configuration shares)."""
    require_list(validation_data_keys, param="validation_data_keys", of="object keys")
    require_list(media_prefixes, param="media_prefixes", of="key prefixes")
    require_list(security_groups, param="security_groups", of="security groups")
    if timeout is not None:
        WORKFLOW_TIMEOUT_HOURS.check_hours("timeout", timeout)
    if not 0 <= len(validation_data_keys) <= 10:
        raise ValueError(f"validation_data_keys must hold 0-10 keys, got {len(validation_data_keys)}")
    if len(tags) > _MAX_TAGS:
        raise ValueError(f"tags must hold at most {_MAX_TAGS} tags, got {len(tags)}")
    if vpc is None and security_groups:
        raise ValueError("security_groups needs vpc; got security groups without a vpc")


def check_prefixes(
    data_bucket: TrainingDataBucketBase,
    training_data_key: str,
    validation_data_keys: Sequence[str],
    output_prefix: str,
) -> None:
    """The service role reads only the training/validation prefixes and writes only the output prefix."""
    readable = (data_bucket.training_prefix, data_bucket.validation_prefix)
    for prop, key in [("training_data_key", training_data_key)] + [
        ("validation_data_keys", k) for k in validation_data_keys
    ]:
        if not Token.is_unresolved(key) and not key.startswith(readable):
            raise ValueError(
                f"{prop} must be under the bucket's {' or '.join(repr(p) for p in readable)} prefix "
                f"(the service role reads only those), got {key!r}"
            )
    if not Token.is_unresolved(output_prefix) and not output_prefix.startswith(data_bucket.output_prefix):
        raise ValueError(
            f"output_prefix must be under the bucket's {data_bucket.output_prefix!r} prefix "
            f"(the service role writes only there), got {output_prefix!r}"
        )


def check_distillation(
    customization_type: CustomizationType, teacher_model_id: str | None, max_response_length: int | None
) -> None:
    if customization_type is CustomizationType.DISTILLATION:
        if not teacher_model_id:
            raise ValueError("teacher_model_id is required for customization_type DISTILLATION, got None")
        if max_response_length is not None and not 1 <= max_response_length <= 32768:
            raise ValueError(f"max_response_length must be 1-32768, got {max_response_length}")
        return
    if teacher_model_id is not None or max_response_length is not None:
        raise ValueError(
            "teacher_model_id and max_response_length apply to customization_type DISTILLATION only, "
            f"got them with {customization_type.value}"
        )


def job_base_model_id(spec: ModelEntry, customization_type: CustomizationType, given: str) -> str:
    """The ``baseModelIdentifier`` to send: the id the knowledge base documents for ``customization_type`` (the
    fine-tuning table lists context variants, e.g. ``amazon.nova-micro-v1:0:128k``), whichever id of the model
    the user gave; the given id where the knowledge base has none (``null``, listed as unconfirmed)."""
    facts = spec.customization.get(customization_type)
    return facts.base_model_id if facts is not None and facts.base_model_id else given


def check_teacher(
    models: ModelKnowledgeBase, student: ModelEntry, teacher_model_id: str, *, prop: str = "teacher_model_id"
) -> ModelReference:
    """Check a distillation teacher against the student's documented teachers; a teacher invoked only through
    cross-Region inference profiles must be given as one. Returns the parsed teacher (a token is not checked).

    Raises ``ValueError`` naming ``prop``, the teacher, the student and the allowed teachers.
    """
    reference = models.reference(teacher_model_id, is_token=Token.is_unresolved)
    if reference.kind is ReferenceKind.TOKEN:
        return reference
    if reference.model_id is None:
        raise ValueError(
            f"{prop} must be a foundation model id or ARN or a cross-Region inference profile, "
            f"got a {reference.kind.value}: {teacher_model_id!r}"
        )
    teacher = models.resolve(reference.model_id, prop=prop)
    facts = student.customization.get(CustomizationType.DISTILLATION)
    teachers = facts.teachers if facts is not None else ()
    if teacher.model_id not in teachers:
        raise ValueError(
            f"{prop} {teacher_model_id!r} cannot teach {student.model_id}: its documented teachers are "
            f"{', '.join(teachers) or 'none'} {_FIX}"
        )
    if teacher.inference_profile_only and reference.kind is not ReferenceKind.INFERENCE_PROFILE:
        geographies = ", ".join(f"{g}." for g in models.geographies)
        raise ValueError(
            f"{prop} {teacher_model_id!r}: {teacher.name} is invoked only through a cross-Region inference "
            f"profile; give the profile, e.g. 'us.{teacher.model_id}' (prefixes: {geographies}) {_FIX}"
        )
    return reference


def media_uris(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line, uri) of every image and video ``s3Location`` of a local Converse JSONL file."""
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if '"s3Location"' not in line:
                continue
            yield from ((number, uri) for uri in _uris(json.loads(line)))


def _uris(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        location = value.get("s3Location")
        if isinstance(location, dict) and isinstance(location.get("uri"), str):
            yield location["uri"]
        for item in value.values():
            yield from _uris(item)
    elif isinstance(value, list):
        for item in value:
            yield from _uris(item)


def check_media_readable(path: str | Path, readable: Sequence[str]) -> None:
    """Every medium the local training file references must be under a prefix the service role reads
    (``readable``: the training and validation prefixes and the ``media_prefixes``)."""
    for number, uri in media_uris(path):
        key = uri.removeprefix("s3://").partition("/")[2]
        if not key.startswith(tuple(readable)):
            raise ValueError(
                f"training_data_file {path} line {number}: medium {uri!r} is outside the prefixes the service "
                f"role reads ({', '.join(repr(p) for p in readable)}); add its prefix to media_prefixes"
            )
