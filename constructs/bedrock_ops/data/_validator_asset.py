"""The dataset_validator Lambda asset: its handler plus the single validator core, staged at synth time.

The repository holds one copy of the validator (``bedrock_ops/data/_stream.py``, the streaming core behind
``bedrock_ops.data.validation``, with the record rules it imports: training formats, RFT prompts, batch
inference input) and of the model knowledge base (``bedrock_ops/models/``). At synth time the staging every
handler uses (``bedrock_ops._core.staging``: the handler, the handler runtime) also copies them next to
``lambda/dataset_validator/index.py`` into the asset as a minimal ``bedrock_ops`` package, so that the handler
imports exactly the code the CLI and the synth-time check run. The asset hash is computed from the staged
output, so a change to the core changes the function.

To keep the asset small (the project's limit is 50 KB per Lambda asset), the staged modules lose their
docstrings (``strip_docstrings``), the parts the Lambda never runs live in modules it does not stage (the
local-file entry point, evaluation prompt rules, the text report, the knowledge base's lookups), and the
knowledge base JSON is staged with the user's models file already merged in, reduced to the models that can be
customized (by plain id) and the fields dataset validation reads, compact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import aws_lambda as lambda_

from bedrock_ops._core.staging import StagedFile, handler_code
from bedrock_ops.models._files import merged_document
from bedrock_ops.models.knowledge import PACKAGED

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
HANDLER = "dataset_validator"
#: Files of the validator core staged into the asset, relative to the bedrock_ops package.
CORE_FILES = (
    "models/facts.py",
    "models/_entries.py",
    "data/_report.py",
    "data/_records.py",
    "data/rft_records.py",
    "data/batch_records.py",
    "data/_stream.py",
    "models/data/models.json",
)
#: The dataset rules the validator reads, with the defaults the loader assumes when one is absent (the
#: staged JSON leaves those out; the other fields of an entry serve the constructs, not the validator).
_DATASET_FIELDS: dict[str, Any] = {
    "chars_per_token": 6,
    "max_tokens_per_record": None,
    "max_input_tokens": None,
    "max_output_tokens": None,
    "reserved_strings": [],
    "converse_schema_version": None,
    "multi_turn_distillation": False,
    "reserved_in_prompts_only": False,
    "single_modality": False,
    "max_videos_per_record": None,
    "media_in_dataset_bucket": False,
}


def compact_models(models_file: Path | None = None) -> str:
    """The knowledge base (with ``models_file`` merged over it) as the validator reads it, compact: only the
    models that can be customized, by plain id (no variants: the rules name plain ids), with
    their dataset rules that differ from the defaults and their per-type formats and quotas."""
    if models_file is None:
        document: dict[str, Any] = json.loads(PACKAGED.read_text(encoding="utf-8"))
    else:
        document = merged_document(models_file)
    models = {}
    shared: dict[str, str] = {}  # identical rules and types are written once, then named by the first model's id
    for model_id, entry in document["models"].items():
        if not entry.get("customization"):
            continue
        rules = {k: v for k, v in entry.get("dataset", {}).items() if _DATASET_FIELDS.get(k, v) != v}
        key = json.dumps(rules, sort_keys=True)
        dataset: dict[str, Any] | str = shared.get(key, rules) if rules else rules
        shared.setdefault(key, model_id)
        types = {}
        for ctype, facts in entry["customization"].items():
            quotas = {k: v for k, v in (facts.get("quotas") or {}).items() if v is not None}
            types[ctype] = {"formats": facts.get("formats", []), **({"quotas": quotas} if quotas else {})}
        # By plain id only: the function's rules hold the plain ids the constructs resolved at synth.
        key = json.dumps(types, sort_keys=True)
        models[model_id] = {
            **({"dataset": dataset} if dataset else {}),
            "customization": shared.get(key, types),
        }
        shared.setdefault(key, model_id)
    compact = {"models": models}
    return json.dumps(compact, separators=(",", ":"), ensure_ascii=False) + "\n"


def core_files(models_file: Path | None = None) -> list[StagedFile]:
    """The validator core and the knowledge base (``models_file`` merged in) as files of the asset."""
    return [
        StagedFile(
            f"bedrock_ops/{name}",
            _PACKAGE_DIR / name,
            None if name.endswith(".py") else (lambda _text: compact_models(models_file)),
        )
        for name in CORE_FILES
    ]


def validator_code(models_file: str | Path | None = None) -> lambda_.Code:
    """The Lambda code of the dataset validator, staged locally at synth time (no Docker)."""
    extra = Path(models_file).resolve() if models_file is not None else None
    if extra is not None and not extra.is_file():
        raise ValueError(f"models_file must be an existing models JSON file, got {str(models_file)!r}")
    return handler_code(HANDLER, core_files(extra))
