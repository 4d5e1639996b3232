"""``bedrock-ops cost``: monthly cost of an app and on-demand vs provisioned break-even (bedrock_ops.cost.advisor)."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from bedrock_ops._node import use_supported_node
from bedrock_ops.cost import advisor as cost
from bedrock_ops.cost.batch_pricing import batch_comparison, format_batch_comparison, load_batch_pricing
from bedrock_ops.cost.pricing import DEFAULT_MAX_PRICE_AGE_DAYS, load_pricing_table
from bedrock_ops.models.knowledge import load_models

_OUTSIDE_CHECKOUT = (
    "--config needs the app's configuration schema (infra/config.py), which lives in the project "
    "checkout, not in the installed package: run `bedrock-ops cost` from the folder that holds infra/ "
    "(the repository root), or synthesize there first and pass --assembly cdk.out"
)


class CostCommandError(Exception):
    """A problem the user can fix; the message says how."""


def register(subparsers: Any) -> None:
    """Add the ``cost`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "cost",
        help="monthly cost of what a configuration provisions; on-demand vs provisioned break-even",
        description=(
            "Estimate the monthly cost of what the app provisions (provisioned throughput, alarms, "
            "dashboards, KMS keys, invocation log estimate) and, per model, when provisioned throughput "
            "beats on-demand pricing at the given traffic. Prices come from the dated tables in the "
            "package (override with --pricing/--service-prices)."
        ),
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--config", metavar="FILE", help="app configuration to synthesize (run from the project checkout)"
    )
    source.add_argument("--assembly", metavar="DIR", help="an already synthesized cloud assembly (e.g. cdk.out)")
    parser.add_argument(
        "--tokens-per-minute",
        action="append",
        default=[],
        metavar="[MODEL=]N",
        help="traffic in input+output tokens per minute, for every model or for one model or application "
        "inference profile (by name; repeatable)",
    )
    parser.add_argument(
        "--images-per-minute",
        action="append",
        default=[],
        metavar="[MODEL=]N",
        help="generated images per minute, for image models (repeatable)",
    )
    parser.add_argument(
        "--output-share",
        type=float,
        default=0.25,
        help="share of the tokens that are output, 0-1 (default 0.25)",
    )
    parser.add_argument(
        "--model", action="append", default=[], metavar="ID", help="also compare this model (repeatable)"
    )
    parser.add_argument(
        "--custom-model",
        action="append",
        default=[],
        metavar="BASE_ID",
        help="price a custom model of this base model: a custom model deployment (where the knowledge base marks "
        "the base deployable) vs provisioned throughput, with the break-even tokens per month; with one base it "
        "also prices throughputs whose model is known only at deploy time (repeatable)",
    )
    parser.add_argument("--pricing", metavar="FILE", help="Bedrock pricing file merged over the packaged table")
    parser.add_argument(
        "--max-price-age-days",
        type=_positive_int,
        default=DEFAULT_MAX_PRICE_AGE_DAYS,
        metavar="N",
        help=f"flag prices read more than N days ago (default {DEFAULT_MAX_PRICE_AGE_DAYS})",
    )
    parser.add_argument("--models-file", metavar="FILE", help="models file merged over the packaged knowledge base")
    parser.add_argument("--service-prices", metavar="FILE", help="service price file merged over the packaged one")
    parser.add_argument(
        "--batch-pricing", metavar="FILE", help="batch discount file merged over the packaged one (batch_pricing)"
    )
    parser.add_argument(
        "--log-bytes-per-token",
        type=float,
        default=6.0,
        help="invocation log bytes per token for the log estimate (default 6)",
    )
    parser.add_argument(
        "--fleet-size",
        type=int,
        default=None,
        metavar="N",
        help="ModelId series (models, profiles, deployments) each fleet alarm analyzes, for the Metrics Insights "
        "alarm cost (default: the models and application inference profiles the app names)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=run)


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days >= 1, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of days >= 1, got {value!r}")
    return number


def _parse_volumes(values: list[str], option: str) -> tuple[float | None, dict[str, float]]:
    default: float | None = None
    per_model: dict[str, float] = {}
    for value in values:
        model, sep, number = value.rpartition("=")
        try:
            amount = float(number)
        except ValueError:
            raise CostCommandError(f"{option} {value!r}: expected N or MODEL=N with a number N") from None
        if amount < 0:
            raise CostCommandError(f"{option} {value!r}: must not be negative")
        if sep:
            per_model[model] = amount
        else:
            default = amount
    return default, per_model


def _import_infra() -> tuple[Any, Any]:
    cwd = Path.cwd()
    if (cwd / "infra" / "config.py").is_file() and str(cwd) not in sys.path:
        sys.path.insert(0, str(cwd))
    try:
        config_module = importlib.import_module("infra.config")
        app_module = importlib.import_module("infra.app")
    except ImportError:
        raise CostCommandError(_OUTSIDE_CHECKOUT) from None
    return config_module, app_module


def templates_from_config(path: str) -> dict[str, dict[str, Any]]:
    """Synthesize the default app for the configuration at ``path`` and return its templates."""
    config_module, app_module = _import_infra()
    use_supported_node()
    try:
        config = config_module.load_config(path)
        assembly = app_module.build_app(config).synth()
    except config_module.ConfigError as exc:
        raise CostCommandError(str(exc)) from None
    return {stack.stack_name: dict(stack.template) for stack in assembly.stacks_recursively}


def run(args: argparse.Namespace) -> int:
    """Run the command; 0 on success, 2 when the input or the options are wrong."""
    try:
        tokens_default, tokens = _parse_volumes(args.tokens_per_minute, "--tokens-per-minute")
        images_default, images = _parse_volumes(args.images_per_minute, "--images-per-minute")
        if args.config:
            templates = templates_from_config(args.config)
        elif args.assembly:
            templates = cost.templates_from_assembly(args.assembly)
        elif args.model or args.custom_model:
            templates = {}
        else:
            raise CostCommandError(
                "give --config FILE (or --assembly DIR), or at least one --model or --custom-model to compare"
            )
        pricing = load_pricing_table(args.pricing, max_age_days=args.max_price_age_days)
        service_prices = cost.load_service_prices(args.service_prices)
        traffic = {
            model: cost.Traffic(
                tokens_per_minute=tokens.get(model, tokens_default or 0.0),
                output_share=args.output_share,
                images_per_minute=images.get(model, images_default or 0.0),
            )
            for model in {*tokens, *images}
        }
        default = None
        if tokens_default is not None or images_default is not None:
            default = cost.Traffic(
                tokens_per_minute=tokens_default or 0.0,
                output_share=args.output_share,
                images_per_minute=images_default or 0.0,
            )
        report = cost.estimate(
            cost.inventory_from_templates(templates),
            pricing,
            service_prices,
            traffic=traffic,
            default_traffic=default,
            models=args.model,
            log_bytes_per_token=args.log_bytes_per_token,
            fleet_size=args.fleet_size,
            custom_models=args.custom_model,
            knowledge_base=load_models(args.models_file) if args.custom_model else None,
        )
        batch = load_batch_pricing(args.batch_pricing)
    except (CostCommandError, ValueError) as exc:
        print(f"bedrock-ops cost: error: {exc}", file=sys.stderr)
        return 2
    batch_rows = batch_comparison(report, pricing, batch)
    if args.json:
        data = report.to_dict()
        data["batch"] = {"as_of": batch.as_of.isoformat(), "source": batch.source, "models": batch_rows}
        print(json.dumps(data, indent=2, default=str))
    else:
        text = cost.format_report(report)
        if batch_rows:
            text += "\n\n" + format_batch_comparison(batch_rows, report.currency, batch)
        print(text)
    return 0
