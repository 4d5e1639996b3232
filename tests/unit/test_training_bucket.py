from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from bedrock_ops import TrainingDataBucket
from tests.support import nag_findings, new_stack

S3_VIA = {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}


@pytest.fixture(scope="module")
def template() -> Template:
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com"))
    writer = iam.Role(stack, "Writer", assumed_by=iam.ServicePrincipal("bedrock.amazonaws.com"))
    data.grant_read_training_data(reader)
    data.grant_write_output(writer)
    assert nag_findings(stack) == []
    return Template.from_stack(stack)


def _data_bucket(template: Template) -> Mapping[str, Any]:
    buckets = template.find_resources("AWS::S3::Bucket", {"Properties": {"BucketEncryption": Match.object_like({})}})
    (bucket,) = [b for b in buckets.values() if "KMSMasterKeyID" in str(b)]
    return bucket


def _policy_statements(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::Policy")
    (policy,) = [p for name, p in policies.items() if name.startswith(role_prefix)]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_bucket_is_encrypted_with_the_kms_key(template: Template) -> None:
    encryption = _data_bucket(template)["Properties"]["BucketEncryption"]
    rule = encryption["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": [_key_id(template), "Arn"]}
    assert rule["BucketKeyEnabled"] is True


def _key_id(template: Template) -> str:
    (key_id,) = template.find_resources("AWS::KMS::Key")
    return key_id


def test_bucket_blocks_public_access_disables_acls_and_is_versioned(template: Template) -> None:
    props = _data_bucket(template)["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}


def test_bucket_sends_event_bridge_notifications_without_a_custom_resource(template: Template) -> None:
    props = _data_bucket(template)["Properties"]
    assert props["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    template.resource_count_is("Custom::S3BucketNotifications", 0)
    template.resource_count_is("AWS::Lambda::Function", 0)


def test_bucket_expires_old_versions_and_aborts_incomplete_uploads(template: Template) -> None:
    rules = _data_bucket(template)["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rules == [
        {
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            "Id": "ExpireOldVersionsAndIncompleteUploads",
            "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
            "Status": "Enabled",
        }
    ]


def test_access_logs_go_to_a_separate_sse_s3_bucket(template: Template) -> None:
    logging = _data_bucket(template)["Properties"]["LoggingConfiguration"]
    assert logging["LogFilePrefix"] == "training-data-bucket/"
    log_bucket_id = logging["DestinationBucketName"]["Ref"]
    log_bucket = template.to_json()["Resources"][log_bucket_id]["Properties"]
    assert log_bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert log_bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def test_both_buckets_deny_requests_without_tls(template: Template) -> None:
    policies = template.find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 2
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
        )


def test_read_training_data_covers_training_and_validation_prefixes_only(template: Template) -> None:
    statements = _policy_statements(template, "ReaderDefaultPolicy")
    objects = next(s for s in statements if s["Action"] == "s3:GetObject")
    resources = [r["Fn::Join"][1][-1] for r in objects["Resource"]]
    assert resources == ["/training/*", "/validation/*"]
    assert any(s["Action"] == "s3:ListBucket" for s in statements)
    kms = next(s for s in statements if s["Action"] == "kms:Decrypt")
    assert kms["Condition"] == S3_VIA
    assert not any("s3:PutObject" in str(s["Action"]) for s in statements)


def test_write_output_covers_the_output_prefix_with_kms_through_s3(template: Template) -> None:
    statements = _policy_statements(template, "WriterDefaultPolicy")
    objects = next(s for s in statements if "s3:PutObject" in s["Action"])
    assert objects["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert objects["Resource"]["Fn::Join"][1][-1] == "/output/*"
    kms = next(s for s in statements if "kms:GenerateDataKey" in s["Action"])
    assert kms["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert kms["Condition"] == S3_VIA


def test_prefixes_and_uris_are_exposed() -> None:
    data = TrainingDataBucket(new_stack(), "Data")
    assert (data.training_prefix, data.validation_prefix, data.output_prefix, data.evaluation_prefix) == (
        "training/",
        "validation/",
        "output/",
        "evaluation/",
    )
    assert data.s3_uri(data.training_prefix, "train.jsonl").endswith("/training/train.jsonl")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"noncurrent_version_expiration": Duration.days(0)}, "noncurrent_version_expiration must be 1-3650"),
        (
            {"abort_incomplete_multipart_upload_after": Duration.days(400)},
            "abort_incomplete_multipart_upload_after must be 1-365 days, got 400",
        ),
    ],
)
def test_invalid_durations_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrainingDataBucket(new_stack(), "Data", **kwargs)


def test_grant_write_prefix_rejects_wildcards() -> None:
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    with pytest.raises(ValueError, match="prefix must be a relative key prefix without"):
        data.grant_write_prefix(role, "uploads/*")
