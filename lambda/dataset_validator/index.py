"""Validate a dataset the moment it lands in S3 (EventBridge "Object Created").

The object is streamed through the project's single validator core (``bedrock_ops.data._stream``,
staged into this function's asset at synth time, never copied into the repository) in chunks, so memory
stays flat up to the largest file any model accepts (10 GB for Claude 3 Haiku). Then:

* the report is written next to the object as ``<key>.validation.json``;
* the object (the validated version) is tagged ``bedrock-ops:validation=passed|failed``;
* ``Records``, ``Errors`` and ``FailedFiles`` are published in CloudWatch embedded metric format
  (namespace ``METRIC_NAMESPACE``, dimensions ``BaseModel`` and ``Split``);
* a failure is published to the SNS topic ``TOPIC_ARN`` with the first errors.

Environment: ``DATASET_RULES`` (JSON list of ``{"prefix", "split", "base_model", "customization_type"}``,
the longest matching prefix wins; a reinforcement fine-tuning rule may add ``required_fields``; a batch
inference input rule is ``{"prefix", "format": "batch-records", "base_model"?, "body_format"?, "limits"?}``
with the model's batch quotas resolved from the knowledge base at synth), ``TOPIC_ARN``,
``METRIC_NAMESPACE``, ``MAX_ERRORS`` (kept in the report, default 100). The staged knowledge base already
holds the user's models file, merged at synth. Objects named ``*.validation.json`` (the reports) and keys
matching no rule are ignored. Besides EventBridge events, a direct invocation ``{"uri": "s3://bucket/key"}``
(a workflow's validation step) validates that object.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any
from urllib.parse import unquote_plus

from botocore.exceptions import ClientError

import bedrock_ops.models as models_package
from _runtime.clients import Clients
from _runtime.errors import error_code
from _runtime.logs import log
from bedrock_ops.data._stream import DatasetSplit, ValidationReport, validate_stream
from bedrock_ops.models._entries import build_entries
from bedrock_ops.models.facts import BatchLimits, CustomizationType, DatasetFormat, ModelEntry

REPORT_SUFFIX = ".validation.json"
TAG_KEY = "bedrock-ops:validation"
CHUNK_SIZE = 1024 * 1024
NOTIFY_ERRORS = 20  # errors quoted in the SNS message (the report holds MAX_ERRORS)
# Created on first use (tests: clients.override or clear inside mock_aws); botocore's standard retries.
clients = Clients(max_attempts=8)


_entries: dict[str, ModelEntry] = {}


def _model(model_id: str) -> ModelEntry:
    """The staged knowledge base's entry of a plain id (the rules hold the ids resolved at synth)."""
    if not _entries:
        data = os.path.join(os.path.dirname(models_package.__file__ or ""), "data", "models.json")
        with open(data, encoding="utf-8") as handle:
            _entries.update(build_entries(json.load(handle)))
    return _entries[model_id]


def _rules() -> list[dict[str, Any]]:
    rules = json.loads(os.environ.get("DATASET_RULES", "[]"))
    return sorted(rules, key=lambda rule: len(rule["prefix"]), reverse=True)


def match_rule(key: str) -> dict[str, Any] | None:
    """The rule whose prefix is the longest one ``key`` starts with (None: not a dataset)."""
    for rule in _rules():
        if key.startswith(rule["prefix"]):
            return rule
    return None


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """EventBridge entry point: validate the object named by an S3 "Object Created" event."""
    detail = event.get("detail") or {}
    bucket = str((detail.get("bucket") or {}).get("name", ""))
    obj = detail.get("object") or {}
    key = str(obj.get("key", ""))
    version = obj.get("version-id")
    uri = str(event.get("uri", ""))
    if uri.startswith("s3://"):
        bucket, _, key = uri[5:].partition("/")
    if not bucket or not key:
        log.warning("not an S3 Object Created event", detail_type=event.get("detail-type"))
        return {"status": "ignored", "reason": "not an S3 object event"}
    if key.endswith(REPORT_SUFFIX):
        return {"status": "ignored", "reason": "validation report", "key": key}
    rule = match_rule(key)
    if rule is None:
        log.info("no dataset rule for key", bucket=bucket, key=key)
        return {"status": "ignored", "reason": "no dataset rule", "key": key}
    return validate_object(bucket, key, version, rule)


def _open(bucket: str, key: str, version: str | None) -> tuple[str, dict[str, Any]] | None:
    """GetObject; tries the URL-decoded key when the literal one is missing (S3 event keys may be)."""
    candidates = [key] if unquote_plus(key) == key else [key, unquote_plus(key)]
    for candidate in candidates:
        params: dict[str, Any] = {"Bucket": bucket, "Key": candidate}
        if version:
            params["VersionId"] = version
        try:
            return candidate, clients.get("s3").get_object(**params)
        except ClientError as error:
            if error_code(error) not in {"NoSuchKey", "404", "NoSuchVersion"}:
                raise
    return None


