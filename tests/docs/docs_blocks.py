"""The documentation site's pages and their fenced code blocks, for the docs tests."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"
_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)
#: a python block that is exactly one include of an example app: ``--8<-- "examples/x.py"``
SNIPPET = re.compile(r'^--8<-- "(examples/[\w/]+\.py)"\s*$')


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int
    lang: str
    text: str

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(DOCS)}:{self.line}"


def pages() -> list[Path]:
    """Every Markdown page under docs/."""
    return sorted(DOCS.rglob("*.md"))


def blocks(lang: str) -> list[Block]:
    """Every fenced block of ``lang`` on every page."""
    found = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            if match.group(1) == lang:
                found.append(Block(page, text.count("\n", 0, match.start()) + 1, lang, match.group(2)))
    return found


def commands(block: Block) -> list[list[str]]:
    """The shell commands of a block: continuation lines joined, ``# comments`` dropped, split like a shell."""
    joined = block.text.replace("\\\n", " ")
    return [shlex.split(line, comments=True) for line in joined.splitlines() if shlex.split(line, comments=True)]


def nav_pages() -> list[str]:
    """The pages mkdocs.yml's nav lists, relative to docs/."""

    def walk(node: object) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, list):
            return [page for item in node for page in walk(item)]
        if isinstance(node, dict):
            return [page for value in node.values() for page in walk(value)]
        return []

    return walk(yaml.safe_load(MKDOCS_YML.read_text(encoding="utf-8"))["nav"])
