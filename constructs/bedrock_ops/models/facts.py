"""What the knowledge base says about one model: typed, immutable, standard library only.

The dataset validator Lambda stages this module into its asset, so it imports nothing outside the
standard library. :class:`ModelEntry` is what :meth:`ModelKnowledgeBase.resolve` returns; the dataset
validator reads its dataset rules (:meth:`ModelEntry.require`, :meth:`ModelEntry.limits`, ...), the
constructs read the other fact groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a runtime import would stage it into the dataset validator asset, which never reads it
    from bedrock_ops.models.hyperparameters import HyperparameterSpec

__all__ = [
    "BatchLimits",
    "CustomizationFacts",
    "CustomizationType",
    "DatasetFormat",
    "DatasetLimits",
    "ModelEntry",
    "Source",
    "UnsupportedCustomizationError",
    "detect_format",
]

LIMIT_KEYS = (
    "min_training_records",
    "max_training_records",
    "max_validation_records",
    "min_total_records",
    "max_total_records",
    "max_training_file_bytes",
    "max_validation_file_bytes",
)


class CustomizationType(StrEnum):
    """Customization types; values are the ``customizationType`` strings of the Bedrock API."""

    FINE_TUNING = "FINE_TUNING"
    CONTINUED_PRE_TRAINING = "CONTINUED_PRE_TRAINING"
    DISTILLATION = "DISTILLATION"
    REINFORCEMENT_FINE_TUNING = "REINFORCEMENT_FINE_TUNING"

    @classmethod
    def parse(cls, value: str) -> CustomizationType:
        """Accept the API value or the CLI spelling (``fine-tuning``, ``continued-pre-training``...)."""
        key = value.strip().upper().replace("-", "_")
        try:
            return cls(key)
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown customization type {value!r}; allowed: {allowed}") from None


class DatasetFormat(StrEnum):
    """JSONL record shapes that Bedrock customization (and model evaluation) accepts."""

    INSTRUCTION = "instruction"
    """``{"prompt": str, "completion": str}``."""
    CLAUDE_CONVERSATION = "claude-conversation"
    """``{"system"?: str, "messages": [{"role", "content": str}]}`` (Claude 3 Haiku)."""
    CONVERSE = "converse"
    """``{"schemaVersion", "system"?: [{"text"}], "messages": [{"role", "content": [blocks]}]}``."""
    CONTINUED_PRE_TRAINING = "continued-pre-training"
    """``{"input": str}``."""
    DISTILLATION_PROMPTS = "distillation-prompts"
    """Converse-schema prompts: a user turn, optionally followed by the desired assistant answer."""
    RFT_PROMPTS = "rft-prompts"
    """``{"messages": [{"role", "content": str}], "reference_answer": any, ...}``: reinforcement fine-tuning
    prompts (OpenAI chat format) with what the reward function grades against (``bedrock_ops.data.rft_records``)."""
    BATCH_RECORDS = "batch-records"
    """``{"recordId"?: str, "modelInput": {...}}``: the input of a batch inference job (``CreateModelInvocationJob``),
    the model's request body per record (``bedrock_ops.data.batch_records``). It trains no model: no model lists it,
    and its quotas are the knowledge base's ``batch_inference`` table (:class:`BatchLimits`)."""
    EVALUATION_PROMPTS = "evaluation-prompts"
    """``{"prompt": str, "referenceResponse"?: str, "category"?: str, "modelResponses"?: [...]}``: the custom
    prompt dataset of a model evaluation job. It trains no model: no model lists it, and it is validated
    without a base model."""


class UnsupportedCustomizationError(ValueError):
    """The base model does not support the requested customization type."""


@dataclass(frozen=True)
class Source:
    """A documentation page a fact was taken from, and the date it was read."""

    key: str
    url: str
    title: str = ""
    as_of: str = ""


@dataclass(frozen=True)
class DatasetLimits:
    """Record-count and file-size quotas for one customization type (None: not documented)."""

    min_training_records: int | None = None
    max_training_records: int | None = None
    max_validation_records: int | None = None
    min_total_records: int | None = None
    max_total_records: int | None = None
    max_training_file_bytes: int | None = None
    max_validation_file_bytes: int | None = None


@dataclass(frozen=True)
class BatchLimits:
    """Batch inference quotas of one model (``ModelKnowledgeBase.batch_limits``; None: not documented, not checked).

    ``min_records``: records across the job's files; ``max_file_records`` / ``max_file_bytes``: one input file."""

    min_records: int | None = None
    max_file_records: int | None = None
    max_job_records: int | None = None
    max_file_bytes: int | None = None
    max_job_bytes: int | None = None


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class CustomizationFacts:
    """One customization type of one base model: dataset formats, quotas, hyperparameters, job ids."""

    formats: tuple[DatasetFormat, ...]
    limits: DatasetLimits = DatasetLimits()
    hyperparameters: Mapping[str, HyperparameterSpec] = field(default_factory=_empty, hash=False)
    base_model_id: str | None = None
    """The ``baseModelIdentifier`` form CreateModelCustomizationJob takes (the fine-tuning table's id)."""
    regions: tuple[str, ...] | None = None
    teachers: tuple[str, ...] = ()
    """DISTILLATION: the documented teacher models of this student."""


