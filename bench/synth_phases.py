"""Where one synth of an app spends its time, in-process: imports, building the construct tree, synth.

    python bench/synth_phases.py default|plain [--cycles N] [--no-nag]

Prints one JSON object: per phase, seconds and jsii round trips (calls from Python into the jsii kernel:
create, get, set, invoke and their static forms). ``--no-nag`` builds the same app without the cdk-nag
plugin, so that ``bench/synth_per_resource.py`` can tell the plugin's share of the synth. ``CDK_OUTDIR``
and ``CDK_CONTEXT_JSON`` come from the environment, as the CLI sets them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "constructs"), str(ROOT)]

import jsii  # noqa: E402

CALLS = {"count": 0}
_COUNTED = ("create", "get", "set", "sget", "sset", "invoke", "sinvoke", "ainvoke", "sainvoke")


def _counting(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        CALLS["count"] += 1
        return method(*args, **kwargs)

    return wrapper


# aws_cdk's generated code calls ``jsii.invoke(...)`` etc., module attributes looked up at call time.
for _name in _COUNTED:
    setattr(jsii, _name, _counting(getattr(jsii, _name)))


def _phase(results: dict[str, dict[str, float]], name: str, work: Callable[[], Any]) -> Any:
    calls, start = CALLS["count"], time.perf_counter()
    value = work()
    results[name] = {"seconds": round(time.perf_counter() - start, 3), "jsii_calls": CALLS["count"] - calls}
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=("default", "plain"))
    parser.add_argument("--cycles", type=int, default=13)
    parser.add_argument("--no-nag", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    if args.app == "default":

        def imports() -> Any:
            import aws_cdk

            from infra import app as infra_app
            from infra import config, stage

            return aws_cdk, infra_app, config, stage

        cdk, infra_app, config, stage = _phase(results, "imports", imports)

        def build() -> Any:
            app = cdk.App(builtin_cloud_formation_validation=False)
            loaded = config.load_config(config.DEFAULT_CONFIG)
            if args.no_nag:
                stage.BedrockOpsStage(app, loaded.environment.name, config=loaded, env=stage.environment_of(loaded))
            else:
                infra_app.build_app(loaded, app)
            return app

    else:

        def imports() -> Any:
            import aws_cdk

            from bench import plain_app  # imports cdk_nag too

            return aws_cdk, plain_app

        cdk, plain_app = _phase(results, "imports", imports)

        def build() -> Any:
            app = cdk.App(builtin_cloud_formation_validation=False)
            if args.no_nag:
                stack = cdk.Stack(app, "Plain", env=cdk.Environment(account="123456789012", region="us-east-1"))
                for index in range(args.cycles):
                    plain_app.one_cycle(stack, index)
            else:
                plain_app.build(args.cycles, app)
            return app

    app = _phase(results, "build", build)
    _phase(results, "synth", app.synth)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
    main()
