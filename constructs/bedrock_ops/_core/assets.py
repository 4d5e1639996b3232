"""Locate files that ship with the library (Lambda sources, the handler runtime, package data).

From an installed wheel the Lambda sources live in ``bedrock_ops/_lambda/<name>`` (the wheel maps the
repository's ``lambda/`` folder there); from a git checkout they live in ``<repo>/lambda/<name>``.
``bedrock_ops._core.staging`` turns them into Lambda assets.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def lambda_code_path(name: str, *, entry: str = "index.py") -> str:
    """Return the directory ``name`` under ``lambda/`` that holds ``entry`` (a function's ``index.py``, or the
    handler runtime's ``__init__.py``).

    Raises ``FileNotFoundError`` naming both places it looked.
    """
    candidates = (_PACKAGE_DIR / "_lambda" / name, _PACKAGE_DIR.parent.parent / "lambda" / name)
    for candidate in candidates:
        if (candidate / entry).is_file():
            return str(candidate)
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"Lambda source '{name}' not found (looked for {entry} in: {looked})")
