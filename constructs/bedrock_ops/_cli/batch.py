"""``bedrock-ops batch``: start a ``BatchInference`` workflow by hand (one batch inference job).

The execution input is ``{"jobName", "modelId", "inputUri"}``; the execution is named after the job, so the
output lands in ``s3://<bucket>/<output prefix><job name>/``. ``--dry-run`` prints the request and the
equivalent ``aws stepfunctions start-execution`` command and needs no credentials. Exit status: 0 started
(or dry run), 1 AWS error, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from datetime import UTC, datetime
from typing import Any

from bedrock_ops.batch.requests import job_name as make_job_name
from bedrock_ops.evaluation._model_ids import UnknownModelIdentifier, parse_model_identifier

NAME = "batch"
_STATE_MACHINE = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$")
# CreateModelInvocationJob's S3Uri and jobName patterns (botocore 1.44 bedrock service model).
_S3_URI = re.compile(r"^s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?$")
_JOB_NAME = re.compile(r"^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$")
# Step Functions execution names: 1-80 characters of letters, digits, - and _ (a job name's + and . are not).
_EXECUTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def register(subparsers: Any) -> None:
    """Add the ``batch`` subcommand."""
    parser = subparsers.add_parser(
        NAME,
        help="start a BatchInference workflow (a Bedrock batch inference job) by hand",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--state-machine-arn", required=True, help="ARN of the BatchInference workflow")
    parser.add_argument("--model", required=True, help="model id (one the workflow allows)")
    parser.add_argument("--input", required=True, metavar="S3_URI", help="s3:// URI of the input JSONL or folder")
    parser.add_argument("--job-name", help="job and execution name (default batch-<model>-<UTC timestamp>)")
    parser.add_argument("--region", help="AWS Region (default: the one in the state machine ARN)")
    parser.add_argument("--dry-run", action="store_true", help="print the request; start nothing, no credentials")
    parser.set_defaults(func=run)


def build_request(state_machine_arn: str, model: str, input_uri: str, job_name: str) -> dict[str, str]:
    """The ``StartExecution`` request."""
    execution_input = {"jobName": job_name, "modelId": model, "inputUri": input_uri}
    return {"stateMachineArn": state_machine_arn, "name": job_name, "input": json.dumps(execution_input)}


def _error(message: str) -> int:
    print(f"bedrock-ops {NAME}: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Start the execution (or print it with --dry-run)."""
    arn: str = args.state_machine_arn
    if not _STATE_MACHINE.match(arn):
        return _error(f"--state-machine-arn {arn!r} is not a state machine ARN (arn:aws:states:<region>:<acct>:...)")
    if not _S3_URI.match(args.input):
        return _error(
            f"--input {args.input!r} is not an s3:// URI of a bucket and key (CreateModelInvocationJob S3Uri)"
        )
    try:
        parse_model_identifier(args.model, option="--model")
    except UnknownModelIdentifier as exc:
        return _error(str(exc))
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    job_name = args.job_name or make_job_name("batch", args.model, stamp).replace(".", "-").replace("+", "-")
    if not _JOB_NAME.match(job_name) or not _EXECUTION_NAME.match(job_name) or len(job_name) > 63:
        return _error(
            f"--job-name {job_name!r}: 1-63 letters, digits and '-', starting with a letter or digit (a Bedrock "
            "job name that is also a Step Functions execution name)"
        )
    region: str = args.region or arn.split(":")[3]
    request = build_request(arn, args.model, args.input, job_name)
    print(
        f"aws stepfunctions start-execution --region {shlex.quote(region)} --state-machine-arn {shlex.quote(arn)} "
        f"--name {shlex.quote(job_name)} --input {shlex.quote(request['input'])}"
    )
    if args.dry_run:
        print("dry run: no execution started")
        return 0
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        response = boto3.client("stepfunctions", region_name=region).start_execution(**request)
    except NoCredentialsError:
        return _error("no AWS credentials; configure them, or use --dry-run")
    except (ClientError, BotoCoreError) as exc:
        print(f"bedrock-ops {NAME}: error: {exc}", file=sys.stderr)
        return 1
    print(f"started {response['executionArn']}")
    print("the outcome (status, output location, record counts) is published to the workflow's topic")
    return 0
