"""Lambda assets staged at synth time: a handler, the handler runtime and any extra files, in plain Python.

Every function's asset is ``lambda/<handler>/index.py`` plus the modules of the handler runtime
``lambda/_runtime/`` it imports (as ``_runtime.<module>``; :func:`runtime_files`), and, for handlers that need
them, extra files from the library (the dataset validator's core). A local bundler (no Docker) writes them into
the asset directory at synth time and the asset hash is computed from that output, so a change to a runtime
module or an extra file changes every function that ships it. Works from a git checkout and from the installed
wheel (``lambda/`` ships as ``bedrock_ops/_lambda``).

To keep assets small (the project's limit is 50 KB per Lambda asset), Python files are staged without
docstrings, comments, function annotations and the spaces tokens do not need (:func:`strip_docstrings`: an
``ast`` round trip, the same program otherwise); other files go through their :class:`StagedFile`'s ``compact``.
"""

from __future__ import annotations

import ast
import hashlib
import io
import os
import tempfile
import tokenize
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from bedrock_ops._core.assets import lambda_code_path

#: The handler runtime's package name: a folder beside the handlers' folders, staged beside ``index.py``.
RUNTIME_PACKAGE = "_runtime"


@dataclass(frozen=True)
class StagedFile:
    """A file added to a handler's asset.

    :param target: its path inside the asset (``/``-separated); each folder holding a ``.py`` file becomes a
        package (an empty ``__init__.py`` where the staged files bring none).
    :param source: the file to read.
    :param compact: how to shrink a file that is not Python (default: copied as it is).
    """

    target: str
    source: Path
    compact: Callable[[str], str] | None = None


def runtime_files(entry: Path) -> list[StagedFile]:
    """The modules of the handler runtime that ``entry`` imports, and those they import, as
    ``_runtime/<module>.py`` (a handler ships what it uses: the dataset validator's asset has little room)."""
    folder = Path(lambda_code_path(RUNTIME_PACKAGE, entry="__init__.py"))
    needed: set[str] = set()
    pending = [entry]
    while pending:
        for module in _runtime_imports(pending.pop()) - needed:
            needed.add(module)
            pending.append(folder / f"{module}.py")
    return [StagedFile(f"{RUNTIME_PACKAGE}/{name}.py", folder / f"{name}.py") for name in ["__init__", *sorted(needed)]]


def _runtime_imports(path: Path) -> set[str]:
    """The runtime modules ``path`` imports anywhere (``from _runtime.x import ...``, ``import _runtime.x``,
    ``from _runtime import x``), so that an import inside a function or ``TYPE_CHECKING`` is staged too."""
    if not path.is_file():
        raise FileNotFoundError(f"the handler runtime has no module {path.stem!r} (looked for {path})")
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module == RUNTIME_PACKAGE:
            names = [f"{RUNTIME_PACKAGE}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        else:
            continue
        modules.update(name.split(".")[1] for name in names if name.startswith(f"{RUNTIME_PACKAGE}."))
    return modules


def stage(output_dir: Path, handler: str, extra_files: Sequence[StagedFile] = ()) -> None:
    """Write the asset of ``handler`` into ``output_dir``: ``index.py``, the runtime and ``extra_files``."""
    source = Path(lambda_code_path(handler)) / "index.py"
    files = [StagedFile("index.py", source), *runtime_files(source), *extra_files]
    packages: set[Path] = set()
    for staged in files:
        target = output_dir / staged.target
        target.parent.mkdir(parents=True, exist_ok=True)
        text = staged.source.read_text(encoding="utf-8")
        if target.suffix == ".py":
            text = _stripped(text)
            packages.update(folder for folder in target.parents if output_dir in folder.parents)
        elif staged.compact is not None:
            text = staged.compact(text)
        target.write_text(text, encoding="utf-8")
    for package in packages:
        (package / "__init__.py").touch()


#: Where stripped sources are kept between synths (the ``ast`` round trip is most of a synth's staging time).
_CACHE = Path(tempfile.gettempdir()) / "cdk-bedrock-ops-staging"
#: The cache key starts with this module's own source: a change to the stripping starts a new cache.
_CACHE_SALT = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _stripped(source: str) -> str:
    """:func:`strip_docstrings` of ``source``, from the cache when this module stripped the same text before
    (keyed by the SHA-256 of this module and of the text; a cache that cannot be written is skipped)."""
    key = hashlib.sha256(f"{_CACHE_SALT}\n{source}".encode()).hexdigest()
    cached = _CACHE / f"{key}.py"
    if cached.is_file():  # written whole by os.replace below
        return cached.read_text(encoding="utf-8")
    text = strip_docstrings(source)
    try:
        _CACHE.mkdir(parents=True, exist_ok=True)
        partial = _CACHE / f"{key}.{os.getpid()}.tmp"
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, cached)  # atomic: a concurrent synth reads the old or the new file, whole
    except OSError:
        return text
    return text


