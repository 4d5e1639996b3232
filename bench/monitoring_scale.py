"""Scale benchmark: BedrockMonitoring for many models in one stack, beside InvocationLogging.

Measures, for 1, 2, 50 and 100 monitored models (every model priced, so every section has its cost widget;
the stack also holds InvocationLogging with its provider, as the default app's observability stack does):
resources, template size, widgets per dashboard, synth time; resources added per extra model; and, for the
largest case, cfn-lint (errors and warnings) and cdk-nag ``AwsSolutionsChecks`` findings.

Run: ``python bench/monitoring_scale.py`` (writes ``bench/results/monitoring_scale.{md,json}``).
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cfnlint.api
from cdk_nag import AwsSolutionsChecks
from cfnlint.config import ManualArgs

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "constructs", ROOT):  # running as a script from a checkout
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bedrock_ops.observability.invocation_logging import InvocationLogging  # noqa: E402
from bedrock_ops.observability.monitoring import BedrockMonitoring  # noqa: E402
from infra.app import cdk_json_context  # noqa: E402

#: CloudFormation and CloudWatch limits the result is checked against.
MAX_RESOURCES = 500
MAX_TEMPLATE_BYTES = 1_000_000
MAX_WIDGETS = 500
SIZES = (1, 2, 50, 100)
RESULTS = ROOT / "bench" / "results"


@dataclass
class Measurement:
    """One synthesized stack."""

    models: int
    resources: int
    template_bytes: int
    dashboards: int
    max_widgets_per_dashboard: int
    synth_seconds: float
    resource_types: dict[str, int] = field(default_factory=dict)


def model_ids(count: int) -> list[str]:
    """Realistic-length, distinct model ids."""
    return [f"vendor.example-model-{n:03d}-20260101-v1:0" for n in range(count)]


def build(count: int, outdir: str, *, with_invocation_logging: bool = True) -> tuple[cdk.App, cdk.Stack]:
    """An app with one stack monitoring ``count`` models (and holding InvocationLogging unless told not to)."""
    app = cdk.App(outdir=outdir, context=cdk_json_context())
    stack = cdk.Stack(app, "MonitoringScale", env=cdk.Environment(account="123456789012", region="us-east-1"))
    ids = model_ids(count)
    logging = InvocationLogging(stack, "InvocationLogging") if with_invocation_logging else None
    BedrockMonitoring(
        stack,
        "Monitoring",
        models=ids,
        alarm_emails=["ops@example.com"],
        model_prices={m: (0.0008, 0.0032) for m in ids},
        invocation_log_group=logging.log_group if logging else None,
    )
    return app, stack


def measure(count: int, *, with_invocation_logging: bool = True) -> tuple[Measurement, cdk.App, str]:
    """Synthesize ``count`` models; return the measurement, the app and the template text."""
    with tempfile.TemporaryDirectory() as outdir:
        started = time.perf_counter()
        app, stack = build(count, outdir, with_invocation_logging=with_invocation_logging)
        assembly = app.synth()
        seconds = time.perf_counter() - started
        text = Path(assembly.get_stack_artifact(stack.artifact_id).template_full_path).read_text()
    template: dict[str, Any] = json.loads(text)
    resources = template["Resources"]
    types: dict[str, int] = {}
    for resource in resources.values():
        types[resource["Type"]] = types.get(resource["Type"], 0) + 1
    widgets = [_widget_count(r) for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    return (
        Measurement(
            models=count,
            resources=len(resources),
            template_bytes=len(text.encode()),
            dashboards=len(widgets),
            max_widgets_per_dashboard=max(widgets),
            synth_seconds=round(seconds, 2),
            resource_types=dict(sorted(types.items())),
        ),
        app,
        text,
    )


def _widget_count(dashboard: dict[str, Any]) -> int:
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, dict):
        body = "".join(p if isinstance(p, str) else "TOKEN" for p in body["Fn::Join"][1])
    return len(json.loads(body)["widgets"])


def lint(template_text: str) -> list[str]:
    """cfn-lint findings (errors and warnings) for the template, with the checks .cfnlintrc ignores ignored."""
    config = ManualArgs(regions=["us-east-1"], ignore_checks=["W3005"])
    return [str(m) for m in cfnlint.api.lint(template_text, config=config)]


def nag(app: cdk.App) -> list[str]:
    """Unacknowledged cdk-nag AwsSolutions findings."""
    return [str(v) for v in AwsSolutionsChecks().validate_scope(app).violations]


def main() -> int:
    """Measure, check the limits and write the results."""
    measurements = []
    largest_app: cdk.App | None = None
    largest_text = ""
    for count in SIZES:
        measurement, app, text = measure(count)
        measurements.append(measurement)
        largest_app, largest_text = app, text
    assert largest_app is not None
    lint_findings = lint(largest_text)
    nag_findings = nag(largest_app)
    first, last = measurements[0], measurements[-1]
    per_model = (last.resources - first.resources) / (last.models - first.models)
    within = (
        last.resources <= MAX_RESOURCES
        and last.template_bytes <= MAX_TEMPLATE_BYTES
        and all(m.max_widgets_per_dashboard <= MAX_WIDGETS for m in measurements)
        and not lint_findings
        and not nag_findings
    )
    result = {
        "benchmark": "monitoring_scale",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "aws_cdk_lib": importlib.metadata.version("aws-cdk-lib"),
        "measurements": [asdict(m) for m in measurements],
        "resources_per_extra_model": per_model,
        "cfn_lint_findings": lint_findings,
        "nag_findings": nag_findings,
        "within_limits": within,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "monitoring_scale.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "monitoring_scale.md").write_text(_markdown(result))
    print(json.dumps({k: v for k, v in result.items() if k != "measurements"}, indent=2))
    return 0 if within else 1


def _markdown(result: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {m['models']} | {m['resources']} | {m['template_bytes']:,} | {m['dashboards']} | "
        f"{m['max_widgets_per_dashboard']} | {m['synth_seconds']} |"
        for m in result["measurements"]
    )
    last = result["measurements"][-1]
    types = ", ".join(f"{k} {v}" for k, v in last["resource_types"].items())
    return f"""# BedrockMonitoring at scale

Measured {result["measured_at"]} with `python bench/monitoring_scale.py` (Python {result["python"]},
aws-cdk-lib {result["aws_cdk_lib"]}); every model priced, so every model section has its cost widget.

| models | resources | template bytes | dashboards | max widgets/dashboard | synth s |
|---:|---:|---:|---:|---:|---:|
{rows}

- The stack also holds `InvocationLogging` (log group, bucket, key, delivery role, metric filter, saved queries,
  the custom resource and its provider), as the default app's observability stack does.
- Resources added per extra model: **{result["resources_per_extra_model"]:.2f}** (goal: at most 5): the four
  alarms (latency, ContentFilteredCount, throttles, server errors); dashboards grow by one per
  71 models ({BedrockMonitoring.widgets_per_model(with_cost=True)} widgets per model section).
- {last["models"]} models: {types}.
- Limits: CloudFormation {MAX_RESOURCES} resources and {MAX_TEMPLATE_BYTES:,} bytes per template, CloudWatch
  {MAX_WIDGETS} widgets per dashboard. Within limits: **{result["within_limits"]}**.
- cfn-lint findings (errors and warnings; W3005 ignored as in `.cfnlintrc`) on the {last["models"]}-model
  template: {len(result["cfn_lint_findings"])}.
- cdk-nag AwsSolutions findings: {len(result["nag_findings"])}.
- Synth times are wall-clock on this 2-core machine and include the jsii start-up of the first synth.
"""


if __name__ == "__main__":
    sys.exit(main())
