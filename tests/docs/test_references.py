"""Every ``bedrock_ops.<module>[.<name>]`` that the README, the site or a docstring names exists (the issue found
``bedrock_ops.pricing`` and ``evaluation_dataset.validate_prompt_dataset`` named but missing). CHANGELOG.md is left
out: it names the old paths of renamed modules on purpose."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import ModuleType

from tests.docs.docs_blocks import ROOT

_REFERENCE = re.compile(r"\bbedrock_ops(?:\.[A-Za-z_]\w*)+")
_SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "examples").rglob("*.md"))]
_CODE = [*sorted((ROOT / "constructs" / "bedrock_ops").rglob("*.py")), *sorted((ROOT / "examples").glob("*.py"))]


def _resolves(reference: str) -> bool:
    parts = reference.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: ModuleType | object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


def _references(paths: list[Path]) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for reference in _REFERENCE.findall(line):
                # a trailing file suffix is a path (bedrock_ops/cost/data/pricing.json), not a name
                found.setdefault(reference.rstrip("."), f"{path.relative_to(ROOT)}:{number}")
    return found


def test_every_module_or_name_the_docs_mention_exists() -> None:
    missing = [f"{where}: {ref}" for ref, where in sorted(_references(_SOURCES).items()) if not _resolves(ref)]
    assert missing == []


def test_every_module_or_name_a_docstring_or_comment_mentions_exists() -> None:
    missing = [f"{where}: {ref}" for ref, where in sorted(_references(_CODE).items()) if not _resolves(ref)]
    assert missing == []


def test_a_missing_name_is_reported() -> None:
    assert not _resolves("bedrock_ops.pricing")
    assert not _resolves("bedrock_ops.evaluation.dataset.validate_prompt_datasets")
    assert _resolves("bedrock_ops.evaluation.dataset.validate_prompt_dataset")
