"""Run every benchmark in this folder (``*_bench.py``), each in its own process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    """Run the benchmarks in name order; returns the first non-zero status, else 0."""
    status = 0
    for script in sorted(Path(__file__).resolve().parent.glob("*_bench.py")):
        sys.stderr.write(f"== {script.name}\n")
        result = subprocess.run([sys.executable, str(script)], check=False)
        status = status or result.returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
