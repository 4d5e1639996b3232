"""Which Node.js the jsii runtime of aws-cdk-lib runs on (standard library only).

jsii starts ``$JSII_NODE`` (default: the ``node`` first on ``PATH``) the first time a CDK construct is used.
A machine's Node may be one jsii no longer supports (jsii 1.142 dropped Node 20 on 2026-10-30 and prints an
11-line banner on every run then); the project pins a supported one in ``package.json`` (the npm package
``node``), installed as ``node_modules/.bin/node``. :func:`use_supported_node` points jsii at it, before jsii starts.
"""

from __future__ import annotations

import os
from pathlib import Path

PINNED_NODE = Path("node_modules") / ".bin" / "node"


def pinned_node(start: str | Path | None = None) -> Path | None:
    """``node_modules/.bin/node`` of ``start`` (default: the working directory) or its nearest parent."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PINNED_NODE
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def use_supported_node(start: str | Path | None = None) -> str | None:
    """Set ``JSII_NODE`` to the project's pinned Node unless it is already set; returns the Node jsii uses
    (None: jsii falls back to the ``node`` on ``PATH``). Call it before the first construct is created."""
    chosen = os.environ.get("JSII_NODE")
    if chosen:
        return chosen
    node = pinned_node(start) or pinned_node(Path(__file__).parent)  # the project, else a checkout's own
    if node is None:
        return None
    os.environ["JSII_NODE"] = str(node)
    return str(node)
