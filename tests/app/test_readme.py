"""The README's code examples run as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MARKER = "# README example:"


def _examples() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)
    return [block for block in blocks if block.startswith(MARKER)]


def test_construct_library_example_synthesizes() -> None:
    (example,) = [b for b in _examples() if b.startswith(f"{MARKER} construct library")]
    namespace: dict[str, Any] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    template = namespace["app"].synth().get_stack_by_name("MlPlatform").template
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert {"AWS::KMS::Key", "AWS::S3::Bucket", "AWS::IAM::Role"} <= types


def test_imported_bucket_example_synthesizes_without_creating_a_bucket() -> None:
    (example,) = [b for b in _examples() if b.startswith(f"{MARKER} imported bucket")]
    namespace: dict[str, Any] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    template = namespace["app"].synth().get_stack_by_name("Consumer").template
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert "AWS::S3::Bucket" not in types
    assert "AWS::StepFunctions::StateMachine" in types
    assert "team-ml-data/training/*" in str(template)


def test_readme_documents_every_configuration_key() -> None:
    from pydantic import BaseModel

    from infra.config import AppConfig

    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
        found = []
        for name, field in model.model_fields.items():
            nested = [
                candidate
                for candidate in (field.annotation, *getattr(field.annotation, "__args__", ()))
                if isinstance(candidate, type) and issubclass(candidate, BaseModel)
            ]
            if nested:
                found.extend(keys(nested[0], f"{prefix}{name}."))
            else:
                found.append(f"{prefix}{name}")
        return found

    def documented(key: str) -> bool:
        # Either a row of its own, or its parent's row naming it (as for the use-case form's fields).
        parent, _, leaf = key.rpartition(".")
        return f"`{key}`" in readme or (bool(parent) and f"`{parent}`" in readme and f"`{leaf}`" in readme)

    missing = [key for key in keys(AppConfig) if not documented(key)]
    assert missing == []


def _where_things_are() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Where things are", 1)[1].split("\n## ", 1)[0]


def test_where_things_are_names_every_capability_folder() -> None:
    package = ROOT / "constructs" / "bedrock_ops"
    folders = sorted(p.parent.name for p in package.glob("*/__init__.py") if p.parent.name != "_cli")
    section = _where_things_are()
    assert len(folders) >= 11
    assert [f for f in folders if f"`{f}/`" not in section] == []


def test_where_things_are_names_every_lambda_handler_and_only_those() -> None:
    handlers = {p.parent.name for p in (ROOT / "lambda").glob("*/index.py")}
    named = set(re.findall(r"`([a-z_]+)`", _where_things_are().split("| Lambda handlers |", 1)[1]))
    assert handlers <= named
    assert {n for n in named if (ROOT / "lambda" / n).exists()} == handlers