def validate_object(bucket: str, key: str, version: str | None, rule: dict[str, Any]) -> dict[str, Any]:
    """Stream, validate, report, tag, measure and (on failure) notify; returns a summary."""
    started = time.monotonic()
    opened = _open(bucket, key, version)
    if opened is None:
        log.warning("object no longer exists; nothing to validate", bucket=bucket, key=key)
        return {"status": "missing", "key": key}
    key, response = opened
    version = version or response.get("VersionId")
    batch = rule.get("format") == DatasetFormat.BATCH_RECORDS
    model = rule.get("base_model")
    report = validate_stream(
        response["Body"].iter_chunks(CHUNK_SIZE),
        spec=_model(model) if model else None,
        customization_type=CustomizationType(rule.get("customization_type", "FINE_TUNING")),
        split=DatasetSplit(rule.get("split", "training")),
        dataset_format=DatasetFormat.BATCH_RECORDS if batch else None,
        max_errors=int(os.environ.get("MAX_ERRORS", "100")),
        source=f"s3://{bucket}/{key}",
        required_fields=rule.get("required_fields", ()),
        body_format=rule.get("body_format"),
        batch_limits=BatchLimits(**rule.get("limits", {})),
    )
    report_key = key + REPORT_SUFFIX
    clients.get("s3").put_object(
        Bucket=bucket,
        Key=report_key,
        Body=report.to_json().encode(),
        ContentType="application/json",
    )
    _tag(bucket, key, version, report.verdict)
    _emit_metrics(report)
    if not report.valid:
        _notify(report, bucket, report_key)
    summary = {
        "status": report.verdict,
        "key": key,
        "report_key": report_key,
        "records": report.records,
        "errors": report.error_count,
        "bytes": report.bytes,
        "seconds": round(time.monotonic() - started, 3),
    }
    log(logging.INFO if report.valid else logging.WARNING, "dataset validated", **summary)
    return summary


def _tag(bucket: str, key: str, version: str | None, verdict: str) -> None:
    """Set ``bedrock-ops:validation`` on the object, keeping its other tags."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version:
        params["VersionId"] = version
    s3 = clients.get("s3")
    tags = [t for t in s3.get_object_tagging(**params).get("TagSet", []) if t["Key"] != TAG_KEY]
    tags.append({"Key": TAG_KEY, "Value": verdict})
    try:
        s3.put_object_tagging(**params, Tagging={"TagSet": tags})
    except ClientError as error:  # e.g. the object already carries the maximum of 10 tags
        log.warning("could not tag the object", key=key, error=str(error))


def _emit_metrics(report: ValidationReport) -> None:
    """One CloudWatch embedded-metric-format line on stdout (Lambda ships it to CloudWatch)."""
    namespace = os.environ.get("METRIC_NAMESPACE", "BedrockOps/Datasets")
    document = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [["BaseModel", "Split"]],
                    "Metrics": [
                        {"Name": "Records", "Unit": "Count"},
                        {"Name": "Errors", "Unit": "Count"},
                        {"Name": "FailedFiles", "Unit": "Count"},
                    ],
                }
            ],
        },
        "BaseModel": report.base_model,
        "Split": str(report.split or report.dataset_format),
        "Records": report.records,
        "Errors": report.error_count,
        "FailedFiles": 0 if report.valid else 1,
        "Source": report.source,
    }
    sys.stdout.write(json.dumps(document) + "\n")
    sys.stdout.flush()


def _notify(report: ValidationReport, bucket: str, report_key: str) -> None:
    topic = os.environ.get("TOPIC_ARN")
    if not topic:
        return
    lines = [
        f"{report.source} failed validation for {report.base_model} "
        f"({report.customization_type or report.dataset_format}{f', {report.split}' if report.split else ''}): "
        f"{report.error_count} errors in {report.records} records.",
        f"Full report: s3://{bucket}/{report_key}",
        "",
    ]
    for issue in report.errors[:NOTIFY_ERRORS]:
        where = f"line {issue.line}" if issue.line is not None else "file"
        lines.append(f"{where}: {issue.field + ': ' if issue.field else ''}{issue.message}")
    subject = f"Dataset validation failed: {report.source.rsplit('/', 1)[-1]}"
    clients.get("sns").publish(TopicArn=topic, Subject=subject[:100], Message="\n".join(lines))
