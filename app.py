#!/usr/bin/env python3
"""The default cdk-bedrock-ops app: `cdk synth` (config/default.yaml) or `cdk synth -c config=FILE`."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# jsii runs on the Node 22 that package.json pins when nobody chose another (Node 20 is end-of-life).
_NODE = ROOT / "node_modules" / ".bin" / "node"
if "JSII_NODE" not in os.environ and _NODE.exists():
    os.environ["JSII_NODE"] = str(_NODE)
sys.path.insert(0, str(ROOT / "constructs"))

from infra.app import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
