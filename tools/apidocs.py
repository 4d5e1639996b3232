"""Build the public API reference of bedrock_ops with pdoc: ``python tools/apidocs.py [OUTDIR]``.

Fails (exit 1) on any warning pdoc emits while it renders (unresolvable references, docstring syntax it
cannot parse, modules it cannot import), so that the reference builds cleanly or not at all.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pdoc

# Document this checkout's library (as app.py does), not whatever copy of bedrock_ops is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "constructs"))

import bedrock_ops  # imported first: warnings of jsii's own start-up are not the reference's


def build(outdir: Path) -> list[str]:
    """Render the reference into ``outdir``; return pdoc's warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(bedrock_ops.__name__, output_directory=outdir)
    return [f"{w.category.__name__}: {w.message}" for w in caught if "jsii" not in str(w.filename)]


def main() -> int:
    """Entry point."""
    outdir = Path(sys.argv[1] if len(sys.argv) > 1 else "build/apidocs")
    problems = build(outdir)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"API reference: {outdir / 'bedrock_ops.html'} ({len(problems)} warning(s))")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
