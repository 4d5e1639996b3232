"""Streaming validation of Bedrock datasets (JSONL), the single validator core.

Customization datasets (reinforcement fine-tuning prompts too, ``DatasetFormat.RFT_PROMPTS``: the rules of
``bedrock_ops.data.rft_records``) are checked against a base model's rules; the custom prompt datasets of model
evaluation jobs (``DatasetFormat.EVALUATION_PROMPTS``) against the evaluation format, without a model; batch
inference input (``DatasetFormat.BATCH_RECORDS``: the rules of ``bedrock_ops.data.batch_records``) against the
request body format and the batch quotas (:class:`~bedrock_ops.models.facts.BatchLimits`) of its model.

Standard library only, used by the ``bedrock-ops validate-dataset`` command, the synth-time
check of datasets declared in the configuration and the ``dataset_validator`` Lambda (which
ships this module in its asset). Input is read as bytes in chunks and split into lines here, so
memory stays constant whatever the file size and bad UTF-8 is reported with its line and byte
offset. CRLF line endings are accepted.

    report = validate_file("train.jsonl", base_model="amazon.nova-micro-v1:0")
    if not report.valid:
        print(report.format_text())
    report = validate_file("prompts.jsonl", dataset_format=DatasetFormat.EVALUATION_PROMPTS)
    report = validate_file("input.jsonl", dataset_format=DatasetFormat.BATCH_RECORDS, body_format="converse")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

from bedrock_ops.data._report import (
    DEFAULT_MAX_ERRORS,
    MAX_EVALUATION_PROMPTS,
    DatasetSplit,
    ValidationIssue,
    ValidationReport,
)
from bedrock_ops.data._stream import CHUNK_SIZE, validate_stream
from bedrock_ops.models.facts import CustomizationType, DatasetFormat, ModelEntry

if TYPE_CHECKING:
    from bedrock_ops.data._options import RecordOptions
    from bedrock_ops.models.knowledge import ModelKnowledgeBase

__all__ = [
    "DEFAULT_MAX_ERRORS",
    "MAX_EVALUATION_PROMPTS",
    "DatasetSplit",
    "ValidationIssue",
    "ValidationReport",
    "iter_file_chunks",
    "validate_file",
    "validate_stream",
]


def iter_file_chunks(path: str | Path, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Yield the bytes of ``path`` in chunks of ``chunk_size``."""
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            yield chunk


def validate_file(
    path: str | Path,
    *,
    base_model: str | ModelEntry | None = None,
    customization_type: CustomizationType | str = CustomizationType.FINE_TUNING,
    split: DatasetSplit | str = DatasetSplit.TRAINING,
    models: ModelKnowledgeBase | None = None,
    dataset_format: DatasetFormat | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
    max_line_bytes: int | None = None,
    **options: Unpack[RecordOptions],
) -> ValidationReport:
    """Validate the JSONL file at ``path`` for ``base_model`` (an id or a :class:`ModelEntry`).

    For ``dataset_format=DatasetFormat.EVALUATION_PROMPTS`` (see :func:`validate_stream`) ``base_model``
    is optional and not looked up: it only names the evaluated model in the report. For
    ``DatasetFormat.BATCH_RECORDS`` an id is looked up, and ``batch_limits`` default to its quotas in the
    knowledge base (``ModelKnowledgeBase.batch_limits``).
    Raises ``UnknownModelError`` for an unknown model id, ``OSError`` when the file cannot be read.
    """
    evaluation = dataset_format is DatasetFormat.EVALUATION_PROMPTS
    spec = base_model
    if isinstance(spec, str) and not evaluation:
        # Imported here: the dataset validator Lambda builds its knowledge base itself (models.knowledge).
        from bedrock_ops.models.knowledge import load_models

        kb = models or load_models()
        spec = kb.resolve(spec, prop="base_model")
        if dataset_format is DatasetFormat.BATCH_RECORDS and options.get("batch_limits") is None:
            from bedrock_ops.models.queries import batch_limits

            options["batch_limits"] = batch_limits(kb, spec.model_id)
    ctype = (
        customization_type
        if isinstance(customization_type, CustomizationType)
        else CustomizationType.parse(customization_type)
    )
    report = validate_stream(
        iter_file_chunks(path, chunk_size),
        spec=spec if isinstance(spec, ModelEntry) else None,
        customization_type=ctype,
        split=DatasetSplit(split),
        dataset_format=dataset_format,
        max_errors=max_errors,
        source=str(path),
        progress=progress,
        max_line_bytes=max_line_bytes,
        **options,
    )
    if evaluation and base_model is not None:
        report.base_model = str(getattr(base_model, "model_id", base_model))
    return report
