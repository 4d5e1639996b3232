"""The dataset_validator Lambda asset: its handler plus the single validator core, staged at synth time.

The repository holds one copy of the validator (``bedrock_ops/data/validation.py`` and the modules it
imports) and of the model knowledge base (``bedrock_ops/models/``). At synth time a local
bundler (plain Python, no Docker) copies them next to ``lambda/dataset_validator/index.py`` into the
asset as a minimal ``bedrock_ops`` package, so that the handler imports exactly the code the CLI and
the synth-time check run. The asset hash is computed from the staged output, so a change to the core
changes the function.

To keep the asset small (the project's limit is 50 KB per Lambda asset), the staged modules are the
repository's modules with their docstrings removed (``ast`` round trip, same code otherwise), and the
knowledge base JSON is staged with the user's models file already merged in, reduced to the models that can be
customized and the fields dataset validation reads, written compactly.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from bedrock_ops._core.assets import lambda_code_path
from bedrock_ops.models._files import merged_document
from bedrock_ops.models.knowledge import PACKAGED

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
HANDLER = "dataset_validator"
#: Files of the validator core staged into the asset, relative to the bedrock_ops package.
CORE_FILES = (
    "models/facts.py",
    "models/knowledge.py",
    "models/registry.py",
    "data/_report.py",
    "data/_records.py",
    "data/validation.py",
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
}
_STUB_INIT = '"""The validator core of cdk-bedrock-ops, staged into the dataset_validator Lambda asset."""\n'


@jsii.implements(ILocalBundling)
class _StageValidator:
    """Copies the handler and the validator core into the asset directory."""

    def __init__(self, models_file: Path | None) -> None:
        self._models_file = models_file

    def try_bundle(self, output_dir: str, *_options: Any, **_named: Any) -> bool:
        """Stage the files (jsii passes the bundling options positionally; they are not needed)."""
        stage(Path(output_dir), self._models_file)
        return True


def stage(output_dir: Path, models_file: Path | None = None) -> None:
    """Write the asset's files into ``output_dir``: ``index.py`` and ``bedrock_ops/`` (core only)."""
    source = Path(lambda_code_path(HANDLER))
    handler = (source / "index.py").read_text(encoding="utf-8")
    (output_dir / "index.py").write_text(strip_docstrings(handler), encoding="utf-8")
    package = output_dir / "bedrock_ops"
    for name in CORE_FILES:
        target = package / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".py"):
            text = strip_docstrings((_PACKAGE_DIR / name).read_text(encoding="utf-8"))
        else:
            text = compact_models(models_file)
        target.write_text(text, encoding="utf-8")
    # Each staged package gets an empty __init__ (the repository's import the CDK: not wanted here).
    for folder in {package, *(((package / name).parent) for name in CORE_FILES if name.endswith(".py"))}:
        (folder / "__init__.py").write_text(_STUB_INIT, encoding="utf-8")


def strip_docstrings(source: str) -> str:
    """``source`` without docstrings, other bare string statements (no-ops), comments, function annotations
    and ``__all__`` (nothing star-imports the asset's modules), one space per indentation level: the same
    program, about half the size."""
    tree = ast.parse(source)
    tree.body = [
        stmt
        for stmt in tree.body
        if not (isinstance(stmt, ast.Assign) and [getattr(t, "id", None) for t in stmt.targets] == ["__all__"])
    ]
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            # Annotations of functions are never evaluated (the modules use `from __future__ import
            # annotations`); those of class bodies stay, dataclasses read them.
            node.returns = None
            arguments = node.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
            for argument in every:
                if argument is not None:
                    argument.annotation = None
        body = getattr(node, "body", None)
        if not isinstance(body, list) or not body or not isinstance(body[0], ast.stmt):
            continue
        kept = [
            stmt
            for stmt in body
            if not (
                isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
            )
        ]
        node.body = kept or [ast.Pass()]  # type: ignore[attr-defined]
    # ast.unparse indents by four spaces and writes every string literal on one line, so each line's
    # leading spaces are indentation only: one space per level is the same program.
    lines = []
    for line in ast.unparse(tree).splitlines():
        code = line.lstrip(" ")
        if code:  # blank lines carry nothing (string literals never span lines here)
            lines.append(" " * ((len(line) - len(code)) // 4) + code)
    return "\n".join(lines) + "\n"


def compact_models(models_file: Path | None = None) -> str:
    """The knowledge base (with ``models_file`` merged over it) as the validator reads it, compact: only the
    models that can be customized, by plain id and the context variants customization names them by, with
    their dataset rules that differ from the defaults and their per-type formats and quotas."""
    if models_file is None:
        document: dict[str, Any] = json.loads(PACKAGED.read_text(encoding="utf-8"))
    else:
        document = merged_document(models_file)
    models = {}
    for model_id, entry in document["models"].items():
        if not entry.get("customization"):
            continue
        dataset = {k: v for k, v in entry.get("dataset", {}).items() if _DATASET_FIELDS.get(k, v) != v}
        types = {}
        for ctype, facts in entry["customization"].items():
            quotas = {k: v for k, v in (facts.get("quotas") or {}).items() if v is not None}
            types[ctype] = {"formats": facts.get("formats", []), **({"quotas": quotas} if quotas else {})}
        # The ids a customization names the model by (the fine-tuning table's context variants).
        variants = sorted(
            {f["base_model_id"] for f in entry["customization"].values() if f.get("base_model_id")} - {model_id}
        )
        models[model_id] = {
            **({"variants": variants} if variants else {}),
            **({"dataset": dataset} if dataset else {}),
            "customization": types,
        }
    compact = {"models": models}
    return json.dumps(compact, separators=(",", ":"), ensure_ascii=False) + "\n"


def validator_code(models_file: str | Path | None = None) -> lambda_.Code:
    """The Lambda code of the dataset validator, staged locally at synth time (no Docker)."""
    extra = Path(models_file).resolve() if models_file is not None else None
    if extra is not None and not extra.is_file():
        raise ValueError(f"models_file must be an existing models JSON file, got {str(models_file)!r}")
    return lambda_.Code.from_asset(
        lambda_code_path(HANDLER),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Never pulled: the local bundler always succeeds. CDK requires an image to be named.
            image=DockerImage.from_registry("local-bundling-only"),
            local=_StageValidator(extra),
        ),
    )
