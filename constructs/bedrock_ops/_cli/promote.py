"""``bedrock-ops promote`` and ``bedrock-ops rollback``: move a stable endpoint between custom models.

Thin over ``bedrock_ops.serving.promotion`` (the code the stable endpoint's promoter Lambda runs). The endpoint's
record is the SSM parameter ``--parameter`` (its name is the stack output ``...RecordParameter``).

``--dry-run`` prints the plan and changes nothing; it needs no credentials: with ``--record FILE`` (a saved
record, e.g. ``aws ssm get-parameter --name NAME --query Parameter.Value --output text > record.json``) the plan
is fully specific; without a record and without credentials it says what it would read and do. Exit status: 0
done (or planned), 1 Bedrock or SSM refused, or the endpoint cannot be moved (e.g. nothing to roll back to), 2
usage error (bad option, unreadable record, no credentials without ``--dry-run``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bedrock_ops.serving import promotion

NAMES = ("promote", "rollback")


def register(subparsers: Any) -> None:
    """Add the ``promote`` and ``rollback`` subcommands."""
    helps = {
        "promote": "promote a custom model into a stable endpoint (create, update in place or replace)",
        "rollback": "promote a stable endpoint's previous model back (current and previous swap)",
    }
    for name in NAMES:
        parser: argparse.ArgumentParser = subparsers.add_parser(
            name, help=helps[name], description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        parser.add_argument("--parameter", required=True, metavar="NAME", help="the endpoint's record parameter")
        if name == "promote":
            parser.add_argument("--model-arn", required=True, metavar="ARN", help="the custom model to promote")
            parser.add_argument("--scores", metavar="JSON", help="the model's scores, e.g. '{\"accuracy\": 0.91}'")
        parser.add_argument("--dry-run", action="store_true", help="print the plan only (no credentials needed)")
        parser.add_argument("--record", metavar="FILE", help="with --dry-run: plan against this saved record")
        parser.add_argument("--region", help="AWS Region (default: the profile's or AWS_DEFAULT_REGION)")
        parser.add_argument(
            "--models-file", metavar="FILE", help="a models file merged over the packaged model knowledge base"
        )
        parser.add_argument("--json", action="store_true", help="print the plan and the result as JSON")
        parser.set_defaults(func=run, action_name=name)


def make_clients(region: str | None) -> tuple[Any, Any] | None:
    """The ``bedrock`` and ``ssm`` clients, or None when there are no AWS credentials (a test seam)."""
    import boto3

    session = boto3.Session(region_name=region)
    if session.get_credentials() is None:
        return None
    return session.client("bedrock"), session.client("ssm")


def _error(name: str, message: str, status: int = 2) -> int:
    print(f"bedrock-ops {name}: error: {message}", file=sys.stderr)
    return status


def _rules(models_file: str | None) -> promotion.Rules:
    if models_file is None:
        return promotion.load_rules()
    from bedrock_ops.models.knowledge import load_models

    return promotion.Rules.from_group(load_models(models_file).document["promotion"], models_file)


def run(args: argparse.Namespace) -> int:
    """Run ``promote`` or ``rollback``; see the module docstring for the exit status."""
    name = str(args.action_name)
    action = "rollback" if name == "rollback" else "promote"
    target = getattr(args, "model_arn", None)
    try:
        scores = _scores(getattr(args, "scores", None))
        rules = _rules(args.models_file)
        if args.record and not args.dry_run:
            raise promotion.PromotionError("--record is for --dry-run only (a promotion reads the live record)")
        if args.record:
            path = Path(args.record)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise promotion.PromotionError(f"--record {path}: cannot read it: {exc.strerror}") from None
            record = promotion.Record.loads(text, f"--record {path}")
            return _show(
                args,
                promotion.plan(record, target, action, rules=rules, scores=scores, parameter_name=args.parameter),
                dry_run=True,
            )
    except (promotion.PromotionError, ValueError) as exc:
        return _error(name, str(exc))
    clients = make_clients(args.region)
    if clients is None:
        if args.dry_run:
            what = f"promote {target}" if action == "promote" else "promote the record's previousModelArn"
            print(
                f"dry run without AWS credentials: would read the record {args.parameter} (ssm GetParameter), "
                f"then {what}: create the endpoint if the record has none, else update it in place where Bedrock "
                "allows it (or replace a throughput), and write the record back. Pass --record FILE for the exact plan."
            )
            return 0
        return _error(name, "no AWS credentials for Bedrock and SSM; configure them, or use --dry-run")
    bedrock, ssm = clients
    return _live(args, name, action=action, target=target, scores=scores, rules=rules, bedrock=bedrock, ssm=ssm)


def _live(
    args: argparse.Namespace,
    name: str,
    *,
    action: str,
    target: str | None,
    scores: dict[str, float] | None,
    rules: promotion.Rules,
    bedrock: Any,
    ssm: Any,
) -> int:
    from botocore.exceptions import ClientError, NoCredentialsError

    try:
        record = promotion.read_record(ssm, args.parameter)
        the_plan = promotion.plan(
            record,
            target,
            action,
            rules=rules,
            scores=scores,
            base_model_of=promotion.base_model_lookup(bedrock),
            parameter_name=args.parameter,
        )
        if args.dry_run:
            return _show(args, the_plan, dry_run=True)
        after = promotion.apply(the_plan, bedrock=bedrock, ssm=ssm, parameter_name=args.parameter, rules=rules)
    except NoCredentialsError:
        return _error(name, "no AWS credentials for Bedrock and SSM; configure them, or use --dry-run")
    except promotion.PromotionError as exc:
        return _error(name, str(exc), 1)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        return _error(name, f"{error.get('Code')}: {error.get('Message')}", 1)
    return _show(args, the_plan, dry_run=False, after=after)


def _show(args: argparse.Namespace, the_plan: promotion.Plan, *, dry_run: bool, after: Any = None) -> int:
    if args.json:
        document = the_plan.to_json()
        document["dryRun"] = dry_run
        if after is not None:
            document["recordAfter"] = after.to_json()
        print(json.dumps(document, indent=2, sort_keys=True))
        return 0
    print(the_plan.describe())
    if dry_run:
        print("dry run: nothing changed")
    elif the_plan.changed and after is not None:
        print(
            f"done: endpoint {after.endpoint_arn} now serves {after.current_model_arn} "
            f"(previous: {after.previous_model_arn or 'none'}); it is ready when its status is Active"
        )
    return 0


def _scores(text: str | None) -> dict[str, float] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise promotion.PromotionError(f"--scores must be a JSON object of metric -> number: {exc}") from None
    if not isinstance(value, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()
    ):
        raise promotion.PromotionError(f"--scores must be a JSON object of metric -> number, got {text!r}")
    return {str(k): float(v) for k, v in value.items()}
