"""Scale benchmark: BedrockMonitoring for many models in one stack, beside InvocationLogging.

Two modes, each beside InvocationLogging with its provider (as the default app's observability stack):

- **per-model** (``fleet_alarms=False``, the 0.1 behaviour) for 10 and 100 listed models, every model priced;
- **fleet** (the default) for 10, 100 and 1,000 models *and* 1,000 application inference profiles seen at run
  time: the models are not listed (fleet alarms need no list); 5 models are listed for detail, the profiles are
  imported (``from_inference_profile_arn``) for a cost widget each, and a default tokens-per-minute quota alarm.

Measured: resources, template bytes, alarms (of which Metrics Insights), dashboards and widgets, synth time, and
the estimated monthly CloudWatch cost from the dated price table
(``bedrock_ops/cost/data/service_prices.json``): standard alarms per alarm-month, Metrics Insights alarms per
metric analyzed per month (each fleet alarm analyzes one series per ModelId it matches: models + profiles),
dashboards per month. cfn-lint and cdk-nag ``AwsSolutionsChecks`` run on the largest stack of each mode.

Run: ``python bench/monitoring_scale.py`` (writes ``bench/results/monitoring_scale.{md,json}``).
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
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

from bedrock_ops.cost.service_prices import load_service_prices  # noqa: E402
from bedrock_ops.observability.invocation_logging import InvocationLogging  # noqa: E402
from bedrock_ops.observability.monitoring import BedrockMonitoring  # noqa: E402
from bedrock_ops.serving.inference_profile import ApplicationInferenceProfile  # noqa: E402
from infra.app import cdk_json_context  # noqa: E402

#: CloudFormation and CloudWatch limits the result is checked against.
MAX_RESOURCES = 500
MAX_TEMPLATE_BYTES = 1_000_000
MAX_WIDGETS = 500
SIZES = (10, 100)
FLEET_SIZES = (10, 100, 1000)
#: Fleet monitoring resources at any size (goal).
MAX_FLEET_RESOURCES = 40
DETAIL_MODELS = 5
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
    mode: str = "per-model"
    profiles: int = 0
    alarms: int = 0
    metrics_insights_alarms: int = 0
    monitoring_resources: int = 0
    monthly_cost_usd: float = 0.0


def model_ids(count: int) -> list[str]:
    """Realistic-length, distinct model ids."""
    return [f"vendor.example-model-{n:03d}-20260101-v1:0" for n in range(count)]


def synthetic_models_file(ids: Sequence[str]) -> str:
    """A models file (merged over the packaged model knowledge base) that knows ``ids`` as made-up models:
    monitoring checks every listed id against the knowledge base, and the benchmark needs more models than
    Bedrock has."""
    models = {model_id: {"provider": "Vendor", "name": f"Synthetic {model_id}"} for model_id in ids}
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8")  # noqa: SIM115
    with handle:
        json.dump({"models": models}, handle)
    return handle.name


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
        fleet_alarms=False,
        alarm_emails=["ops@example.com"],
        model_prices={m: (0.0008, 0.0032) for m in ids},
        invocation_log_group=logging.log_group if logging else None,
        models_file=synthetic_models_file(ids),
    )
    return app, stack


def build_fleet(count: int, outdir: str, *, with_invocation_logging: bool = True) -> tuple[cdk.App, cdk.Stack]:
    """An app with fleet monitoring: ``count`` models and ``count`` application inference profiles exist at run
    time; 5 models are listed for detail, the profiles imported for their cost widgets."""
    app = cdk.App(outdir=outdir, context=cdk_json_context())
    stack = cdk.Stack(app, "MonitoringScale", env=cdk.Environment(account="123456789012", region="us-east-1"))
    ids = model_ids(DETAIL_MODELS)
    logging = InvocationLogging(stack, "InvocationLogging") if with_invocation_logging else None
    profiles = [
        ApplicationInferenceProfile.from_inference_profile_arn(
            stack,
            f"Profile{n}",
            f"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/team{n:04d}",
            model_id="amazon.nova-micro-v1:0",
            name=f"team-{n:04d}",
        )
        for n in range(count)
    ]
    BedrockMonitoring(
        stack,
        "Monitoring",
        models=ids,
        default_tpm_quota=200_000,
        inference_profiles=profiles,
        alarm_emails=["ops@example.com"],
        model_prices={m: (0.0008, 0.0032) for m in [*ids, "amazon.nova-micro-v1:0"]},
        invocation_log_group=logging.log_group if logging else None,
        models_file=synthetic_models_file(ids),
    )
    return app, stack


def measure(
    count: int, *, with_invocation_logging: bool = True, fleet: bool = False
) -> tuple[Measurement, cdk.App, str]:
    """Synthesize ``count`` models; return the measurement, the app and the template text."""
    with tempfile.TemporaryDirectory() as outdir:
        started = time.perf_counter()
        builder = build_fleet if fleet else build
        app, stack = builder(count, outdir, with_invocation_logging=with_invocation_logging)
        assembly = app.synth()
        seconds = time.perf_counter() - started
        text = Path(assembly.get_stack_artifact(stack.artifact_id).template_full_path).read_text()
    template: dict[str, Any] = json.loads(text)
    resources = template["Resources"]
    types: dict[str, int] = {}
    for resource in resources.values():
        types[resource["Type"]] = types.get(resource["Type"], 0) + 1
    widgets = [_widget_count(r) for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    alarms = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    insights = sum(1 for a in alarms if _is_metrics_insights(a))
    monitoring = sum(1 for k in resources if k.startswith("Monitoring"))
    series = 2 * count if fleet else 0  # one ModelId per model and per profile
    return (
        Measurement(
            models=count,
            resources=len(resources),
            template_bytes=len(text.encode()),
            dashboards=len(widgets),
            max_widgets_per_dashboard=max(widgets),
            synth_seconds=round(seconds, 2),
            resource_types=dict(sorted(types.items())),
            mode="fleet" if fleet else "per-model",
            profiles=count if fleet else 0,
            alarms=len(alarms),
            metrics_insights_alarms=insights,
            monitoring_resources=monitoring,
            monthly_cost_usd=round(monthly_cost(len(alarms) - insights, insights, series, len(widgets)), 2),
        ),
        app,
        text,
    )


def _is_metrics_insights(alarm: dict[str, Any]) -> bool:
    metrics = alarm["Properties"].get("Metrics", [])
    return any(str(m.get("Expression", "")).startswith("SELECT ") for m in metrics)


def monthly_cost(standard_alarms: int, insights_alarms: int, series_per_insights_alarm: int, dashboards: int) -> float:
    """CloudWatch alarms and dashboards per month from the dated price table (free tier not deducted)."""
    prices = load_service_prices()
    return (
        standard_alarms * prices.rate("cloudwatch_alarm_month")
        + insights_alarms * series_per_insights_alarm * prices.rate("cloudwatch_metrics_insights_alarm_metric_month")
        + dashboards * prices.rate("cloudwatch_dashboard_month")
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
    checks: dict[str, dict[str, list[str]]] = {}
    for mode, sizes in (("per-model", SIZES), ("fleet", FLEET_SIZES)):
        largest: tuple[cdk.App, str] | None = None
        for count in sizes:
            measurement, app, text = measure(count, fleet=mode == "fleet")
            measurements.append(measurement)
            largest = (app, text)
        assert largest is not None
        checks[mode] = {"cfn_lint": lint(largest[1]), "nag": nag(largest[0])}
    per_model = [m for m in measurements if m.mode == "per-model"]
    fleet = [m for m in measurements if m.mode == "fleet"]
    per_extra_model = (per_model[-1].resources - per_model[0].resources) / (per_model[-1].models - per_model[0].models)
    within = (
        all(m.resources <= MAX_RESOURCES and m.template_bytes <= MAX_TEMPLATE_BYTES for m in measurements)
        and all(m.max_widgets_per_dashboard <= MAX_WIDGETS for m in measurements)
        and all(m.monitoring_resources <= MAX_FLEET_RESOURCES for m in fleet)
        and len({m.monitoring_resources - m.dashboards for m in fleet}) == 1
        and not any(v for c in checks.values() for v in c.values())
    )
    result = {
        "benchmark": "monitoring_scale",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "aws_cdk_lib": importlib.metadata.version("aws-cdk-lib"),
        "service_prices_as_of": load_service_prices().as_of,
        "measurements": [asdict(m) for m in measurements],
        "resources_per_extra_model_per_model_mode": per_extra_model,
        "checks": checks,
        "within_limits": within,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "monitoring_scale.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "monitoring_scale.md").write_text(_markdown(result))
    print(json.dumps({k: v for k, v in result.items() if k != "measurements"}, indent=2))
    return 0 if within else 1


_HEADER = (
    "| mode | models | profiles | resources | of which monitoring | template bytes | alarms (Metrics Insights) "
    "| dashboards | max widgets/dashboard | CloudWatch USD/month | synth s |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def _markdown(result: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {m['mode']} | {m['models']:,} | {m['profiles']:,} | {m['resources']} | {m['monitoring_resources']} | "
        f"{m['template_bytes']:,} | {m['alarms']} ({m['metrics_insights_alarms']}) | {m['dashboards']} | "
        f"{m['max_widgets_per_dashboard']} | {m['monthly_cost_usd']:,.2f} | {m['synth_seconds']} |"
        for m in result["measurements"]
    )
    checks = "; ".join(
        f"{mode}: cfn-lint {len(c['cfn_lint'])}, cdk-nag {len(c['nag'])}" for mode, c in result["checks"].items()
    )
    per_model_1000 = 4 * 1000 + 33
    return f"""# BedrockMonitoring at scale

