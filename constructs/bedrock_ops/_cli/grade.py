"""``bedrock-ops grade``: try a reward function on an RFT dataset locally, before a job is bought.

Runs the grader over every record (against ``--responses``, or the records' own reference answers as a sanity
check) exactly as Bedrock would call it, and reports the score distribution, the failures with their line numbers
and the time per call. Exit status: 0 every record graded within the contract, 1 failures, 2 usage errors (a
file that cannot be read, a reward function that cannot be imported, a bad option).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bedrock_ops.customization.grading import (
    RewardFunctionError,
    grade_dataset,
    load_reward_function,
    read_responses,
)

NAME = "grade"
TEMPLATES = ("exact", "normalized", "json", "numeric", "regex")


def register(subparsers: Any) -> None:
    """Add the ``grade`` subcommand."""
    parser = subparsers.add_parser(
        NAME,
        help="run a reward function locally over an RFT dataset (scores, failures, time per call)",
        description=(
            "Run a reinforcement fine-tuning reward function over the records of a JSONL dataset as Bedrock "
            "would call it: against --responses (one per line), or the records' reference answers. Reports the "
            "score distribution, failures with line numbers and the time per call. Exit status 0 when every "
            "record was graded within the contract, 1 on failures, 2 on usage errors."
        ),
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--reward-function",
        metavar="PATH",
        help="a .py file or package folder defining reward(response, sample) or lambda_handler(event, context)",
    )
    source.add_argument("--template", choices=TEMPLATES, help="a built-in template instead of your code")
    parser.add_argument(
        "--template-config",
        metavar="JSON",
        default="{}",
        help='with --template: its settings, e.g. \'{"tolerance": 0.01}\', \'{"pattern": "^\\\\d+$"}\'',
    )
    parser.add_argument("--dataset", metavar="FILE", required=True, help="the RFT dataset (.jsonl)")
    parser.add_argument(
        "--responses", metavar="FILE", help='JSONL of {"response": str} (or JSON strings), one per line'
    )
    parser.add_argument("--limit", type=int, metavar="N", help="grade the first N records only (default: all)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Grade ``args.dataset``; returns the exit status."""
    try:
        config = json.loads(args.template_config)
    except ValueError as exc:
        return _usage_error(f"--template-config is not valid JSON: {exc}")
    if not isinstance(config, dict):
        return _usage_error(f"--template-config must be a JSON object, got {args.template_config!r}")
    if args.limit is not None and args.limit < 1:
        return _usage_error(f"--limit must be >= 1, got {args.limit}")
    environment = {
        "REWARD_TEMPLATE": args.template or "custom",
        "REWARD_CONFIG": json.dumps(config) if args.template else "{}",
    }
    try:
        handler = load_reward_function(args.reward_function)
        responses = read_responses(args.responses) if args.responses else None
        report = grade_dataset(args.dataset, handler, environment=environment, responses=responses, limit=args.limit)
    except RewardFunctionError as exc:
        return _usage_error(str(exc))
    except OSError as exc:
        return _usage_error(f"cannot read {exc.filename or args.dataset}: {exc.strerror or exc}")
    except (ValueError, UnicodeDecodeError) as exc:
        return _usage_error(str(exc))
    sys.stdout.write((json.dumps(report.to_dict(), indent=2) if args.json else report.format_text()) + "\n")
    return 0 if report.ok else 1


def _usage_error(message: str) -> int:
    sys.stderr.write(f"bedrock-ops {NAME}: error: {message}\n")
    return 2
