"""Every public name of bedrock_ops is on the API page of the capability folder that defines it."""

from __future__ import annotations

import ast

import pytest

import bedrock_ops
from tests.docs.docs_blocks import DOCS, ROOT, nav_pages
from tools.api_pages import documented, exports_by_folder, missing

_NOT_ON_A_PAGE = {"__version__"}


def test_every_public_name_is_on_its_folders_api_page() -> None:
    # `python tools/api_pages.py --write` adds the missing lines.
    lines = [
        f"docs/api/{folder}.md: add `::: bedrock_ops.{name}`" for folder, names in missing().items() for name in names
    ]
    assert lines == []


def test_the_folders_come_from_the_exports_as_the_package_sees_them() -> None:
    assert exports_by_folder() == {
        folder: {name for name, module in bedrock_ops._EXPORTS.items() if module.split(".")[1] == folder}
        for folder in {module.split(".")[1] for module in bedrock_ops._EXPORTS.values()}
    }


def test_api_pages_name_only_public_names_of_their_folder() -> None:
    folders = exports_by_folder()
    stray = [
        f"docs/api/{page.stem}.md: {name} is not a public name of bedrock_ops/{page.stem}/"
        for page in sorted((DOCS / "api").glob("*.md"))
        if page.stem != "index"
        for name in sorted(documented(page.stem) - folders.get(page.stem, set()))
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
    missing = [f"api/{folder}.md" for folder in sorted(exports_by_folder()) if f"api/{folder}.md" not in nav]
    assert missing == []


def test_the_api_pages_tool_exits_0_when_every_name_is_on_its_page_and_2_on_bad_usage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tools.api_pages import main

    assert main([]) == 0
    assert main(["--wirte"]) == 2
    assert "usage: python tools/api_pages.py [--write]" in capsys.readouterr().err
