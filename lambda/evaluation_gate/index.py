"""The evaluation gate's steps, called by the gate's Step Functions states (``bedrock_ops.evaluation.gate``).

One function, three actions (``event["action"]``):

- ``start``: ``CreateEvaluationJob`` for the model the workflow names, with a ``clientRequestToken`` and a job
  name derived from the execution and the model: a retried state (a lost response, a timeout) finds or returns
  the job it started instead of starting a second, billed one.
- ``check``: ``GetEvaluationJob``; a Failed or Stopped job, or one still running after ``maxPolls`` checks
  (stopped then), ends the gate with the reason.
- ``score``: reads the job's per-record results from S3 (``<output>/<job name>/<job uuid>/.../*_output.jsonl``,
  each line ``{"automatedEvaluationResult": {"scores": [{"metricName", "result"}]}, ...}``; the field names come
  from the model knowledge base in the event), averages each metric and applies the thresholds and, when asked,
  the comparison with the current model's scores.

Bedrock emits no EventBridge event for evaluation jobs, so the state machine polls. Standard library and boto3.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from _runtime.errors import error_code, error_message
from _runtime.logs import log
from _runtime.retry import RETRYABLE_CODES, Retry, RetryingClients

JOB_NAME_MAX = 63
TOKEN_LENGTH = 64

# Clients are created on first use; tests replace them (``clients.override("bedrock", fake)``).
clients = RetryingClients(retry=Retry(max_attempts=5, base_delay=2.0, jitter=False))


class BedrockUnavailable(Exception):
    """Bedrock or S3 answered "try again later" after the handler's own retries: the state retries (the class
    name is the Step Functions error name the gate's states retry on)."""


class MalformedOutput(Exception):
    """The job's output is not in the documented format."""


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Dispatch on ``event["action"]``: ``start``, ``check`` or ``score``."""
    action = event.get("action")
    log.info("gate step", action=action, job_arn=event.get("jobArn"))
    if action == "start":
        return start(event)
    if action == "check":
        return check(event)
    if action == "score":
        return score(event)
    raise ValueError(f"action must be start, check or score, got {action!r}")


def _failed(reasons: list[str], job_arn: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"passed": False, "scores": {}, "reasons": reasons, "jobArn": job_arn, **extra}


# ------------------------------------------------------------------------------------------------ start


def identity(execution_id: str, model: str, prefix: str) -> tuple[str, str]:
    """(job name, client token) of the evaluation of ``model`` by one execution: stable across retries."""
    digest = hashlib.sha256(json.dumps([execution_id, model]).encode()).hexdigest()
    name = f"{prefix[: JOB_NAME_MAX - 9].rstrip('-')}-{digest[:8]}"
    return name, digest[:TOKEN_LENGTH]


def _resource_type(model: str) -> str:
    """``provisioned-model`` for ``arn:aws:bedrock:...:provisioned-model/abc``; ``foundation-model`` for an id."""
    if not model.startswith("arn:"):
        return "foundation-model" if model.count(".") < 2 else "inference-profile"
    resource = model.split(":", 5)[5] if model.count(":") >= 5 else ""
    return resource.split("/", 1)[0]


def start(event: Mapping[str, Any]) -> dict[str, Any]:
    """Start the job for ``modelArn`` (or find the one this execution already started)."""
    model = str(event.get("modelArn") or "")
    allowed = list(event.get("evaluableResources") or [])
    if not model or (allowed and _resource_type(model) not in allowed):
        return {
            "started": False,
            **_failed(
                [
                    f"model {model!r} cannot be evaluated: CreateEvaluationJob takes a model id or an ARN of "
                    f"{', '.join(allowed)} (a custom model is evaluated through its provisioned throughput)"
                ]
            ),
        }
    name, token = identity(str(event["executionId"]), model, str(event["jobNamePrefix"]))
    request = json.loads(json.dumps(event["request"]))
    for config in request["inferenceConfig"]["models"]:
        config["bedrockModel"]["modelIdentifier"] = model
    request["jobName"] = name
    request["clientRequestToken"] = token
    try:
        arn = str(clients.call("bedrock", "create_evaluation_job", **request)["jobArn"])
    except ClientError as exc:
        code = error_code(exc)
        if code in RETRYABLE_CODES:
            raise BedrockUnavailable(f"CreateEvaluationJob {name}: {code}: {error_message(exc)}") from exc
        existing = _existing_job(name) if code == "ConflictException" else None
        if existing is None:
            log.error("create failed", job_name=name, code=code, error=error_message(exc))
            return {"started": False, **_failed([f"CreateEvaluationJob {name} failed: {code}: {error_message(exc)}"])}
        arn = str(existing["jobArn"])
        log.info("found the job this execution started", job_name=name, job_arn=arn)
    log.info("evaluation job started", job_name=name, job_arn=arn, model=model)
    return {"started": True, "jobArn": arn, "jobName": name, "polls": 0, "maxPolls": int(event["maxPolls"])}


def _existing_job(name: str) -> dict[str, Any] | None:
    summaries = clients.items("bedrock", "list_evaluation_jobs", "jobSummaries", nameContains=name, maxResults=100)
    return next((dict(s) for s in summaries if s.get("jobName") == name), None)


# ------------------------------------------------------------------------------------------------ check


def check(event: Mapping[str, Any]) -> dict[str, Any]:
    """The job's state: ``Completed`` (with its output URI), ``Failed`` / ``Stopped`` / ``TimedOut`` (with the
    gate's failed result) or ``InProgress`` (poll again)."""
    arn = str(event["jobArn"])
    polls = int(event.get("polls", 0)) + 1
    max_polls = int(event["maxPolls"])
    try:
        job = clients.call("bedrock", "get_evaluation_job", jobIdentifier=arn)
    except ClientError as exc:
        if error_code(exc) in RETRYABLE_CODES:
            raise BedrockUnavailable(f"GetEvaluationJob {arn}: {error_code(exc)}") from exc
        raise
    status = str(job.get("status"))
    name = str(job.get("jobName", event.get("jobName", "")))
    base = {"jobArn": arn, "jobName": name, "polls": polls, "maxPolls": max_polls}
    if status == "Completed":
        return {**base, "status": status, "outputS3Uri": job["outputDataConfig"]["s3Uri"]}
    if status in ("Failed", "Stopped"):
        messages = "; ".join(job.get("failureMessages") or []) or "no failure message"
        return {**base, **_failed([f"evaluation job {name} {status}: {messages}"], arn), "status": status}
    if polls < max_polls:
        return {**base, "status": "InProgress"}
    if status == "InProgress":
        try:
            clients.call("bedrock", "stop_evaluation_job", jobIdentifier=arn)
        except ClientError as exc:  # it ended or began stopping meanwhile
            log.warning("could not stop the timed-out job", job_arn=arn, code=error_code(exc))
    reason = f"evaluation job {name} still {status} after {polls} checks (the gate's timeout); stopped"
    return {**base, **_failed([reason], arn), "status": "TimedOut"}


