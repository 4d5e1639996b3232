"""``bedrock-ops compare``: the same prompts to 2-5 models, answers side by side (bedrock_ops.evaluation.compare).

Exit status: 0 every call answered (a refusal is an answer), 1 some calls failed, 2 usage error (bad prompt file,
unknown model, no credentials, bad option). With ``--batch`` the prompts go through batch inference instead
(``CreateModelInvocationJob``, one job per model); ``--batch --dry-run`` only writes the input files.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bedrock_ops.batch import requests as batch_requests
from bedrock_ops.batch import submit as batch_submit
from bedrock_ops.cost.pricing import load_pricing_table
from bedrock_ops.data.validation import validate_file
from bedrock_ops.evaluation import compare as cmp
from bedrock_ops.evaluation import compare_report
from bedrock_ops.evaluation._model_ids import ModelTarget, UnknownModelIdentifier, parse_model_identifier
from bedrock_ops.models.facts import BatchLimits, DatasetFormat
from bedrock_ops.models.knowledge import ModelKnowledgeBase, load_models
from bedrock_ops.models.queries import batch_limits

NAME = "compare"
MIN_MODELS, MAX_MODELS = 2, 5


def register(subparsers: Any) -> None:
    """Add the ``compare`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        NAME,
        help="send the same prompts to 2-5 models (Converse) and compare answers, latency, tokens, cost, scores",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--models", required=True, metavar="A,B[,C]", help="2-5 comma-separated model identifiers")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--prompts", metavar="FILE", help="JSONL with 'prompt' (and 'referenceResponse'), or text")
    source.add_argument("--prompt", metavar="TEXT", help="one prompt")
    parser.add_argument("--references", metavar="FILE", help="JSONL of references, record N for prompt N")
    parser.add_argument("--system", metavar="TEXT", help="system prompt sent with every prompt")
    parser.add_argument("--max-tokens", type=int, default=512, help="most output tokens per answer (default 512)")
    parser.add_argument("--temperature", type=float, help="sampling temperature 0-1 (default: the model's)")
    parser.add_argument("--region", help="AWS Region (default: the profile's or AWS_DEFAULT_REGION)")
    parser.add_argument("--pricing", metavar="FILE", help="pricing file merged over the packaged table")
    parser.add_argument(
        "--models-file", metavar="FILE", help="a models file merged over the packaged model knowledge base"
    )
    parser.add_argument("--max-attempts", type=int, default=5, help="calls per answer when throttled (default 5)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report to FILE")
    batch = parser.add_argument_group("batch inference (--batch)")
    batch.add_argument("--batch", action="store_true", help="submit one batch inference job per model instead")
    batch.add_argument("--bucket", help="S3 bucket for the input and output files (in the job's Region)")
    batch.add_argument("--prefix", help="S3 key prefix (default bedrock-ops/batch/<UTC stamp>)")
    batch.add_argument("--role-arn", help="batch inference service role Bedrock assumes")
    batch.add_argument(
        "--batch-format",
        choices=("native", "converse"),
        default="native",
        help="modelInput as the model's InvokeModel body (default) or the Converse body",
    )
    batch.add_argument("--timeout-hours", type=int, help="job timeout, 24-168 hours (default: Bedrock's)")
    batch.add_argument("--output-kms-key", help="KMS key for the output files")
    batch.add_argument(
        "--out-dir", default="batch-input", help="where the input files are written (default batch-input)"
    )
    batch.add_argument(
        "--min-records",
        type=int,
        help="warn below this many records per job (default: the model's batch quota in the knowledge base, "
        "unconfirmed and so not checked unless a models file sets it)",
    )
    batch.add_argument(
        "--max-records", type=int, help="warn above this many records per job (default: as --min-records)"
    )
    batch.add_argument("--dry-run", action="store_true", help="write the input files and print the requests only")
    parser.set_defaults(func=run)


def make_client(service: str, region: str | None) -> Any:
    """A boto3 client with botocore's own retries off (the command retries throttling itself)."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, region_name=region, config=Config(retries={"total_max_attempts": 1}))


def _error(message: str) -> int:
    print(f"bedrock-ops {NAME}: error: {message}", file=sys.stderr)
    return 2


def _batch_limits(
    models: ModelKnowledgeBase, model_id: str | None, minimum: int | None, maximum: int | None
) -> BatchLimits:
    """The model's batch quotas from the knowledge base (none for a model it does not know), with the
    ``--min-records`` / ``--max-records`` given over them."""
    limits = BatchLimits()
    if model_id is not None and models.get(model_id) is not None:
        limits = batch_limits(models, model_id)
    overrides = {"min_records": minimum, "max_job_records": maximum}
    return dataclasses.replace(limits, **{k: v for k, v in overrides.items() if v is not None})


def _targets(spec: str, models_file: str | None) -> list[ModelTarget]:
    from bedrock_ops.models.knowledge import load_models

    names = [m.strip() for m in spec.split(",") if m.strip()]
    if not MIN_MODELS <= len(names) <= MAX_MODELS:
        raise cmp.CompareError(f"--models needs {MIN_MODELS}-{MAX_MODELS} comma-separated models, got {len(names)}")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise cmp.CompareError(f"--models lists {duplicates[0]!r} twice")
    models = load_models(models_file) if models_file else None
    return [parse_model_identifier(name, models=models, option="--models") for name in names]


def _prompts(args: argparse.Namespace) -> list[cmp.ComparePrompt]:
    if args.prompt is not None:
        if not args.prompt.strip():
            raise cmp.CompareError("--prompt is empty")
        prompts = [cmp.ComparePrompt(0, args.prompt)]
    else:
        prompts = cmp.read_prompts(args.prompts)
    if args.references:
        prompts = cmp.read_reference_file(args.references, prompts)
    return prompts


def run(args: argparse.Namespace) -> int:
    """Run the command; see the module docstring for the exit status."""
    try:
        if args.max_tokens < 1:
            raise cmp.CompareError(f"--max-tokens must be at least 1, got {args.max_tokens}")
        if args.temperature is not None and not 0 <= args.temperature <= 1:
            raise cmp.CompareError(f"--temperature must be 0-1, got {args.temperature}")
        if not 1 <= args.max_attempts <= 20:
            raise cmp.CompareError(f"--max-attempts must be 1-20, got {args.max_attempts}")
        targets = _targets(args.models, args.models_file)
        prompts = _prompts(args)
        if args.batch:
            return _run_batch(args, targets, prompts)
        if args.dry_run:
            raise cmp.CompareError("--dry-run applies to --batch (a Converse comparison has nothing to dry-run)")
        pricing = load_pricing_table(args.pricing)
        client = make_client("bedrock-runtime", args.region)
        result = cmp.compare(
            client,
            targets,
            prompts,
            pricing,
            system=args.system,
            max_tokens=args.max_tokens,
            temperature=args.temperature,
            retry=cmp.RetryPolicy(max_attempts=args.max_attempts),
        )
    except (cmp.CompareError, UnknownModelIdentifier, batch_requests.BatchRequestError) as exc:
        return _error(str(exc))
    except ValueError as exc:  # pricing or models file problems name the file and key
        return _error(str(exc))
    except Exception as exc:  # botocore configuration errors (no Region, bad profile) without a traceback
        from botocore.exceptions import BotoCoreError, NoRegionError

        if isinstance(exc, NoRegionError):
            return _error("no AWS Region: pass --region or set AWS_DEFAULT_REGION (or a profile's region)")
        if isinstance(exc, BotoCoreError):
            return _error(f"{type(exc).__name__}: {exc}")
        raise
    if args.html:
        try:
            Path(args.html).write_text(compare_report.render_html(result), encoding="utf-8")
        except OSError as exc:
            return _error(f"--html {args.html}: cannot write: {exc.strerror}")
    print(json.dumps(result.to_dict(), indent=2) if args.json else compare_report.format_text(result))
    if args.html and not args.json:
        print(f"HTML report: {args.html}")
    return 1 if result.has_errors else 0


def _run_batch(args: argparse.Namespace, targets: list[ModelTarget], prompts: list[cmp.ComparePrompt]) -> int:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    if not args.dry_run:
        missing = [opt for opt, value in (("--bucket", args.bucket), ("--role-arn", args.role_arn)) if not value]
        if missing:
            raise cmp.CompareError(f"--batch needs {' and '.join(missing)} (or --dry-run to write the files only)")
    bucket = args.bucket or "<bucket>"
    settings = batch_requests.InferenceSettings(
        system=args.system, max_tokens=args.max_tokens, temperature=args.temperature
    )
    batch_format = (
        batch_requests.BatchFormat.CONVERSE if args.batch_format == "converse" else batch_requests.BatchFormat.NATIVE
    )
    plans = batch_submit.plan_jobs(
        targets,
        [p.prompt for p in prompts],
        bucket=bucket,
        prefix=args.prefix or f"bedrock-ops/batch/{stamp}",
        role_arn=args.role_arn or "<role-arn>",
        out_dir=args.out_dir,
        stamp=stamp,
        settings=settings,
        batch_format=batch_format,
        timeout_hours=args.timeout_hours,
        output_kms_key=args.output_kms_key,
    )
    warnings: list[str] = []
    models = load_models(args.models_file)
    for plan, target in zip(plans, targets, strict=True):
        body_format = "converse" if batch_format is batch_requests.BatchFormat.CONVERSE else None
        body_format = body_format or batch_requests.native_format_of(target.base_model_id)
        limits = _batch_limits(models, target.base_model_id, args.min_records, args.max_records)
        checked = validate_file(
            plan.local_path, dataset_format=DatasetFormat.BATCH_RECORDS, body_format=body_format, batch_limits=limits
        )
        if not checked.valid:
            first = checked.errors[0]
            where = f"line {first.line}" if first.line is not None else "file"
            raise cmp.CompareError(
                f"{plan.local_path}: {where}{f' ({first.field})' if first.field else ''}: {first.message} "
                f"({checked.error_count} error(s))"
            )
        warnings.extend(f"{plan.model}: {w.message}" for w in checked.warnings)
        print(f"{plan.model}: {plan.records} records -> {plan.local_path} (upload to {plan.input_uri})")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.dry_run:
        for plan in plans:
            print(f"CreateModelInvocationJob {json.dumps(plan.request, sort_keys=True)}")
        print("dry run: nothing uploaded, no job started")
        return 0
    s3 = make_client("s3", args.region)
    bedrock = make_client("bedrock", args.region)
    from botocore.exceptions import ClientError, NoCredentialsError

    try:
        arns = batch_submit.submit_jobs(plans, bucket=args.bucket, s3_client=s3, bedrock_client=bedrock)
    except NoCredentialsError:
        raise cmp.CompareError("no AWS credentials for S3 and Bedrock; configure them, or use --dry-run") from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        print(f"bedrock-ops {NAME}: error: {error.get('Code')}: {error.get('Message')}", file=sys.stderr)
        return 1
    region = str(bedrock.meta.region_name)
    for plan, arn in zip(plans, arns, strict=True):
        print(f"started {arn} ({plan.model}); results in {plan.output_uri}")
        for command in batch_submit.fetch_commands(plan, arn, region):
            print(f"  {command}")
    return 0
