"""InvocationLogging: destinations, every policy condition, the custom resource and the singleton rule."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from bedrock_ops.observability.content_filter import content_filtered_filter_pattern, stream_filter_patterns
from bedrock_ops.observability.invocation_logging import STATE_PARAMETER_NAME, InvocationLogging
from infra.app import cdk_json_context
from tests.support import ACCOUNT, REGION, nag_findings, new_stack
from tests.templates import flatten, resources_of_type

BEDROCK_CONDITIONS = {
    "StringEquals": {"aws:SourceAccount": ACCOUNT},
    "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:*"},
}
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/bedrock-ops/model-invocations"


@pytest.fixture(scope="module")
def synthesized() -> tuple[cdk.Stack, dict[str, Any]]:
    stack = new_stack()
    InvocationLogging(stack, "Logging")
    return stack, dict(Template.from_stack(stack).to_json())


@pytest.fixture(scope="module")
def template(synthesized: tuple[cdk.Stack, dict[str, Any]]) -> dict[str, Any]:
    return synthesized[1]


def _one(template: dict[str, Any], resource_type: str, prefix: str = "") -> tuple[str, dict[str, Any]]:
    matches = [(k, r) for k, r in resources_of_type(template, resource_type).items() if k.startswith(prefix)]
    assert len(matches) == 1, [k for k, _ in matches]
    return matches[0]


def _configuration(template: dict[str, Any]) -> dict[str, Any]:
    _, resource = _one(template, "Custom::BedrockInvocationLogging")
    return resource


def _logging_config(template: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(flatten(_configuration(template)["Properties"]["LoggingConfig"]))
    return config


def test_nag_finds_nothing(synthesized: tuple[cdk.Stack, dict[str, Any]]) -> None:
    assert nag_findings(synthesized[0]) == []


def test_delivery_role_trusts_only_bedrock_for_this_account_and_region(template: dict[str, Any]) -> None:
    _, role = _one(template, "AWS::IAM::Role", "LoggingDeliveryRole")

    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "bedrock.amazonaws.com"},
            "Condition": BEDROCK_CONDITIONS,
        }
    ]


def test_delivery_role_may_only_write_to_bedrocks_log_stream(template: dict[str, Any]) -> None:
    _, policy = _one(template, "AWS::IAM::Policy", "LoggingDeliveryRole")

    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": f"{LOG_GROUP_ARN}:log-stream:aws/bedrock/modelinvocations",
        }
    ]


def test_log_group_is_named_encrypted_and_kept_a_year(template: dict[str, Any]) -> None:
    _, group = _one(template, "AWS::Logs::LogGroup", "LoggingLogs")
    (key_id,) = resources_of_type(template, "AWS::KMS::Key")

    assert group["Properties"] == {
        "LogGroupName": "/bedrock-ops/model-invocations",
        "KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
        "RetentionInDays": 365,
    }
    assert group["DeletionPolicy"] == "Retain"


def _key_statement(template: dict[str, Any], sid: str) -> dict[str, Any]:
    _, key = _one(template, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    statements: list[dict[str, Any]] = key["Properties"]["KeyPolicy"]["Statement"]
    (statement,) = [s for s in statements if s.get("Sid") == sid]
    return statement


def test_key_lets_cloudwatch_logs_use_it_only_for_the_invocation_log_group(template: dict[str, Any]) -> None:
    statement = _key_statement(template, "AllowCloudWatchLogsForTheInvocationLogGroup")

    assert statement["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert statement["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": LOG_GROUP_ARN}}


def test_key_lets_bedrock_generate_data_keys_only_for_this_account_and_region(template: dict[str, Any]) -> None:
    statement = _key_statement(template, "AllowBedrockToEncryptInvocationLogs")

    assert (statement["Principal"], statement["Action"]) == (
        {"Service": "bedrock.amazonaws.com"},
        "kms:GenerateDataKey",
    )
    assert statement["Condition"] == BEDROCK_CONDITIONS


def _bucket_policy_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    _, policy = _one(template, "AWS::S3::BucketPolicy", "LoggingBucketPolicy")
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_bucket_policy_lets_bedrock_put_only_under_its_log_prefixes(template: dict[str, Any]) -> None:
    (statement,) = [s for s in _bucket_policy_statements(template) if s.get("Sid") == "AmazonBedrockLogsWrite"]

    assert (statement["Principal"], statement["Action"]) == ({"Service": "bedrock.amazonaws.com"}, "s3:PutObject")
    assert statement["Condition"] == BEDROCK_CONDITIONS
    assert sorted(flatten(r) for r in statement["Resource"]) == [
        f"TOKEN/invocation-logs-large-data/AWSLogs/{ACCOUNT}/BedrockModelInvocationLogs/*",
        f"TOKEN/invocation-logs/AWSLogs/{ACCOUNT}/BedrockModelInvocationLogs/*",
    ]


def test_bucket_refuses_requests_without_tls(template: dict[str, Any]) -> None:
    deny = [s for s in _bucket_policy_statements(template) if s["Effect"] == "Deny"]

    assert [s["Condition"] for s in deny] == [{"Bool": {"aws:SecureTransport": "false"}}]


def test_bucket_is_kms_encrypted_private_and_has_acls_disabled(template: dict[str, Any]) -> None:
    _, bucket = _one(template, "AWS::S3::Bucket", "LoggingBucket")
    props = bucket["Properties"]

    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert "LoggingConfiguration" in props


def test_configuration_enables_both_destinations_and_every_data_type(template: dict[str, Any]) -> None:
    config = _logging_config(template)

    assert config == {
        "textDataDeliveryEnabled": True,
        "imageDataDeliveryEnabled": True,
        "embeddingDataDeliveryEnabled": True,
        "videoDataDeliveryEnabled": True,
        "cloudWatchConfig": {
            "logGroupName": "TOKEN",
            "roleArn": "TOKEN",
            "largeDataDeliveryS3Config": {"bucketName": "TOKEN", "keyPrefix": "invocation-logs-large-data"},
        },
        "s3Config": {"bucketName": "TOKEN", "keyPrefix": "invocation-logs"},
    }


def test_configuration_refuses_foreign_configurations_and_keeps_state_in_one_parameter(
    template: dict[str, Any],
) -> None:
    props = _configuration(template)["Properties"]

    assert (props["Adopt"], props["StateParameterName"], props["ServiceTimeout"]) == (
        "false",
        STATE_PARAMETER_NAME,
        300,
    )


def test_configuration_waits_for_the_bucket_policy_and_the_delivery_role_policy(template: dict[str, Any]) -> None:
    depends_on = _configuration(template)["DependsOn"]

    assert any(d.startswith("LoggingBucketPolicy") for d in depends_on)
    assert any(d.startswith("LoggingDeliveryRoleDefaultPolicy") for d in depends_on)


def test_handler_may_manage_the_configuration_its_state_and_pass_only_the_delivery_role(
    template: dict[str, Any],
) -> None:
    _, policy = _one(template, "AWS::IAM::Policy", "BedrockOpsInvocationLoggingProviderOnEventRole")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    by_sid = {s.get("Sid"): s for s in statements}

    assert sorted(by_sid["InvocationLoggingConfiguration"]["Action"]) == [
        "bedrock:DeleteModelInvocationLoggingConfiguration",
        "bedrock:GetModelInvocationLoggingConfiguration",
        "bedrock:PutModelInvocationLoggingConfiguration",
    ]
    state = by_sid["InvocationLoggingState"]
    assert sorted(state["Action"]) == ["ssm:DeleteParameter", "ssm:GetParameter", "ssm:PutParameter"]
    assert flatten(state["Resource"]) == f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{STATE_PARAMETER_NAME}"
    (pass_role,) = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert pass_role["Resource"]["Fn::GetAtt"][0].startswith("LoggingDeliveryRole")


def test_content_filtered_metric_filters_sit_on_the_invocation_log_group(template: dict[str, Any]) -> None:
    filters = list(resources_of_type(template, "AWS::Logs::MetricFilter").values())
    patterns = {f["Properties"]["FilterPattern"] for f in filters}

    assert patterns == {content_filtered_filter_pattern(), *stream_filter_patterns().values()}
    assert all(f["Properties"]["LogGroupName"]["Ref"].startswith("LoggingLogs") for f in filters)


def test_four_saved_queries_cover_latency_tokens_filtering_and_errors(template: dict[str, Any]) -> None:
    queries = {
        q["Properties"]["Name"]: q["Properties"]["QueryString"]
        for q in resources_of_type(template, "AWS::Logs::QueryDefinition").values()
    }

    assert sorted(queries) == [
        "bedrock-ops/invocation-logs/content-filtered-requests",
        "bedrock-ops/invocation-logs/errors-by-model",
        "bedrock-ops/invocation-logs/slowest-calls",
        "bedrock-ops/invocation-logs/tokens-by-caller-and-model",
    ]
    assert "sort output.outputBodyJson.metrics.latencyMs desc" in queries["bedrock-ops/invocation-logs/slowest-calls"]
    tokens = queries["bedrock-ops/invocation-logs/tokens-by-caller-and-model"]
    assert "by identity.arn, modelId" in tokens
    assert (
        'output.outputBodyJson.stopReason = "content_filtered"'
        in (queries["bedrock-ops/invocation-logs/content-filtered-requests"])
    )
    assert "stats count(*) as errors by modelId, errorCode" in queries["bedrock-ops/invocation-logs/errors-by-model"]


def test_s3_only_has_no_log_group_role_or_cloudwatch_configuration() -> None:
    stack = new_stack()
    InvocationLogging(stack, "Logging", cloud_watch_logs=False, adopt_existing=True)
    template = dict(Template.from_stack(stack).to_json())

    assert not [k for k in resources_of_type(template, "AWS::Logs::LogGroup") if k.startswith("LoggingLogs")]
    assert not resources_of_type(template, "AWS::Logs::MetricFilter")
    config = _logging_config(template)
    assert "cloudWatchConfig" not in config
    assert config["s3Config"]["keyPrefix"] == "invocation-logs"
    assert _configuration(template)["Properties"]["Adopt"] == "true"


def test_cloudwatch_only_keeps_a_bucket_for_large_data_alone() -> None:
    stack = new_stack()
    InvocationLogging(stack, "Logging", s3_bucket=False)
    template = dict(Template.from_stack(stack).to_json())

    config = _logging_config(template)
    assert "s3Config" not in config
    assert config["cloudWatchConfig"]["largeDataDeliveryS3Config"]["keyPrefix"] == "invocation-logs-large-data"
    (statement,) = [s for s in _bucket_policy_statements(template) if s.get("Sid") == "AmazonBedrockLogsWrite"]
    assert flatten(statement["Resource"]) == (
        f"TOKEN/invocation-logs-large-data/AWSLogs/{ACCOUNT}/BedrockModelInvocationLogs/*"
    )


def test_a_second_invocation_logging_in_the_same_environment_fails_the_synth() -> None:
    app = cdk.App(context=cdk_json_context())
    env = cdk.Environment(account=ACCOUNT, region=REGION)
    InvocationLogging(cdk.Stack(app, "First", env=env), "Logging")

    with pytest.raises(ValueError, match=r"one configuration per account and Region: Second/Logging and First/Logging"):
        InvocationLogging(cdk.Stack(app, "Second", env=env), "Logging")


def test_an_environment_agnostic_stack_conflicts_with_any_environment() -> None:
    app = cdk.App(context=cdk_json_context())
    InvocationLogging(cdk.Stack(app, "First", env=cdk.Environment(account=ACCOUNT, region=REGION)), "Logging")

    with pytest.raises(ValueError, match=r"account \(any\) in \(any Region\)"):
        InvocationLogging(cdk.Stack(app, "Anywhere"), "Logging")


def test_another_region_may_have_its_own_invocation_logging() -> None:
    app = cdk.App(context=cdk_json_context())
    InvocationLogging(cdk.Stack(app, "East", env=cdk.Environment(account=ACCOUNT, region="us-east-1")), "Logging")

    second = InvocationLogging(
        cdk.Stack(app, "West", env=cdk.Environment(account=ACCOUNT, region="us-west-2")), "Logging"
    )

    assert second.log_group is not None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cloud_watch_logs": False, "s3_bucket": False}, "needs a destination"),
        ({"key_prefix": "/logs/"}, "key_prefix must be an S3 key prefix without leading or trailing '/', got '/logs/'"),
        ({"large_data_prefix": "invocation-logs"}, "large_data_prefix must differ from key_prefix"),
        ({"log_group_name": "bad name"}, "log_group_name must be 1-512 characters"),
    ],
)
def test_bad_props_are_rejected_with_the_value(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        InvocationLogging(new_stack(), "Logging", **kwargs)


def test_metric_methods_name_the_project_metric_and_the_delivery_metric() -> None:
    stack = new_stack()
    logging = InvocationLogging(stack, "Logging", content_filter_namespace="Team/Ops")

    filtered = logging.metric_content_filtered_count("amazon.nova-micro-v1:0")
    failures = logging.metric_cloud_watch_delivery_failure()

    assert (filtered.namespace, filtered.metric_name, filtered.dimensions) == (
        "Team/Ops",
        "ContentFilteredCount",
        {"ModelId": "amazon.nova-micro-v1:0"},
    )
    assert (failures.namespace, failures.metric_name) == ("AWS/Bedrock", "ModelInvocationLogsCloudWatchDeliveryFailure")


def test_grant_read_logs_covers_the_log_group_queries_bucket_and_key() -> None:
    stack = new_stack()
    logging = InvocationLogging(stack, "Logging")
    reader = cdk.aws_iam.Role(stack, "Reader", assumed_by=cdk.aws_iam.AccountRootPrincipal())

    logging.grant_read_logs(reader)

    template = dict(Template.from_stack(stack).to_json())
    _, policy = _one(template, "AWS::IAM::Policy", "ReaderDefaultPolicy")
    actions = {a for s in policy["Properties"]["PolicyDocument"]["Statement"] for a in _as_list(s["Action"])}
    assert {"logs:FilterLogEvents", "logs:StartQuery", "s3:GetObject*", "kms:Decrypt"} <= actions


def test_grant_read_logs_grants_only_actions_that_apply_to_the_log_group() -> None:
    """logs:DescribeLogGroups and logs:StopQuery take no resource type: granted on the log group they never applied
    (the IAM gate found them once examples/existing_resources.py granted the reads)."""
    stack = new_stack()
    logging = InvocationLogging(stack, "Logging")
    reader = cdk.aws_iam.Role(stack, "Reader", assumed_by=cdk.aws_iam.AccountRootPrincipal())

    logging.grant_read_logs(reader)

    template = dict(Template.from_stack(stack).to_json())
    _, policy = _one(template, "AWS::IAM::Policy", "ReaderDefaultPolicy")
    actions = {a for s in policy["Properties"]["PolicyDocument"]["Statement"] for a in _as_list(s["Action"])}
    log_actions = {a for a in actions if a.startswith("logs:")}
    assert "logs:GetLogEvents" in log_actions
    assert not log_actions & {"logs:DescribeLogGroups", "logs:StopQuery"}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
