"""Load a Lambda handler (``lambda/<name>/index.py``) by file path under a unique module name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

_LAMBDA_DIR = Path(__file__).resolve().parents[2] / "lambda"


def load_lambda_module(name: str) -> ModuleType:
    """Import ``lambda/<name>/index.py`` as ``_handler_<name>`` (fresh on every call)."""
    module_name = f"_handler_{name}"
    spec = importlib.util.spec_from_file_location(module_name, _LAMBDA_DIR / name / "index.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
