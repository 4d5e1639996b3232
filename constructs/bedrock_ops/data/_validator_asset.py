"""The dataset_validator Lambda asset: its handler plus the single validator core, staged at synth time.

The repository holds one copy of the validator (``bedrock_ops/data/validation.py``,
``bedrock_ops/models/registry.py`` and ``bedrock_ops/models/data/model_registry.json``). At synth time the
staging every handler uses (``bedrock_ops._core.staging``: the handler, the handler runtime) also copies
them next to ``lambda/dataset_validator/index.py`` into the asset as a minimal ``bedrock_ops`` package, so
that the handler imports exactly the code the CLI and the synth-time check run. The asset hash is computed
from the staged output, so a change to the core changes the function.

To keep the asset small (the project's limit is 50 KB per Lambda asset), the staged modules lose their
docstrings (``strip_docstrings``) and the registry JSON is written compactly, without what datasets never read.
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

from bedrock_ops._core.staging import StagedFile, handler_code

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
HANDLER = "dataset_validator"
#: Files of the validator core staged into the asset, relative to the bedrock_ops package.
CORE_FILES = ("models/registry.py", "data/validation.py", "models/data/model_registry.json")
REGISTRY_FILE_NAME = "extra_model_registry.json"


def compact_registry(text: str) -> str:
    """The registry JSON without the fields dataset validation never reads (descriptions, notes, display
    names, hyperparameters: those matter to customization jobs, not to datasets), compact."""
    document = json.loads(text)
    document.pop("description", None)
    document.pop("hyperparameter_sets", None)
    for model in document.get("models", []):
        for unused in ("notes", "display_name", "hyperparameters"):
            model.pop(unused, None)
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n"


def core_files(registry_file: Path | None = None) -> list[StagedFile]:
    """The validator core (and an extra model registry) as files of the asset."""
    files = [
        StagedFile(f"bedrock_ops/{name}", _PACKAGE_DIR / name, None if name.endswith(".py") else compact_registry)
        for name in CORE_FILES
    ]
    if registry_file is not None:
        files.append(StagedFile(REGISTRY_FILE_NAME, registry_file, compact_registry))
    return files


def validator_code(registry_file: str | Path | None = None) -> lambda_.Code:
    """The Lambda code of the dataset validator, staged locally at synth time (no Docker)."""
    extra = Path(registry_file).resolve() if registry_file is not None else None
    if extra is not None and not extra.is_file():
        raise ValueError(f"registry_file must be an existing model registry JSON file, got {str(registry_file)!r}")
    return handler_code(HANDLER, core_files(extra))