Measured {result["measured_at"]} with `python bench/monitoring_scale.py` (Python {result["python"]},
aws-cdk-lib {result["aws_cdk_lib"]}; CloudWatch prices as of {result["service_prices_as_of"]} from
`bedrock_ops/cost/data/service_prices.json`, us-east-1, free tier not deducted).

{_HEADER}
{rows}

- Every stack also holds `InvocationLogging` (log group, bucket, key, delivery role, six ContentFilteredCount
  metric filters, saved queries, the custom resource and its provider), as the default app's observability stack.
- **per-model** (`fleet_alarms=False`): {result["resources_per_extra_model_per_model_mode"]:.2f} resources per
  extra model (four alarms each); 1,000 models would need about {per_model_1000:,} resources, eight times
  CloudFormation's 500.
- **fleet** (default): the models and profiles exist at run time and are not listed; the stack lists 5 models for
  detail, imports one application inference profile per team for its cost widget, and sets a default
  tokens-per-minute quota. Its alarms (5 fleet signals + 1 quota, Metrics Insights, + 3 log-delivery alarms) do
  not change with the number of models; only the application dashboards grow, by one per 499 profiles.
- Cost: a Metrics Insights alarm is priced per metric it analyzes (CloudWatch pricing page, Alarms; rate
  unconfirmed, see the price table's source note): each fleet alarm analyzes one series per ModelId, here
  models + profiles, so the fleet's alarm bill grows with the fleet even though its resources do not. Per-model
  alarms cost the same per watched series but cover only the listed models and stop at the resource limit.
- Limits: CloudFormation {MAX_RESOURCES} resources and {MAX_TEMPLATE_BYTES:,} bytes per template, CloudWatch
  {MAX_WIDGETS} widgets per dashboard, fleet monitoring at most {MAX_FLEET_RESOURCES} resources; Metrics Insights
  200 alarms per Region, 500 series per query (each query keeps the top 500 by `ORDER BY ... LIMIT 500`),
  10,000 metrics matched (a fleet of 1,000 models and 1,000 profiles matches 2,000 per signal). Within limits:
  **{result["within_limits"]}**.
- Largest stack of each mode: {checks} (errors and warnings; W3005 ignored as in `.cfnlintrc`).
- Synth times are wall-clock on this 2-core machine shared with other jobs, and include jsii start-up.
"""


if __name__ == "__main__":
    sys.exit(main())
