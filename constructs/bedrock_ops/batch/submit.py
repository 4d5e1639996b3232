"""Plan and submit batch inference jobs: one input JSONL and one ``CreateModelInvocationJob`` per model.

Layout in S3 (``<prefix>`` defaults to ``bedrock-ops/batch/<UTC stamp>``)::

    s3://<bucket>/<prefix>/<model slug>/input/records.jsonl      the records (written locally first)
    s3://<bucket>/<prefix>/<model slug>/output/                  Bedrock writes <job id>/records.jsonl.out
                                                                 and manifest.json.out there

Output format (UG batch-inference-results, https://docs.aws.amazon.com/bedrock/latest/userguide/
batch-inference-results.html, as of 2026-11): one ``{"recordId", "modelInput", "modelOutput"}`` line per
record (``error`` instead of ``modelOutput`` where inference failed) and a ``manifest.json.out`` with the
record counts. ``GetModelInvocationJob`` returns ``status`` and ``totalRecordCount``,
``processedRecordCount``, ``successRecordCount``, ``errorRecordCount`` (botocore 1.44 bedrock service model).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bedrock_ops.batch.requests import (
    BatchFormat,
    BatchRequestError,
    InferenceSettings,
    batch_records,
    job_name,
    slug,
    write_batch_file,
)
from bedrock_ops.evaluation._model_ids import ModelTarget

__all__ = ["BatchJobPlan", "fetch_commands", "plan_jobs", "submit_jobs"]

INPUT_FILE = "records.jsonl"
MIN_TIMEOUT_HOURS, MAX_TIMEOUT_HOURS = 24, 168
"""``timeoutDurationInHours`` range of ``CreateModelInvocationJob`` (botocore 1.44)."""


@dataclass(frozen=True)
class BatchJobPlan:
    """One model's batch job: its local input file, its S3 locations and the request that starts it."""

    model: str
    records: int
    local_path: Path
    input_key: str
    input_uri: str
    output_uri: str
    request: dict[str, Any]


def plan_jobs(
    targets: Sequence[ModelTarget],
    prompts: Sequence[str],
    *,
    bucket: str,
    prefix: str,
    role_arn: str,
    out_dir: str | Path,
    stamp: str,
    settings: InferenceSettings,
    batch_format: BatchFormat = BatchFormat.NATIVE,
    job_name_prefix: str = "compare",
    timeout_hours: int | None = None,
    output_kms_key: str | None = None,
) -> list[BatchJobPlan]:
    """Write each model's input file under ``out_dir/<model slug>/`` and return the jobs to start.

    Raises ``BatchRequestError`` for a model batch inference does not serve (provisioned throughput,
    custom model deployment), a model without a known native format (``--batch-format converse`` then),
    or a timeout outside 24-168 hours.
    """
    if timeout_hours is not None and not MIN_TIMEOUT_HOURS <= timeout_hours <= MAX_TIMEOUT_HOURS:
        raise BatchRequestError(
            f"--timeout-hours must be {MIN_TIMEOUT_HOURS}-{MAX_TIMEOUT_HOURS} (CreateModelInvocationJob "
            f"timeoutDurationInHours), got {timeout_hours}"
        )
    for target in targets:
        if not target.batch_supported:
            raise BatchRequestError(
                f"--models {target.identifier!r}: batch inference does not run on a {target.kind.value} (the user "
                "guide: batch inference isn't supported for provisioned models); use its base model id"
            )
    clean_prefix = prefix.strip("/")
    plans = []
    for target in targets:
        name = slug(target.identifier)
        records = list(batch_records(target.base_model_id, prompts, settings, batch_format))
        local = Path(out_dir) / name / INPUT_FILE
        count = write_batch_file(local, records)
        key = f"{clean_prefix}/{name}/input/{INPUT_FILE}" if clean_prefix else f"{name}/input/{INPUT_FILE}"
        output_prefix = key.rsplit("/input/", 1)[0] + "/output/"
        output_config: dict[str, Any] = {"s3Uri": f"s3://{bucket}/{output_prefix}"}
        if output_kms_key:
            output_config["s3EncryptionKeyId"] = output_kms_key
        request: dict[str, Any] = {
            "jobName": job_name(job_name_prefix, target.identifier, stamp),
            "roleArn": role_arn,
            "modelId": target.identifier,
            "inputDataConfig": {"s3InputDataConfig": {"s3Uri": f"s3://{bucket}/{key}", "s3InputFormat": "JSONL"}},
            "outputDataConfig": {"s3OutputDataConfig": output_config},
        }
        if batch_format is BatchFormat.CONVERSE:
            request["modelInvocationType"] = BatchFormat.CONVERSE.value
        if timeout_hours is not None:
            request["timeoutDurationInHours"] = timeout_hours
        plans.append(
            BatchJobPlan(
                model=target.identifier,
                records=count,
                local_path=local,
                input_key=key,
                input_uri=f"s3://{bucket}/{key}",
                output_uri=f"s3://{bucket}/{output_prefix}",
                request=request,
            )
        )
    return plans


def submit_jobs(plans: Sequence[BatchJobPlan], *, bucket: str, s3_client: Any, bedrock_client: Any) -> list[str]:
    """Upload each input file and start its job; returns the job ARNs in the plans' order."""
    arns = []
    for plan in plans:
        s3_client.put_object(Bucket=bucket, Key=plan.input_key, Body=plan.local_path.read_bytes())
        response = bedrock_client.create_model_invocation_job(**plan.request)
        arns.append(str(response["jobArn"]))
    return arns


def fetch_commands(plan: BatchJobPlan, job_arn: str, region: str) -> list[str]:
    """The AWS CLI commands that show a job's status and record counts, then download its results."""
    job_id = job_arn.rsplit("/", 1)[-1]
    return [
        f"aws bedrock get-model-invocation-job --region {shlex.quote(region)} --job-identifier {shlex.quote(job_arn)}"
        " --query '{status: status, total: totalRecordCount, ok: successRecordCount, errors: errorRecordCount}'",
        f"aws s3 cp --recursive {shlex.quote(plan.output_uri + job_id + '/')} "
        f"{shlex.quote('./batch-results/' + slug(plan.model) + '/')}",
    ]