# ------------------------------------------------------------------------------------------------ score


def _split_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise MalformedOutput(f"output location {uri!r} is not an s3:// URI")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def result_keys(bucket: str, prefix: str, suffix: str) -> list[str]:
    """The result files under ``prefix`` (every page of ListObjectsV2)."""
    objects = clients.items(
        "s3",
        "list_objects_v2",
        "Contents",
        token="ContinuationToken",
        next_token="NextContinuationToken",
        Bucket=bucket,
        Prefix=prefix,
    )
    return sorted(key for key in (str(o["Key"]) for o in objects) if key.endswith(suffix))


def aggregate(lines: list[tuple[str, str]], fmt: Mapping[str, Any], known: set[str]) -> dict[str, float]:
    """Mean score per metric over every record (``(file, line)`` pairs). A metric named without its
    ``Builtin.`` prefix (the documentation's example says ``Accuracy``) is read as the built-in metric; records
    whose result is null (not scored) are skipped. A line that is not a JSON object with the documented keys
    raises :class:`MalformedOutput` naming the file and line."""
    totals: dict[str, list[float]] = {}
    for number, (where, line) in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            scores = record[fmt["scores_key"]][fmt["score_list"]]
            if not isinstance(scores, list):
                raise TypeError("scores is not a list")
            for entry in scores:
                name = str(entry[fmt.get("score_name") or "metricName"])
                value = entry.get(fmt["score_value"])
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                    raise TypeError(f"result {value!r} is not a number")
                if name not in known and f"Builtin.{name}" in known:
                    name = f"Builtin.{name}"
                totals.setdefault(name, []).append(float(value))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            expected = f"{fmt['scores_key']}.{fmt['score_list']}[].{fmt['score_value']}"
            problem = f"{where} line {number}: not an evaluation result record ({expected}): {exc}"
            raise MalformedOutput(problem) from None
    return {name: sum(values) / len(values) for name, values in totals.items()}


