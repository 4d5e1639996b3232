"""The dataset_validator Lambda against moto's S3 and SNS (real put/get/tagging calls)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from moto import mock_aws

from tests.support import load_handler

REGION = "us-east-1"
BUCKET = "training-data"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
RULES = [
    {"prefix": "training/", "split": "training", "base_model": HAIKU, "customization_type": "FINE_TUNING"},
    {
        "prefix": "validation/",
        "split": "validation",
        "base_model": HAIKU,
        "customization_type": "FINE_TUNING",
    },
    {
        "prefix": "training/titan/",
        "split": "training",
        "base_model": "amazon.titan-text-express-v1",
        "customization_type": "FINE_TUNING",
    },
    {
        "prefix": "training/rft/",
        "split": "training",
        "base_model": "amazon.nova-2-lite-v1:0",
        "customization_type": "REINFORCEMENT_FINE_TUNING",
        "required_fields": ["task_id"],
    },
    {
        "prefix": "batch/input/",
        "format": "batch-records",
        "base_model": HAIKU,
        "body_format": "anthropic-messages",
        "limits": {"max_file_records": 3},
    },
]


index = load_handler("dataset_validator")


def _record(i: int, answer: str | None = None) -> str:
    messages = [
        {"role": "user", "content": f"How do I reset password number {i}?"},
        {"role": "assistant", "content": answer or f"Use the self-service portal, step {i}."},
    ]
    return json.dumps({"system": "You are the service desk.", "messages": messages})


VALID = "".join(_record(i) + "\n" for i in range(40)).encode()


@pytest.fixture(scope="module")
def _mocked() -> Iterator[dict[str, Any]]:
    """moto S3 (versioned bucket) and an SNS topic delivering to an SQS queue, once per module."""
    with pytest.MonkeyPatch.context() as env:
        for var, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "DATASET_RULES": json.dumps(RULES),
            "METRIC_NAMESPACE": "BedrockOps/Datasets",
        }.items():
            env.setenv(var, value)
        with mock_aws():
            index.clients.clear()
            s3 = boto3.client("s3", region_name=REGION)
            s3.create_bucket(Bucket=BUCKET)
            s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
            sns = boto3.client("sns", region_name=REGION)
            sqs = boto3.client("sqs", region_name=REGION)
            topic = sns.create_topic(Name="dataset-alerts")["TopicArn"]
            queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=attributes["Attributes"]["QueueArn"])
            env.setenv("TOPIC_ARN", topic)
            yield {"s3": s3, "sqs": sqs, "queue": queue}
            index.clients.clear()


@pytest.fixture
def aws(_mocked: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The module's mocked account, emptied after each test."""
    yield _mocked
    s3 = _mocked["s3"]
    versions = s3.list_object_versions(Bucket=BUCKET)
    for entry in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        s3.delete_object(Bucket=BUCKET, Key=entry["Key"], VersionId=entry["VersionId"])
    _notifications(_mocked)  # drain the queue


def _event(key: str, version: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"key": key, "size": 1}
    if version:
        obj["version-id"] = version
    return {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": BUCKET}, "object": obj, "reason": "PutObject"},
    }


def _put(aws: dict[str, Any], key: str, body: bytes) -> str:
    return str(aws["s3"].put_object(Bucket=BUCKET, Key=key, Body=body)["VersionId"])


def _tags(aws: dict[str, Any], key: str) -> dict[str, str]:
    tags = aws["s3"].get_object_tagging(Bucket=BUCKET, Key=key)["TagSet"]
    return {t["Key"]: t["Value"] for t in tags}


def _report(aws: dict[str, Any], key: str) -> dict[str, Any]:
    body = aws["s3"].get_object(Bucket=BUCKET, Key=key + ".validation.json")["Body"].read()
    return dict(json.loads(body))


def _notifications(aws: dict[str, Any]) -> list[dict[str, Any]]:
    """Receive (and delete) every message the topic delivered to the queue."""
    sqs, queue = aws["sqs"], aws["queue"]
    received: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            received.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return received


def test_valid_object_gets_a_passed_report_and_tag(aws: dict[str, Any]) -> None:
    _put(aws, "training/chat.jsonl", VALID)
    result = index.on_event(_event("training/chat.jsonl"))
    assert (result["status"], result["records"], result["errors"]) == ("passed", 40, 0)
    report = _report(aws, "training/chat.jsonl")
    assert (report["verdict"], report["records"], report["base_model"]) == ("passed", 40, HAIKU)
    assert _tags(aws, "training/chat.jsonl") == {"bedrock-ops:validation": "passed"}
    assert _notifications(aws) == []


