"""Invocation logging to CloudWatch Logs and S3, ContentFilteredCount, alarms and dashboards for two models."""

from aws_cdk import App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import AlarmThresholds, BedrockMonitoring, InvocationLogging, MonitoredModel, load_pricing_table

# Server access logs by bucket policy, not ACLs (the default app sets this flag in cdk.json).
app = App(context={"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True})
stack = Stack(app, "Observability", env=Environment(region="us-east-1"))
logging = InvocationLogging(stack, "InvocationLogging")

models = ["amazon.titan-text-express-v1", "anthropic.claude-3-haiku-20240307-v1:0"]
pricing = load_pricing_table()
prices = {}
for model_id in models:
    price = pricing.price(model_id)
    if price and price.input_per_1k_tokens is not None and price.output_per_1k_tokens is not None:
        prices[model_id] = (price.input_per_1k_tokens, price.output_per_1k_tokens)

BedrockMonitoring(
    stack,
    "Monitoring",
    models=[models[0], MonitoredModel(models[1], latency_threshold_ms=5000)],
    thresholds=AlarmThresholds(latency_statistic="p99"),
    alarm_emails=["ml-oncall@example.com"],
    model_prices=prices,
    invocation_log_group=logging.log_group,
)
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
