"""Synth cost per resource: the default app against a plain aws-cdk-lib app of about the same size.

Both apps run as the CDK CLI runs them (``python <app>`` with cdk.json's context in ``CDK_CONTEXT_JSON`` and
``CDK_OUTDIR`` set), both register the cdk-nag AwsSolutions plugin and both turn the CDK's built-in
CloudFormation validation off. The plain app (``bench/plain_app.py``) gets as many cycles of common L2
constructs as bring it closest to the default app's resource count. Runs are interleaved; the figure is the
ratio of the medians of seconds per resource. Goal: at most 1.3x.

Then ``bench/synth_phases.py`` runs once per app in-process to say where the time goes (imports, building
the construct tree, synth with and without the nag plugin, jsii round trips per phase).

    python bench/synth_per_resource.py [--runs 5]

Results: ``bench/results/synth_per_resource.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
NODE_BIN = ROOT / "node_modules" / ".bin"
GOAL = 1.3
RESOURCES_PER_CYCLE = 13


def _env(outdir: Path) -> dict[str, str]:
    context = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    return {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(context),
        "JSII_NODE": str(NODE_BIN / "node"),
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    }


def _run(command: list[str], outdir: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=_env(outdir), check=True, capture_output=True)
    return time.perf_counter() - start


def count_resources(outdir: Path) -> int:
    """Resources in every template of a cloud assembly (nested assemblies included)."""
    templates = (json.loads(path.read_text(encoding="utf-8")) for path in outdir.rglob("*.template.json"))
    return sum(len(template.get("Resources", {})) for template in templates)


def _phases_once(app: str, cycles: int, outdir: Path, *extra: str) -> dict[str, dict[str, float]]:
    command = [sys.executable, "bench/synth_phases.py", app, "--cycles", str(cycles), *extra]
    output = subprocess.run(command, cwd=ROOT, env=_env(outdir), check=True, capture_output=True, text=True)
    result: dict[str, dict[str, float]] = json.loads(output.stdout)
    return result


def _phases(app: str, cycles: int, tmp: Path) -> dict[str, dict[str, float]]:
    """imports, build, synth without the nag plugin, and the plugin's share (synth with it minus without)."""
    with_nag = _phases_once(app, cycles, tmp / f"{app}-phases")
    without = _phases_once(app, cycles, tmp / f"{app}-phases-no-nag", "--no-nag")
    return {
        "imports": with_nag["imports"],
        "build": with_nag["build"],
        "synth_without_nag": without["synth"],
        "nag": {
            "seconds": round(with_nag["synth"]["seconds"] - without["synth"]["seconds"], 3),
            "jsii_calls": with_nag["synth"]["jsii_calls"] - without["synth"]["jsii_calls"],
        },
    }


def bench(runs: int) -> dict[str, object]:
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe"
        _run([python, "app.py"], probe)
        default_resources = count_resources(probe)
        cycles = max(1, round(default_resources / RESOURCES_PER_CYCLE))
        apps = {
            "default": [python, "app.py"],
            "plain": [python, "bench/plain_app.py", "--cycles", str(cycles)],
        }
        times: dict[str, list[float]] = {name: [] for name in apps}
        resources: dict[str, int] = {}
        for run in range(runs):
            for name, command in apps.items():
                outdir = Path(tmp) / f"{name}-{run}"
                times[name].append(_run(command, outdir))
                resources[name] = count_resources(outdir)
        phases = {name: _phases(name, cycles, Path(tmp)) for name in apps}
    medians = {name: statistics.median(values) for name, values in times.items()}
    per_resource = {name: medians[name] / resources[name] for name in apps}
    return {
        "benchmark": "app synth seconds per resource, default app vs plain aws-cdk-lib app, same nag plugin, "
        "built-in validation off in both",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "runs_each": runs,
        "resources": resources,
        "seconds": {name: [round(v, 3) for v in values] for name, values in times.items()},
        "median_seconds": {name: round(v, 3) for name, v in medians.items()},
        "ms_per_resource": {name: round(v * 1000, 2) for name, v in per_resource.items()},
        "ratio_per_resource": round(per_resource["default"] / per_resource["plain"], 3),
        "goal_ratio_at_most": GOAL,
        "phases": phases,
    }


def markdown(result: dict[str, object]) -> str:
    medians = result["median_seconds"]
    resources = result["resources"]
    per = result["ms_per_resource"]
    phases = result["phases"]
    assert isinstance(medians, dict) and isinstance(resources, dict) and isinstance(per, dict)
    assert isinstance(phases, dict)
    ratio = float(str(result["ratio_per_resource"]))
    verdict = "meets" if ratio <= GOAL else "MISSES"
    rows = "".join(
        f"| {name} | {resources[name]} | {medians[name]} | {per[name]} | "
        f"{', '.join(map(str, dict(result['seconds'])[name]))} |\n"  # type: ignore[call-overload]
        for name in medians
    )
    phase_names = ["imports", "build", "synth_without_nag", "nag"]
    phase_rows = "".join(
        f"| {phase} | "
        + " | ".join(f"{phases[app][phase]['seconds']} s, {phases[app][phase]['jsii_calls']} calls" for app in phases)
        + " |\n"
        for phase in phase_names
    )
    return (
        "# Synth cost per resource: default app vs a plain aws-cdk-lib app\n\n"
        f"Measured {result['date']} on {result['machine']}, {result['runs_each']} interleaved runs each "
        "(`python bench/synth_per_resource.py`). Both apps: cdk.json's context, the cdk-nag AwsSolutions "
        "plugin, the built-in CloudFormation validation off; app process wall time (what `cdk synth` waits for "
        "after starting the app).\n\n"
        "| app | resources | median (s) | ms per resource | runs (s) |\n|---|---|---|---|---|\n"
        + rows
        + f"\nRatio of ms per resource, default/plain: **{ratio}** ({verdict} the goal of at most {GOAL}x).\n\n"
        "## Where the time goes (one in-process run each, `bench/synth_phases.py`)\n\n"
        "| phase | " + " | ".join(phases) + " |\n|---|" + "---|" * len(phases) + "\n" + phase_rows
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    result = bench(args.runs)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "synth_per_resource.json").write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    (RESULTS / "synth_per_resource.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
