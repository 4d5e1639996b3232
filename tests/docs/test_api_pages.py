"""Every public name of bedrock_ops is on the API page of the capability folder that defines it."""

from __future__ import annotations

import ast
import re
from collections import defaultdict

import bedrock_ops
from tests.docs.docs_blocks import DOCS, ROOT, nav_pages

_DIRECTIVE = re.compile(r"^::: bedrock_ops\.(\w+)\s*$", re.M)
_NOT_ON_A_PAGE = {"__version__"}


def _exports_by_folder() -> dict[str, set[str]]:
    folders: dict[str, set[str]] = defaultdict(set)
    for name, module in bedrock_ops._EXPORTS.items():
        folders[module.split(".")[1]].add(name)
    return folders


def _documented(folder: str) -> set[str]:
    page = DOCS / "api" / f"{folder}.md"
    return set(_DIRECTIVE.findall(page.read_text(encoding="utf-8"))) if page.exists() else set()


def test_every_public_name_is_on_its_folders_api_page() -> None:
    missing = [
        f"docs/api/{folder}.md: add the line `::: bedrock_ops.{name}`"
        for folder, names in sorted(_exports_by_folder().items())
        for name in sorted(names - _documented(folder))
    ]
    assert missing == []


def test_api_pages_name_only_public_names_of_their_folder() -> None:
    folders = _exports_by_folder()
    stray = [
        f"docs/api/{page.stem}.md: {name} is not a public name of bedrock_ops/{page.stem}/"
        for page in sorted((DOCS / "api").glob("*.md"))
        if page.stem != "index"
        for name in sorted(_documented(page.stem) - folders.get(page.stem, set()))
    ]
    assert stray == []


def test_every_export_is_in_all_and_all_is_exported() -> None:
    assert set(bedrock_ops.__all__) - _NOT_ON_A_PAGE == set(bedrock_ops._EXPORTS)


def test_every_export_has_the_type_checking_import_the_reference_reads() -> None:
    # mkdocstrings reads the package statically (griffe): a lazy export is found through its TYPE_CHECKING import.
    tree = ast.parse((ROOT / "constructs" / "bedrock_ops" / "__init__.py").read_text(encoding="utf-8"))
    guarded = next(node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    imported = {
        alias.name: node.module for node in guarded.body if isinstance(node, ast.ImportFrom) for alias in node.names
    }
    wrong = [
        f"{name}: add `from {module} import {name}` under `if TYPE_CHECKING:`"
        for name, module in sorted(bedrock_ops._EXPORTS.items())
        if imported.get(name) != module
    ]
    assert wrong == []


def test_every_capability_folder_has_an_api_page_in_the_nav() -> None:
    nav = nav_pages()
    missing = [f"api/{folder}.md" for folder in sorted(_exports_by_folder()) if f"api/{folder}.md" not in nav]
    assert missing == []
