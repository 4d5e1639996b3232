"""Shared helpers for Lambda handler tests: load ``lambda/<name>/index.py`` by file path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

LAMBDA_ROOT = Path(__file__).resolve().parents[2] / "lambda"


def load_handler(name: str) -> ModuleType:
    """Import ``lambda/<name>/index.py`` under a unique module name (handlers all are ``index``)."""
    module_name = f"_handler_{name}"
    spec = importlib.util.spec_from_file_location(module_name, LAMBDA_ROOT / name / "index.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