@jsii.implements(ILocalBundling)
class _LocalStaging:
    """The local bundler: stages the asset with :func:`stage`."""

    def __init__(self, handler: str, extra_files: Sequence[StagedFile]) -> None:
        self._handler = handler
        self._extra_files = tuple(extra_files)

    def try_bundle(self, output_dir: str, *_options: Any, **_named: Any) -> bool:
        """Stage the files (jsii passes the bundling options positionally; they are not needed)."""
        stage(Path(output_dir), self._handler, self._extra_files)
        return True


def handler_code(handler: str, extra_files: Sequence[StagedFile] = ()) -> lambda_.Code:
    """The Lambda code of ``lambda/<handler>``: its ``index.py``, the handler runtime and ``extra_files``,
    staged locally at synth time (no Docker), hashed by what was staged."""
    return lambda_.Code.from_asset(
        lambda_code_path(handler),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Never pulled: the local bundler always succeeds. CDK requires an image to be named.
            image=DockerImage.from_registry("local-bundling-only"),
            # The CDK caches a bundle by source folder and bundling options, not by the local bundler: without the
            # extra files in the options, two functions of one handler with different extra files shared an asset.
            environment={"BEDROCK_OPS_EXTRA_FILES": _fingerprint(extra_files)} if extra_files else None,
            local=_LocalStaging(handler, extra_files),
        ),
    )


def _fingerprint(extra_files: Sequence[StagedFile]) -> str:
    """A digest of the extra files' targets and contents (and how they are compacted)."""
    digest = hashlib.sha256()
    for staged in extra_files:
        digest.update(staged.target.encode())
        digest.update(staged.source.read_bytes())
        if staged.compact is not None:
            digest.update(staged.compact(staged.source.read_text(encoding="utf-8")).encode())
    return digest.hexdigest()


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
        # A module may be left empty (a package's docstring-only __init__); a block may not.
        node.body = kept or ([] if isinstance(node, ast.Module) else [ast.Pass()])  # type: ignore[attr-defined]
    # ast.unparse indents by four spaces and writes every statement and string literal on one line, so each
    # line's leading spaces are indentation only: one space per level is the same program.
    lines = []
    for line in ast.unparse(tree).splitlines():
        code = line.lstrip(" ")
        if code:  # blank lines carry nothing (string literals never span lines here)
            lines.append(" " * ((len(line) - len(code)) // 4) + squeeze(code))
    return "\n".join(lines) + "\n" if lines else ""


_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'\"")
_LAYOUT = frozenset({tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER})


def squeeze(line: str) -> str:
    """One logical line of ``ast.unparse`` output without the spaces its tokens do not need (``a, b = f(x=1)``
    -> ``a,b=f(x=1)``): a space stays only between two word-like tokens. Lines with f-strings stay as they are
    (Python 3.12 splits those into tokens that do not carry their text verbatim)."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(line).readline) if t.type not in _LAYOUT]
    if any(t.type == tokenize.STRING and "f" in t.string.split("'")[0].split('"')[0].lower() for t in tokens):
        return line
    if any(tokenize.tok_name[t.type].startswith("FSTRING") for t in tokens):
        return line
    text = ""
    for token in tokens:
        if text and text[-1] in _WORD and token.string[0] in _WORD:
            text += " "
        text += token.string
    return text
