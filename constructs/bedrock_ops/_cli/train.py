"""``bedrock-ops train``: start a model customization workflow by hand.

The deploy-time trigger starts a workflow only when the job definition changes; this command
starts one on demand (for example after uploading a new dataset version under the same key).
It prints the equivalent AWS CLI command, then starts the execution with boto3.

Job and custom model names follow the workflow's own prefixes (read from the state machine's
``bedrock-ops:job-name-prefix`` / ``bedrock-ops:model-name-prefix`` tags, so that the stack's
EventBridge rule also routes manual jobs' state changes) with a ``manual-<UTC timestamp>`` suffix.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from datetime import UTC, datetime
from typing import Any

JOB_PREFIX_TAG = "bedrock-ops:job-name-prefix"
MODEL_PREFIX_TAG = "bedrock-ops:model-name-prefix"
_MAX_NAME = 63


def register(subparsers: Any) -> None:
    """Add the ``train`` subcommand."""
    parser = subparsers.add_parser(
        "train",
        help="start a model customization workflow (Step Functions) by hand",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--state-machine-arn", required=True, help="ARN of the customization workflow")
    parser.add_argument("--job-name", help="job name (default: <job prefix>-manual-<timestamp>)")
    parser.add_argument("--custom-model-name", help="custom model name (default: <model prefix>-manual-<timestamp>)")
    parser.add_argument("--region", help="AWS Region (default: the one in the state machine ARN)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the command without running it; offline (no AWS credentials or calls needed)",
    )
    parser.set_defaults(func=run)


def _clean(name: str, suffix: str, pattern: str) -> str:
    base = re.sub(r"[_-]{2,}", "-", re.sub(pattern, "-", name)).strip("-_") or "job"
    return f"{base[: _MAX_NAME - len(suffix) - 1].rstrip('-_')}-{suffix}"


def build_request(
    state_machine_arn: str,
    tags: dict[str, str],
    *,
    job_name: str | None = None,
    custom_model_name: str | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """Return the ``StartExecution`` request (stateMachineArn, name, input) for a manual run."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
    machine_name = state_machine_arn.rsplit(":", 1)[-1]
    suffix = f"manual-{stamp}"
    job = job_name or _clean(tags.get(JOB_PREFIX_TAG, machine_name), suffix, r"[^a-zA-Z0-9-]")
    model = custom_model_name or _clean(tags.get(MODEL_PREFIX_TAG, machine_name), suffix, r"[^a-zA-Z0-9_-]")
    execution_input = {"jobName": job, "customModelName": model, "trigger": "manual"}
    return {"stateMachineArn": state_machine_arn, "name": job, "input": json.dumps(execution_input)}


def cli_command(request: dict[str, str], region: str) -> str:
    """Return the equivalent ``aws stepfunctions start-execution`` command line."""
    return " ".join(
        [
            "aws stepfunctions start-execution",
            f"--region {shlex.quote(region)}",
            f"--state-machine-arn {shlex.quote(request['stateMachineArn'])}",
            f"--name {shlex.quote(request['name'])}",
            f"--input {shlex.quote(request['input'])}",
        ]
    )


def run(args: argparse.Namespace) -> int:
    """Start the execution (``--dry-run``: print it only, offline); returns 0 on success, 1 on an AWS error."""
    arn: str = args.state_machine_arn
    if not re.fullmatch(r"arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:[\w-]+", arn):
        print(f"error: --state-machine-arn {arn!r} is not a state machine ARN", file=sys.stderr)
        return 2
    region: str = args.region or arn.split(":")[3]
    if args.dry_run:  # offline: no credentials, no call; names from the state machine's name
        request = build_request(arn, {}, job_name=args.job_name, custom_model_name=args.custom_model_name)
        print(cli_command(request, region))
        print(
            "dry run: nothing was called; a real run names the job and model after the workflow's "
            f"{JOB_PREFIX_TAG} / {MODEL_PREFIX_TAG} tags",
            file=sys.stderr,
        )
        return 0
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("stepfunctions", region_name=region)
    try:
        listed = client.list_tags_for_resource(resourceArn=arn).get("tags", [])
        tags = {t["key"]: t["value"] for t in listed}
        request = build_request(arn, tags, job_name=args.job_name, custom_model_name=args.custom_model_name)
        print(cli_command(request, region))
        response = client.start_execution(**request)
    except (ClientError, BotoCoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"started {response['executionArn']}")
    return 0