def judge(
    scores: Mapping[str, float],
    thresholds: Mapping[str, float],
    directions: Mapping[str, str],
    *,
    must_beat_current: bool = False,
    current: Mapping[str, Any] | None = None,
) -> tuple[bool, list[str]]:
    """(passed, reasons): every threshold met (``higher``: score >= bound, ``lower``: score <= bound), a
    missing metric fails; with ``must_beat_current`` and current scores, no gated metric may be worse than the
    current model's and at least one must be better (without current scores there is nothing to beat)."""
    reasons: list[str] = []
    for metric, bound in thresholds.items():
        direction = directions[metric]
        value = scores.get(metric)
        if value is None:
            reasons.append(f"{metric}: no score in the job's output (threshold {bound}, {direction} is better)")
        elif direction == "higher" and value < bound:
            reasons.append(f"{metric} {value:.6g} is below the threshold {bound:.6g} (higher is better)")
        elif direction == "lower" and value > bound:
            reasons.append(f"{metric} {value:.6g} is above the threshold {bound:.6g} (lower is better)")
    if must_beat_current and current:
        compared, better = [], False
        for metric in thresholds:
            old, new = current.get(metric), scores.get(metric)
            if new is None or isinstance(old, bool) or not isinstance(old, int | float):
                continue
            compared.append(metric)
            worse = new < old if directions[metric] == "higher" else new > old
            better = better or (new > old if directions[metric] == "higher" else new < old)
            if worse:
                reasons.append(f"{metric} {new:.6g} is worse than the current model's {old:.6g}")
        if compared and not better and not any("worse than the current" in r for r in reasons):
            reasons.append(
                f"not better than the current model on any of {', '.join(compared)} "
                f"(current: {', '.join(f'{m} {float(current[m]):.6g}' for m in compared)})"
            )
    return not reasons, reasons


def path_value(document: Any, path: str | None) -> Any:
    """The value at a ``$.a.b`` path of ``document``; None when a step is absent (or no path)."""
    if not path:
        return None
    value = document
    for step in path.removeprefix("$").strip(".").split("."):
        if not step:
            continue
        if not isinstance(value, dict) or step not in value:
            return None
        value = value[step]
    return value


def score(event: Mapping[str, Any]) -> dict[str, Any]:
    """Read the completed job's results and apply the gate."""
    fmt = event["format"]
    arn = str(event["jobArn"])
    bucket, prefix = _split_uri(str(event["outputS3Uri"]))
    prefix = f"{prefix.rstrip('/')}/{event['jobName']}/" if prefix.strip("/") else f"{event['jobName']}/"
    thresholds = {k: float(v) for k, v in event["thresholds"].items()}
    directions = dict(event["directions"])
    try:
        keys = result_keys(bucket, prefix, fmt["result_suffix"])
        if not keys:
            raise MalformedOutput(f"s3://{bucket}/{prefix}: no *{fmt['result_suffix']} result files")
        lines: list[tuple[str, str]] = []
        for key in keys:
            body = clients.call("s3", "get_object", Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
            lines.extend((f"s3://{bucket}/{key}", line) for line in body.splitlines())
    except ClientError as exc:
        if error_code(exc) in RETRYABLE_CODES or error_code(exc) in {"SlowDown", "InternalError"}:
            raise BedrockUnavailable(f"reading s3://{bucket}/{prefix}: {error_code(exc)}") from exc
        return _failed([f"cannot read the results at s3://{bucket}/{prefix}: {error_code(exc)}"], arn)
    except MalformedOutput as exc:
        return _failed([str(exc)], arn)
    try:
        scores = aggregate(lines, fmt, set(directions))
    except MalformedOutput as exc:
        return _failed([str(exc)], arn)
    current = path_value(event.get("input"), event.get("currentScoresPath"))
    passed, reasons = judge(
        scores,
        thresholds,
        directions,
        must_beat_current=bool(event.get("mustBeatCurrent")),
        current=current if isinstance(current, dict) else None,
    )
    log.info("gate decided", job_arn=arn, passed=passed, scores=scores, reasons=reasons)
    return {"passed": passed, "scores": scores, "reasons": reasons, "jobArn": arn}
