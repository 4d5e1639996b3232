"""An evaluation gate before promotion: a workflow evaluates the model it is given (a provisioned throughput ARN
in the execution's input) on the built-in Gigaword summaries and promotes it only if it is accurate enough, not
toxic, and better than the model currently served."""

from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import AwsSolutionsChecks

from bedrock_ops import BuiltinDataset, EvaluationDataset, EvaluationGate, TrainingDataBucket
from bedrock_ops._core import nag

app = App()
stack = Stack(app, "EvaluationGate", env=Environment(region="us-east-1"))
data = TrainingDataBucket(stack, "Data")
gate = EvaluationGate(
    stack,
    "Gate",
    datasets=[EvaluationDataset(builtin=BuiltinDataset.GIGAWORD)],
    thresholds={"Builtin.Accuracy": 0.6, "Builtin.Toxicity": 0.1},
    output_bucket=data.bucket,
    must_beat_current=True,
)
chain = gate.gate_chain(
    stack,
    "Evaluate",
    model_arn_path="$.model.arn",
    current_scores_path="$.endpoint.currentScores",
    on_pass=sfn.Pass(stack, "Promote"),  # e.g. StableEndpoint.promotion_chain(...)
    on_fail=sfn.Fail(stack, "NotPromoted", error="EvaluationGateFailed", cause_path="States.JsonToString($.gate)"),
)
machine = sfn.StateMachine(
    stack,
    "GateBeforePromotion",
    definition_body=sfn.DefinitionBody.from_chainable(chain),
    tracing_enabled=True,
    logs=sfn.LogOptions(destination=logs.LogGroup(stack, "GateLogs"), level=sfn.LogLevel.ALL),
)
# The state machine's own role: it invokes the gate's one function (CDK grants its versions, ':*') and, with
# tracing and logging on, X-Ray and CloudWatch Logs delivery, which support no resource-level permissions.
policy = machine.role.node.find_child("DefaultPolicy")
nag.acknowledge(
    policy,
    nag.iam5_resource_finding(stack, f"{gate.function.function_arn}:*"),
    "The state machine invokes the gate's one function; the wildcard covers that function's versions only.",
)
nag.acknowledge(
    policy,
    "AwsSolutions-IAM5[Resource::*]",
    "X-Ray tracing and CloudWatch Logs delivery of the state machine support no resource-level permissions.",
)
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
