"""The baseline of the per-resource synth benchmark: a plain aws-cdk-lib app of about N resources.

It registers the same cdk-nag AwsSolutions plugin as the default app and turns the CDK's built-in
CloudFormation validation off, as the default app does, so the two differ only in what they build. The
resources are ``--cycles`` repetitions of common L2 constructs (key, bucket with its policy, role with its
policy, a Python Lambda function from a small asset folder with the log group cdk.json's flags give it, topic,
queue with its policy, log group, alarm, parameter: 13 resources a cycle under cdk.json's context, the kinds
the default app is made of), with the cdk-nag
findings they raise acknowledged one by one, as the default app does;
``bench/synth_per_resource.py`` picks the number of cycles.

    CDK_OUTDIR=/tmp/out python bench/plain_app.py --cycles 13
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_NODE = ROOT / "node_modules" / ".bin" / "node"
if "JSII_NODE" not in os.environ and _NODE.exists():
    os.environ["JSII_NODE"] = str(_NODE)

import aws_cdk as cdk  # noqa: E402
from aws_cdk import aws_cloudwatch as cloudwatch  # noqa: E402
from aws_cdk import aws_iam as iam  # noqa: E402
from aws_cdk import aws_kms as kms  # noqa: E402
from aws_cdk import aws_lambda as lambda_  # noqa: E402
from aws_cdk import aws_logs as logs  # noqa: E402
from aws_cdk import aws_s3 as s3  # noqa: E402
from aws_cdk import aws_sns as sns  # noqa: E402
from aws_cdk import aws_sqs as sqs  # noqa: E402
from aws_cdk import aws_ssm as ssm  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from constructs import Construct, IConstruct  # noqa: E402

_HANDLER = ROOT / "bench" / "plain_handler"


def one_cycle(scope: Construct, index: int) -> None:
    """One cycle of 13 resources under cdk.json's context: key, bucket (+ policy), role (+ policy), function (+ its
    log group), topic, queue (+ policy), log group, alarm, parameter."""
    key = kms.Key(scope, f"Key{index}", enable_key_rotation=True)
    bucket = s3.Bucket(scope, f"Bucket{index}", encryption_key=key, enforce_ssl=True)
    role = iam.Role(scope, f"Role{index}", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    bucket.grant_read(role)
    lambda_.Function(
        scope,
        f"Function{index}",
        runtime=lambda_.Runtime.PYTHON_3_14,
        handler="index.handler",
        code=lambda_.Code.from_asset(str(_HANDLER)),
        role=role,
        environment={"BUCKET": bucket.bucket_name},
    )
    topic = sns.Topic(scope, f"Topic{index}", master_key=key)
    topic.grant_publish(role)
    queue = sqs.Queue(scope, f"Queue{index}", encryption_master_key=key, enforce_ssl=True)
    logs.LogGroup(scope, f"Logs{index}", retention=logs.RetentionDays.ONE_MONTH)
    cloudwatch.Alarm(
        scope,
        f"Alarm{index}",
        metric=cloudwatch.Metric(namespace="Bench", metric_name="Errors", dimensions_map={"Index": str(index)}),
        threshold=1,
        evaluation_periods=1,
    )
    ssm.StringParameter(scope, f"Parameter{index}", string_value=bucket.bucket_name)
    # The findings a real app would acknowledge (cdk-nag v3), one by one as the default app does.
    _acknowledge(bucket, "AwsSolutions-S1", "benchmark bucket: holds no data, access logs are not the point")
    _acknowledge(queue, "AwsSolutions-SQS3", "benchmark queue: nothing consumes it, a dead-letter queue adds nothing")
    policy = role.node.find_child("DefaultPolicy")
    for action in ("kms:GenerateDataKey*", "s3:GetBucket*", "s3:GetObject*", "s3:List*"):
        _acknowledge(policy, f"AwsSolutions-IAM5[Action::{action}]", "the grant methods' own action wildcards")
    stack = cdk.Stack.of(scope)
    arn = stack.resolve(bucket.bucket_arn)["Fn::GetAtt"][0]
    _acknowledge(policy, f"AwsSolutions-IAM5[Resource::<{arn}.Arn>/*]", "read access to every object of one bucket")


def _acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=finding, reason=reason))


def build(cycles: int, app: cdk.App) -> cdk.Stack:
    """A stack of ``cycles`` cycles, with the nag plugin on ``app``."""
    stack = cdk.Stack(app, "Plain", env=cdk.Environment(account="123456789012", region="us-east-1"))
    for index in range(cycles):
        one_cycle(stack, index)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, required=True)
    args = parser.parse_args()
    app = cdk.App(builtin_cloud_formation_validation=False)
    build(args.cycles, app)
    app.synth()


if __name__ == "__main__":
    main()
