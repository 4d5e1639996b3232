"""The dashboards of ``BedrockMonitoring``: the overview that needs no model list, a section per listed model,
the cost graphs of application inference profiles; each split before CloudWatch's widget limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs

from bedrock_ops.observability.content_filter import content_filtered_insights_filter
from bedrock_ops.observability.metrics import (
    BEDROCK_NAMESPACE,
    CONTENT_FILTERED_COUNT,
    GUARDRAILS_NAMESPACE,
    MODEL_ID_DIMENSION,
    BedrockLoggingMetrics,
    BedrockModelMetrics,
    BedrockOpsMetrics,
    search_expression,
)
from bedrock_ops.observability.monitoring_props import (
    MonitoredModel,
)

if TYPE_CHECKING:
    from bedrock_ops.observability.monitoring import BedrockMonitoring
    from bedrock_ops.serving.inference_profile import IApplicationInferenceProfile

#: Application inference profiles per cost graph (a line each; a graph holds up to 100 metrics, and each profile's
#: line uses three: its expression and two token counts).
PROFILES_PER_COST_WIDGET = 10


def overview(monitoring: BedrockMonitoring, log_group: logs.ILogGroup | None) -> cloudwatch.Dashboard:
    dashboard = cloudwatch.Dashboard(
        monitoring,
        "Overview",
        dashboard_name=f"{monitoring.dashboard_name_prefix}-Overview",
        default_interval=Duration.hours(3),
    )
    model_dim = (MODEL_ID_DIMENSION,)

    def search(title: str, namespace: str, dims: tuple[str, ...], name: str, stat: str) -> cloudwatch.GraphWidget:
        expression = cloudwatch.MathExpression(
            expression=search_expression(namespace, dims, name, stat),
            label="",
            period=Duration.minutes(5),
        )
        return cloudwatch.GraphWidget(title=title, left=[expression], width=8, height=6)

    stat = monitoring.thresholds.latency_statistic
    pages = ", ".join(f"`{d}`" for d in [*model_dashboard_names(monitoring), *application_dashboard_names(monitoring)])
    dashboard.add_widgets(
        cloudwatch.TextWidget(
            markdown=(
                "## Amazon Bedrock: all models\n"
                "Every graph is a `SEARCH` over all models, inference profiles, provisioned throughputs and "
                "deployments of this account and Region: new ones appear by themselves. "
                f"Per-model sections: {pages or 'none listed'}."
            ),
            width=24,
            height=2,
        )
    )
    dashboard.add_widgets(
        search("Invocations by model", BEDROCK_NAMESPACE, model_dim, "Invocations", "Sum"),
        search(
            f"InvocationLatency {stat} by model (ms)",
            BEDROCK_NAMESPACE,
            model_dim,
            "InvocationLatency",
            stat,
        ),
        search(
            f"TimeToFirstToken {stat} by model (ms)",
            BEDROCK_NAMESPACE,
            model_dim,
            "TimeToFirstToken",
            stat,
        ),
    )
    dashboard.add_widgets(
        search("Client errors by model", BEDROCK_NAMESPACE, model_dim, "InvocationClientErrors", "Sum"),
        search("Server errors by model", BEDROCK_NAMESPACE, model_dim, "InvocationServerErrors", "Sum"),
        search("Throttles by model", BEDROCK_NAMESPACE, model_dim, "InvocationThrottles", "Sum"),
    )
    dashboard.add_widgets(
        search("Input tokens by model", BEDROCK_NAMESPACE, model_dim, "InputTokenCount", "Sum"),
        search("Output tokens by model", BEDROCK_NAMESPACE, model_dim, "OutputTokenCount", "Sum"),
        search(
            "ContentFilteredCount by model",
            monitoring.content_filter_namespace,
            model_dim,
            CONTENT_FILTERED_COUNT,
            "Sum",
        ),
    )
    dashboard.add_widgets(
        cloudwatch.GraphWidget(
            title="EstimatedTPMQuotaUsage by model (tokens per minute)",
            left=[
                cloudwatch.MathExpression(
                    expression=(
                        f"SEARCH('{{{BEDROCK_NAMESPACE},{MODEL_ID_DIMENSION}}} "
                        "MetricName=\"EstimatedTPMQuotaUsage\"', 'Sum', 60)"
                    ),
                    label="",
                    period=Duration.minutes(1),
                )
            ],
            left_annotations=[
                cloudwatch.HorizontalAnnotation(value=q * monitoring.thresholds.quota_usage_percent / 100, label=n)
                for n, q, _ in monitoring._quota_groups[:10]
            ],
            width=8,
            height=6,
        ),
        cloudwatch.GraphWidget(
            title="Input tokens by application inference profile",
            left=[
                cloudwatch.MathExpression(
                    expression=(
                        f'SEARCH(\'{{{BEDROCK_NAMESPACE},{MODEL_ID_DIMENSION}}} MetricName="InputTokenCount" '
                        "application-inference-profile', 'Sum', 300)"
                    ),
                    label="",
                    period=Duration.minutes(5),
                )
            ],
            width=8,
            height=6,
        ),
        *(
            [
                cloudwatch.AlarmStatusWidget(
                    title="Fleet alarms (each ModelId is a contributor)",
                    alarms=[*monitoring.fleet_alarms, *monitoring.quota_alarms][:100],
                    width=8,
                    height=6,
                )
            ]
            if monitoring.fleet_alarms or monitoring.quota_alarms
            else []
        ),
    )
    delivery = BedrockLoggingMetrics()
    row: list[cloudwatch.IWidget] = [
        search(
            "Guardrail interventions",
            GUARDRAILS_NAMESPACE,
            ("GuardrailArn", "GuardrailVersion"),
            "InvocationsIntervened",
            "Sum",
        ),
        cloudwatch.GraphWidget(
            title="Invocation log delivery",
            left=[
                delivery.metric_cloud_watch_delivery_success(label="CloudWatch delivered"),
                delivery.metric_s3_delivery_success(label="S3 delivered"),
            ],
            right=[
                delivery.metric_cloud_watch_delivery_failure(label="CloudWatch failed"),
                delivery.metric_s3_delivery_failure(label="S3 failed"),
                delivery.metric_large_data_s3_delivery_failure(label="Large data S3 failed"),
            ],
            width=8,
            height=6,
        ),
    ]
    if monitoring.log_delivery_alarms:
        row.append(
            cloudwatch.AlarmStatusWidget(
                title="Invocation logging alarms",
                alarms=list(monitoring.log_delivery_alarms),
                width=8,
                height=6,
            )
        )
    dashboard.add_widgets(*row)
    if log_group is not None:
        dashboard.add_widgets(
            cloudwatch.LogQueryWidget(
                title="Latest content-filtered responses",
                log_group_names=[log_group.log_group_name],
                query_lines=[
                    "fields @timestamp, modelId, identity.arn, operation",
                    content_filtered_insights_filter(),
                    "sort @timestamp desc",
                    "limit 20",
                ],
                width=24,
                height=6,
            )
        )
    return dashboard


def models_per_dashboard(monitoring: BedrockMonitoring) -> int:
    return monitoring._max_widgets // monitoring.widgets_per_model(with_cost=True)


def model_chunks(monitoring: BedrockMonitoring) -> list[list[MonitoredModel]]:
    size = models_per_dashboard(monitoring)
    return [monitoring.models[i : i + size] for i in range(0, len(monitoring.models), size)]


def model_dashboard_names(monitoring: BedrockMonitoring) -> list[str]:
    return [f"{monitoring.dashboard_name_prefix}-Models-{n + 1}" for n in range(len(model_chunks(monitoring)))]


def model_dashboards(monitoring: BedrockMonitoring) -> list[cloudwatch.Dashboard]:
    dashboards = []
    for n, (name, chunk) in enumerate(zip(model_dashboard_names(monitoring), model_chunks(monitoring), strict=True)):
        dashboard = cloudwatch.Dashboard(
            monitoring, f"Models{n + 1}", dashboard_name=name, default_interval=Duration.hours(3)
        )
        for model in chunk:
            model_section(monitoring, dashboard, model)
        dashboards.append(dashboard)
    return dashboards


def application_widgets(monitoring: BedrockMonitoring) -> list[cloudwatch.IWidget]:
    """Priced profiles share cost graphs (PROFILES_PER_COST_WIDGET each, a line per profile); unpriced ones
    get a token graph each."""
    priced: list[tuple[IApplicationInferenceProfile, tuple[float, float]]] = []
    widgets: list[cloudwatch.IWidget] = []
    for profile in monitoring.inference_profiles:
        price = price_of(monitoring, profile.model_id)
        if price is None:
            widgets.append(profile.cost_widget(None))
        else:
            priced.append((profile, price))
    for i in range(0, len(priced), PROFILES_PER_COST_WIDGET):
        group = priced[i : i + PROFILES_PER_COST_WIDGET]
        names = [p.display_name for p, _ in group]
        title = names[0] if len(names) == 1 else f"{names[0]} ... {names[-1]}"
        widgets.append(
            cloudwatch.GraphWidget(
                title=f"Estimated on-demand cost per day (USD): {title}",
                left=[m for p, price in group for m in p.cost_metrics(price)],
                width=12,
                height=6,
            )
        )
    return widgets


def application_chunks(monitoring: BedrockMonitoring) -> list[list[cloudwatch.IWidget]]:
    if not monitoring.inference_profiles:
        return []
    widgets = application_widgets(monitoring)
    size = monitoring._max_widgets - 1  # a header per dashboard
    return [widgets[i : i + size] for i in range(0, len(widgets), size)]


def application_dashboard_names(monitoring: BedrockMonitoring) -> list[str]:
    # One dashboard per (max widgets - 1) widgets; counted without building them (names are planned first).
    priced = sum(1 for p in monitoring.inference_profiles if price_of(monitoring, p.model_id) is not None)
    count = -(-priced // PROFILES_PER_COST_WIDGET) + (len(monitoring.inference_profiles) - priced)
    dashboards = -(-count // (monitoring._max_widgets - 1))
    return [f"{monitoring.dashboard_name_prefix}-Applications-{n + 1}" for n in range(dashboards)]


def application_dashboards(monitoring: BedrockMonitoring) -> list[cloudwatch.Dashboard]:
    dashboards = []
    names = application_dashboard_names(monitoring)
    for n, (name, chunk) in enumerate(zip(names, application_chunks(monitoring), strict=True)):
        dashboard = cloudwatch.Dashboard(
            monitoring, f"Applications{n + 1}", dashboard_name=name, default_interval=Duration.days(7)
        )
        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown="## Cost per application (application inference profiles, estimated on demand)",
                width=24,
                height=1,
            )
        )
        dashboard.add_widgets(*chunk)
        dashboards.append(dashboard)
    return dashboards


def price_of(monitoring: BedrockMonitoring, model_id: str | None) -> tuple[float, float] | None:
    if model_id is None:
        return None
    if model_id in monitoring.model_prices:
        return monitoring.model_prices[model_id]
    geo, _, rest = model_id.partition(".")
    return monitoring.model_prices.get(rest) if rest.count(".") >= 1 and geo.isalpha() else None


def model_section(monitoring: BedrockMonitoring, dashboard: cloudwatch.Dashboard, model: MonitoredModel) -> None:
    t = monitoring.thresholds
    mid = model.model_id
    metrics = BedrockModelMetrics(mid)
    ops = BedrockOpsMetrics(mid, namespace=monitoring.content_filter_namespace)
    threshold = model.latency_threshold_ms or t.latency_ms
    price = price_of(monitoring, mid)
    price_text = f" · on-demand price: ${price[0]:g} / ${price[1]:g} per 1k input / output tokens" if price else ""
    title = model.name or mid
    dashboard.add_widgets(cloudwatch.TextWidget(markdown=f"### {title}{price_text}", width=24, height=1))
    graphs: list[cloudwatch.IWidget] = [
        cloudwatch.GraphWidget(
            title="Latency (ms)",
            left=[
                metrics.metric_invocation_latency(statistic=s, label=f"InvocationLatency {s}")
                for s in ("p50", "p90", "p99")
            ],
            right=[metrics.metric_time_to_first_token(label="TimeToFirstToken p90")],
            left_annotations=[cloudwatch.HorizontalAnnotation(value=threshold, label=f"alarm ({t.latency_statistic})")],
            width=6,
            height=6,
        ),
        cloudwatch.GraphWidget(
            title="Invocations, errors, throttles",
            left=[metrics.metric_invocations(label="Invocations")],
            right=[
                metrics.metric_invocation_client_errors(label="Client errors"),
                metrics.metric_invocation_server_errors(label="Server errors"),
                metrics.metric_invocation_throttles(label="Throttles"),
            ],
            width=6,
            height=6,
        ),
        cloudwatch.GraphWidget(
            title="Tokens",
            left=[
                metrics.metric_input_token_count(label="Input tokens"),
                metrics.metric_output_token_count(label="Output tokens"),
            ],
            width=6,
            height=6,
        ),
    ]
    if price is not None:
        graphs.append(
            cloudwatch.GraphWidget(
                title="Estimated on-demand cost (USD)",
                left=[_cost_expression(metrics, price)],
                width=6,
                height=6,
            )
        )
    dashboard.add_widgets(*graphs)
    last: list[cloudwatch.IWidget] = [
        cloudwatch.GraphWidget(
            title="ContentFilteredCount",
            left=[ops.metric_content_filtered_count_all_aliases(label="Filtered responses")],
            left_annotations=[cloudwatch.HorizontalAnnotation(value=t.content_filtered_count, label="alarm")],
            width=12,
            height=4,
        )
    ]
    if mid in monitoring._alarms:
        last.append(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=monitoring.alarms_for(mid), width=12, height=4))
    dashboard.add_widgets(*last)


def _cost_expression(metrics: BedrockModelMetrics, price: tuple[float, float]) -> cloudwatch.MathExpression:
    input_price, output_price = (_decimal(p) for p in price)
    return cloudwatch.MathExpression(
        expression=f"(tokensIn * {input_price} + tokensOut * {output_price}) / 1000",
        using_metrics={
            "tokensIn": metrics.metric_input_token_count(),
            "tokensOut": metrics.metric_output_token_count(),
        },
        label="Estimated cost per period (USD)",
        period=Duration.minutes(5),
    )


def _decimal(value: float) -> str:
    """A plain decimal for metric math (no exponent such as 1e-05)."""
    return f"{value:.10f}".rstrip("0").rstrip(".") or "0"