def test_invalid_object_is_tagged_failed_reported_and_notified(aws: dict[str, Any]) -> None:
    lines = VALID.decode().splitlines()
    lines[6] = _record(6, answer="Sure.\nHuman: do it")
    _put(aws, "training/chat.jsonl", ("\n".join(lines) + "\n").encode())
    result = index.on_event(_event("training/chat.jsonl"))
    assert result["status"] == "failed"
    report = _report(aws, "training/chat.jsonl")
    assert report["errors"][0]["line"] == 7
    assert "reserved string" in report["errors"][0]["message"]
    assert _tags(aws, "training/chat.jsonl") == {"bedrock-ops:validation": "failed"}
    [note] = _notifications(aws)
    assert note["Subject"] == "Dataset validation failed: chat.jsonl"
    assert "line 7: messages[1].content: contains the reserved string" in note["Message"]
    assert f"s3://{BUCKET}/training/chat.jsonl.validation.json" in note["Message"]


def test_missing_object_is_reported_without_writing_anything(aws: dict[str, Any]) -> None:
    result = index.on_event(_event("training/gone.jsonl"))
    assert result == {"status": "missing", "key": "training/gone.jsonl"}
    assert aws["s3"].list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_multi_megabyte_object_is_streamed_in_chunks(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    body = "".join(_record(i) + "\n" for i in range(900)).encode() * 30  # ~4 MB, 27,000 records
    _put(aws, "validation/big.jsonl", body)
    reads: list[int | None] = []
    original = StreamingBody.read

    def spy(self: StreamingBody, amt: int | None = None) -> bytes:
        reads.append(amt)
        return bytes(original(self, amt))

    monkeypatch.setattr(StreamingBody, "read", spy)
    monkeypatch.setattr(index, "CHUNK_SIZE", 256 * 1024)
    result = index.on_event(_event("validation/big.jsonl"))
    assert result["bytes"] == len(body) > 3_000_000
    assert result["records"] == 27_000
    assert None not in reads  # never one read of the whole object
    assert len(reads) >= len(body) // (256 * 1024)
    # 27,000 records break the 1,000-record validation quota: counted, and the rest is clean
    report = _report(aws, "validation/big.jsonl")
    assert [e["message"] for e in report["errors"]] == [
        f"27000 validation records; {HAIKU} allows at most 1000",
        f"27000 records; {HAIKU} allows at most 10000 training and validation records in total",
    ]


def test_own_report_objects_are_ignored(aws: dict[str, Any]) -> None:
    result = index.on_event(_event("training/chat.jsonl.validation.json"))
    assert result["status"] == "ignored"
    assert result["reason"] == "validation report"


def test_key_outside_the_dataset_prefixes_is_ignored(aws: dict[str, Any]) -> None:
    _put(aws, "output/model.jsonl", VALID)
    assert index.on_event(_event("output/model.jsonl"))["reason"] == "no dataset rule"
    assert _tags(aws, "output/model.jsonl") == {}


def test_longest_prefix_selects_the_base_model(aws: dict[str, Any]) -> None:
    _put(aws, "training/titan/data.jsonl", json.dumps({"prompt": "a", "completion": "b"}).encode() + b"\n")
    assert index.on_event(_event("training/titan/data.jsonl"))["status"] == "passed"
    assert _report(aws, "training/titan/data.jsonl")["base_model"] == "amazon.titan-text-express-v1"


def test_url_encoded_key_from_the_event_is_decoded(aws: dict[str, Any]) -> None:
    _put(aws, "training/my chat.jsonl", VALID)
    result = index.on_event(_event("training/my+chat.jsonl"))
    assert (result["status"], result["key"]) == ("passed", "training/my chat.jsonl")
    assert _tags(aws, "training/my chat.jsonl") == {"bedrock-ops:validation": "passed"}


def test_existing_tags_are_kept_and_the_validated_version_is_tagged(aws: dict[str, Any]) -> None:
    first = _put(aws, "training/chat.jsonl", b"not json\n")
    aws["s3"].put_object_tagging(
        Bucket=BUCKET,
        Key="training/chat.jsonl",
        VersionId=first,
        Tagging={"TagSet": [{"Key": "team", "Value": "ml"}]},
    )
    _put(aws, "training/chat.jsonl", VALID)  # a newer version lands before the event is handled
    assert index.on_event(_event("training/chat.jsonl", version=first))["status"] == "failed"
    tags = aws["s3"].get_object_tagging(Bucket=BUCKET, Key="training/chat.jsonl", VersionId=first)["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "ml", "bedrock-ops:validation": "failed"}
    assert _tags(aws, "training/chat.jsonl") == {}


def test_metrics_are_emitted_in_embedded_metric_format(aws: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    _put(aws, "validation/chat.jsonl", b'{"messages": []}\n')
    index.on_event(_event("validation/chat.jsonl"))
    [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    directive = line["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "BedrockOps/Datasets"
    assert directive["Dimensions"] == [["BaseModel", "Split"]]
    assert {m["Name"] for m in directive["Metrics"]} == {"Records", "Errors", "FailedFiles"}
    assert (line["BaseModel"], line["Split"], line["Records"], line["Errors"], line["FailedFiles"]) == (
        HAIKU,
        "validation",
        1,
        1,
        1,
    )


def test_event_without_an_object_is_ignored(aws: dict[str, Any]) -> None:
    assert index.on_event({"detail-type": "Scheduled Event", "detail": {}})["status"] == "ignored"


def _rft(i: int) -> str:
    prompt = [{"role": "user", "content": f"What is {i} + 1?"}]
    return json.dumps({"messages": prompt, "reference_answer": str(i + 1), "task_id": f"t{i}"})


def _batch(i: int) -> str:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "hi"}],
    }
    return json.dumps({"recordId": f"R{i}", "modelInput": body})


def test_rft_prompts_under_an_rft_prefix_are_checked_with_the_rft_rules(aws: dict[str, Any]) -> None:
    lines = [_rft(i) for i in range(100)]
    _put(aws, "training/rft/good.jsonl", ("\n".join(lines) + "\n").encode())
    assert index.on_event(_event("training/rft/good.jsonl"))["status"] == "passed"
    assert _report(aws, "training/rft/good.jsonl")["format"] == "rft-prompts"
    lines[41] = json.dumps({"messages": [{"role": "user", "content": "q"}], "reference_answer": "a"})
    _put(aws, "training/rft/bad.jsonl", ("\n".join(lines) + "\n").encode())
    result = index.on_event(_event("training/rft/bad.jsonl"))
    report = _report(aws, "training/rft/bad.jsonl")
    assert (result["status"], report["customization_type"]) == ("failed", "REINFORCEMENT_FINE_TUNING")
    assert report["errors"] == [
        {"line": 42, "field": "task_id", "message": "required by the reward function (required_fields)"}
    ]
    (note,) = _notifications(aws)
    assert "line 42: task_id: required by the reward function" in note["Message"]


def test_batch_input_under_a_batch_prefix_is_checked_against_its_format_and_quotas(aws: dict[str, Any]) -> None:
    _put(aws, "batch/input/ok.jsonl", "".join(_batch(i) + "\n" for i in range(3)).encode())
    result = index.on_event(_event("batch/input/ok.jsonl"))
    report = _report(aws, "batch/input/ok.jsonl")
    assert (result["status"], report["format"], report["base_model"]) == ("passed", "batch-records", HAIKU)
    assert _tags(aws, "batch/input/ok.jsonl") == {"bedrock-ops:validation": "passed"}
    lines = [_batch(i) for i in range(4)]
    lines[2] = json.dumps({"recordId": "R2", "modelInput": {"messages": []}})
    _put(aws, "batch/input/bad.jsonl", ("\n".join(lines) + "\n").encode())
    assert index.on_event(_event("batch/input/bad.jsonl"))["status"] == "failed"
    errors = _report(aws, "batch/input/bad.jsonl")["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(3, "modelInput"), (3, "modelInput.messages"), (None, None)]
    assert errors[-1]["message"] == "4 records in the file; the quota per input file is 3"
    (note,) = _notifications(aws)
    assert "failed validation for anthropic.claude-3-haiku-20240307-v1:0 (batch-records): 3 errors" in note["Message"]


def test_a_direct_invocation_with_an_s3_uri_validates_that_object(aws: dict[str, Any]) -> None:
    _put(aws, "batch/input/ok.jsonl", (_batch(0) + "\n").encode())
    result = index.on_event({"uri": f"s3://{BUCKET}/batch/input/ok.jsonl"})
    assert (result["status"], result["records"]) == ("passed", 1)
