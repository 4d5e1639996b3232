"""Build the default app from a configuration: the stacks, tags and the cdk-nag gate."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import DEFAULT_CONFIG, AppConfig, ConfigError, load_config, load_pipeline_config
from infra.stage import BedrockOpsStage, environment_of

ROOT = Path(__file__).resolve().parent.parent


def cdk_json_context() -> dict[str, Any]:
    """The feature flags and context of ``cdk.json``, so that tests synthesize exactly like the CLI."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    return context


def new_app(outdir: str | None = None) -> App:
    """An App as the default app makes it: cdk.json's context, and the CDK's built-in CloudFormation
    validation off. That validation is a WebAssembly rule engine run inside every synth; cfn-lint checks the
    same templates against CloudFormation's schemas in `make synth` and in the tests, and the engine cost this
    app several seconds per synth (bench/results/synth-analysis.md)."""
    return App(context=cdk_json_context(), outdir=outdir, builtin_cloud_formation_validation=False)


def build_app(config: AppConfig, app: App | None = None) -> App:
    """Add the stage of ``config``'s environment to ``app`` (default: a new App with cdk.json's context)
    and register the cdk-nag AwsSolutions checks on it. The stacks are ``<environment name>/<stack>``."""
    app = app or new_app()
    BedrockOpsStage(app, config.environment.name, config=config, env=environment_of(config))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def build_pipeline_app(pipeline_file: str, app: App | None = None) -> App:
    """Add the GitOps pipeline stack of ``pipeline_file`` (and, inside it, every stage) to ``app``."""
    from infra.pipeline import PipelineStack

    app = app or new_app()
    config = load_pipeline_config(pipeline_file)
    PipelineStack(
        app,
        f"{config.name}-pipeline",
        config=config,
        pipeline_file=pipeline_file,
        env=environment_of(config),
        description="cdk-bedrock-ops: the self-mutating delivery pipeline",
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """The `cdk synth` entry point: ``-c config=path/to.yaml`` picks the configuration of the app;
    ``-c pipeline=config/pipeline.yaml`` synthesizes the GitOps pipeline instead.

    The CDK CLI passes cdk.json's context; ``argv`` (default: the command line) may add ``-c key=value``
    pairs, so ``python app.py -c config=FILE`` works without the CLI. The built-in CloudFormation validation
    is off as in :func:`new_app`. Every configuration mistake ends in ``error: <file>: <key path>: ...`` and
    exit status 1."""
    context = _context_arguments(sys.argv[1:] if argv is None else argv)
    app = App(context=context or None, builtin_cloud_formation_validation=False)
    pipeline_file = app.node.try_get_context("pipeline")
    source = str(pipeline_file or app.node.try_get_context("config") or DEFAULT_CONFIG)
    try:
        if pipeline_file:
            build_pipeline_app(pipeline_file, app)
        else:
            build_app(load_config(source), app)
        app.synth()
    except ConfigError as exc:  # file, key path, value and what is allowed
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a construct's own check that no config key was mapped to: still the file
        print(f"error: {source}: {exc}", file=sys.stderr)
        return 1
    return 0


def _context_arguments(argv: Sequence[str]) -> dict[str, str]:
    """``-c key=value`` / ``--context key=value`` pairs of ``argv``, as the CDK CLI reads them."""
    context: dict[str, str] = {}
    items = iter(argv)
    for item in items:
        value = next(items, "") if item in {"-c", "--context"} else item.removeprefix("--context=")
        if item in {"-c", "--context"} or item.startswith("--context="):
            key, sep, text = value.partition("=")
            if not sep:
                raise SystemExit(f"error: -c {value!r}: expected key=value")
            context[key] = text
    return context
