"""Benchmarks of cdk-bedrock-ops; results are recorded in bench/results/.

Synth: wall time of `cdk synth` of the default app against an empty one-stack CDK app, measured in the
same run with the same pinned CLI, interleaved, several runs each; reported as the ratio of medians.
Goal: the default app at most 1.5x the empty app.

Then every ``bench/*_bench.py`` script runs in its own process and records its own results
(e.g. ``validator_bench.py``: dataset validator throughput and memory).
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
CDK = ROOT / "node_modules" / ".bin" / "cdk"
GOAL = 1.5


def _synth_seconds(app_command: str, outdir: Path) -> float:
    env = {**os.environ, "PATH": f"{CDK.parent}:{os.environ['PATH']}", "JSII_NODE": str(CDK.parent / "node")}
    start = time.perf_counter()
    subprocess.run(
        [str(CDK), "synth", "--quiet", "--app", app_command, "--output", str(outdir)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def bench_synth(runs: int) -> dict[str, object]:
    """Median synth times of the default and the empty app, and their ratio."""
    python = sys.executable
    apps = {
        "default": f"{python} app.py",
        "empty": f"{python} bench/empty_app.py",
        "empty, built-in validation off": f"{python} bench/empty_app.py --no-builtin-validation",
    }
    times: dict[str, list[float]] = {name: [] for name in apps}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            for name, command in apps.items():
                times[name].append(_synth_seconds(command, Path(tmp) / name.replace(" ", "_")))
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {
        "benchmark": "cdk synth wall time, default app vs empty one-stack app",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "runs_each": runs,
        "seconds": {name: [round(v, 3) for v in values] for name, values in times.items()},
        "median_seconds": {name: round(v, 3) for name, v in medians.items()},
        "ratio": round(medians["default"] / medians["empty"], 3),
        "ratio_same_validation": round(medians["default"] / medians["empty, built-in validation off"], 3),
        "goal_ratio_at_most": GOAL,
    }


def _write(name: str, result: dict[str, object], markdown: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown)


def main() -> int:
    """Run the benchmarks and record their results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per app (default: 5)")
    parser.add_argument("--synth-only", action="store_true", help="run only the synth benchmark")
    args = parser.parse_args()
    result = bench_synth(args.runs)
    medians = result["median_seconds"]
    assert isinstance(medians, dict)
    verdict = "meets" if float(str(result["ratio"])) <= GOAL else "MISSES"
    markdown = (
        "# Synth time: default app vs an empty one-stack app\n\n"
        f"Measured {result['date']} on {result['machine']}, {args.runs} interleaved runs each, "
        "with the pinned CDK CLI (`bench/run.py`).\n\n"
        "| app | median (s) | runs (s) |\n|---|---|---|\n"
        + "".join(
            f"| {name} | {medians[name]} | {', '.join(map(str, values))} |\n"
            for name, values in dict(result["seconds"]).items()  # type: ignore[call-overload]
        )
        + f"\nRatio default/empty: **{result['ratio']}** ({verdict} the goal of at most {GOAL}x).\n"
        + f"\nRatio default/empty with the built-in CloudFormation validation off in both (the default app turns "
        f"it off and runs cfn-lint instead): **{result['ratio_same_validation']}**.\n"
    )
    _write("synth", result, markdown)
    print(markdown)
    status = 0
    if args.synth_only:
        return status
    for script in sorted(Path(__file__).resolve().parent.glob("*_bench.py")):
        status = status or subprocess.run([sys.executable, str(script)], check=False).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