@dataclass(frozen=True)
class ModelEntry:
    """Everything the knowledge base knows about one model (None: not documented, not checked)."""

    model_id: str
    """The plain id (``amazon.nova-micro-v1:0``); ``variants`` are its context variants."""
    provider: str
    name: str
    variants: tuple[str, ...] = ()
    pricing_key: str | None = None
    regions: tuple[str, ...] | None = None
    on_demand: bool | None = None
    inference_profile_only: bool = False
    anthropic_use_case_form: bool = False
    marketplace_subscription: bool | None = None
    """Whether a third-party model sold through AWS Marketplace: the account subscribes on the first invocation
    (or when its agreement is accepted); None: not known."""
    provisioned_throughput: bool = False
    provisioned_throughput_variants: tuple[str, ...] = ()
    provisioned_throughput_no_commitment: bool | None = None
    custom_model_deployment: bool | None = None
    """Whether its custom models can be served on demand by a custom model deployment."""
    custom_model_deployment_regions: tuple[str, ...] | None = None
    """The Regions of custom model deployments (None: not documented, not checked)."""
    custom_model_deployment_customized_since: str | None = None
    """ISO date: only custom models customized on or after it can be deployed (None: no documented limit)."""
    model_copy: bool | None = None
    """Whether its custom models can be copied to another Region (CreateModelCopyJob)."""
    model_copy_regions: tuple[str, ...] | None = None
    """The Regions its custom models can be copied to (None: not documented, not checked)."""
    judge: bool = False
    """Whether model evaluation accepts it as the evaluator (LLM-as-a-judge)."""
    customization: Mapping[CustomizationType, CustomizationFacts] = field(default_factory=_empty, hash=False)
    max_tokens_per_record: int | None = None
    """Input plus output tokens per record (estimated from characters); None: not checked."""
    tokens_by_batch_size: tuple[tuple[int, int], ...] = ()
    """(largest batch size, max tokens per record) pairs where the limit depends on the batch size."""
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    chars_per_token: float = 6.0
    reserved_strings: tuple[str, ...] = ()
    reserved_in_prompts_only: bool = False
    """Whether the reserved strings are refused only in user turns and the system prompt (Nova), not in answers."""
    single_modality: bool = False
    """Whether a dataset may hold images or videos but not both (Nova)."""
    max_videos_per_record: int | None = None
    media_in_dataset_bucket: bool = False
    """Whether images and videos must be in the dataset's own S3 bucket (Nova; any prefix)."""
    converse_schema_version: str | None = None
    """The exact ``schemaVersion`` a Converse record must carry (None: any string)."""
    multi_turn_distillation: bool = False
    """Whether distillation prompts may hold several user turns (Nova) or one only."""

    @property
    def ids(self) -> tuple[str, ...]:
        """The plain id and every context variant."""
        return (self.model_id, *self.variants)

    @property
    def customization_types(self) -> frozenset[CustomizationType]:
        """The customization types the model supports."""
        return frozenset(self.customization)

    def require(self, customization_type: CustomizationType) -> tuple[DatasetFormat, ...]:
        """Return the formats accepted for ``customization_type`` or raise a clear error."""
        facts = self.customization.get(customization_type)
        if facts is None:
            allowed = ", ".join(sorted(t.value for t in self.customization)) or "no customization"
            raise UnsupportedCustomizationError(
                f"{self.model_id} does not support {customization_type.value}; it supports: {allowed}"
            )
        return facts.formats

    def accepts(self, customization_type: CustomizationType, dataset_format: DatasetFormat) -> bool:
        """Whether a dataset of ``dataset_format`` can train this model with ``customization_type``.

        Converse records ending with an assistant turn are labelled distillation prompts, so
        ``CONVERSE`` is accepted wherever ``DISTILLATION_PROMPTS`` is.
        """
        facts = self.customization.get(customization_type)
        formats = facts.formats if facts else ()
        return dataset_format in formats or (
            dataset_format is DatasetFormat.CONVERSE and DatasetFormat.DISTILLATION_PROMPTS in formats
        )

    def limits(self, customization_type: CustomizationType) -> DatasetLimits:
        """The record and file quotas of ``customization_type`` (all None when it is not supported)."""
        facts = self.customization.get(customization_type)
        return facts.limits if facts else DatasetLimits()

    def hyperparameters(self, customization_type: CustomizationType) -> Mapping[str, HyperparameterSpec]:
        """The hyperparameters a job of ``customization_type`` takes, by API name."""
        facts = self.customization.get(customization_type)
        return facts.hyperparameters if facts else MappingProxyType({})


def detect_format(record: Mapping[str, Any]) -> DatasetFormat | None:
    """Guess the dataset format of one parsed JSONL record (None when it matches none).

    A ``modelInput`` makes a batch inference record, a ``reference_answer`` an RFT prompt.
    Converse records that end with a user turn are :attr:`DatasetFormat.DISTILLATION_PROMPTS`;
    with a final assistant turn they are :attr:`DatasetFormat.CONVERSE` (also valid, labelled,
    distillation prompts: see :meth:`ModelEntry.accepts`).
    """
    if "modelInput" in record:
        return DatasetFormat.BATCH_RECORDS
    messages = record.get("messages")
    if "reference_answer" in record:
        return DatasetFormat.RFT_PROMPTS
    if isinstance(messages, list):
        first = messages[0] if messages else None
        is_converse = "schemaVersion" in record or (
            isinstance(first, Mapping) and isinstance(first.get("content"), list)
        )
        if not is_converse:
            return DatasetFormat.CLAUDE_CONVERSATION
        last = messages[-1] if messages else None
        if isinstance(last, Mapping) and last.get("role") == "user":
            return DatasetFormat.DISTILLATION_PROMPTS
        return DatasetFormat.CONVERSE
    if "prompt" in record and "completion" in record:
        return DatasetFormat.INSTRUCTION
    if "input" in record:
        return DatasetFormat.CONTINUED_PRE_TRAINING
    return None
