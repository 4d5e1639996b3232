"""The public API reference builds from the docstrings without a warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_api_reference_builds_without_warnings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "apidocs.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        # This checkout's package, not the one the venv's editable install points at (another worktree).
        env={**os.environ, "PYTHONPATH": str(ROOT / "constructs")},
    )
    assert result.returncode == 0, result.stderr
    assert "(0 warning(s))" in result.stdout
    page = (tmp_path / "bedrock_ops.html").read_text()
    for name in __import__("bedrock_ops").__all__:
        if not name.startswith("_"):
            assert f'id="{name}"' in page, name
