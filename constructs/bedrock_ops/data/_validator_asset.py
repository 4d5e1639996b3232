"""The dataset_validator Lambda asset: its handler plus the single validator core, staged at synth time.

The repository holds one copy of the validator (``bedrock_ops/data/validation.py``,
``bedrock_ops/models/registry.py`` and ``bedrock_ops/models/data/model_registry.json``). At synth time a local
bundler (plain Python, no Docker) copies them next to ``lambda/dataset_validator/index.py`` into the
asset as a minimal ``bedrock_ops`` package, so that the handler imports exactly the code the CLI and
the synth-time check run. The asset hash is computed from the staged output, so a change to the core
changes the function.

To keep the asset small (the project's limit is 50 KB per Lambda asset), the staged modules are the
repository's modules with their docstrings removed (``ast`` round trip, same code otherwise) and the registry
JSON is written compactly.
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

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
HANDLER = "dataset_validator"
#: Files of the validator core staged into the asset, relative to the bedrock_ops package.
CORE_FILES = ("models/registry.py", "data/validation.py", "models/data/model_registry.json")
REGISTRY_FILE_NAME = "extra_model_registry.json"
_STUB_INIT = '"""The validator core of cdk-bedrock-ops, staged into the dataset_validator Lambda asset."""\n'


@jsii.implements(ILocalBundling)
class _StageValidator:
    """Copies the handler and the validator core into the asset directory."""

    def __init__(self, registry_file: Path | None) -> None:
        self._registry_file = registry_file

    def try_bundle(self, output_dir: str, *_options: Any, **_named: Any) -> bool:
        """Stage the files (jsii passes the bundling options positionally; they are not needed)."""
        stage(Path(output_dir), self._registry_file)
        return True


def stage(output_dir: Path, registry_file: Path | None = None) -> None:
    """Write the asset's files into ``output_dir``: ``index.py`` and ``bedrock_ops/`` (core only)."""
    source = Path(lambda_code_path(HANDLER))
    handler = (source / "index.py").read_text(encoding="utf-8")
    (output_dir / "index.py").write_text(strip_docstrings(handler), encoding="utf-8")
    package = output_dir / "bedrock_ops"
    for name in CORE_FILES:
        target = package / name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = (_PACKAGE_DIR / name).read_text(encoding="utf-8")
        text = strip_docstrings(text) if name.endswith(".py") else compact_registry(text)
        target.write_text(text, encoding="utf-8")
    # Each staged package gets an empty __init__ (the repository's import the CDK: not wanted here).
    for folder in {package, *(((package / name).parent) for name in CORE_FILES if name.endswith(".py"))}:
        (folder / "__init__.py").write_text(_STUB_INIT, encoding="utf-8")
    if registry_file is not None:
        text = compact_registry(registry_file.read_text(encoding="utf-8"))
        (output_dir / REGISTRY_FILE_NAME).write_text(text, encoding="utf-8")


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


def validator_code(registry_file: str | Path | None = None) -> lambda_.Code:
    """The Lambda code of the dataset validator, staged locally at synth time (no Docker)."""
    extra = Path(registry_file).resolve() if registry_file is not None else None
    if extra is not None and not extra.is_file():
        raise ValueError(f"registry_file must be an existing model registry JSON file, got {str(registry_file)!r}")
    return lambda_.Code.from_asset(
        lambda_code_path(HANDLER),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Never pulled: the local bundler always succeeds. CDK requires an image to be named.
            image=DockerImage.from_registry("local-bundling-only"),
            local=_StageValidator(extra),
        ),
    )
