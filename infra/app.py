"""Build the default app from a configuration: the stacks, tags and the cdk-nag gate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import DEFAULT_CONFIG, AppConfig, ConfigError, load_config
from infra.stacks import CustomizationStack, DataStack

ROOT = Path(__file__).resolve().parent.parent


def cdk_json_context() -> dict[str, Any]:
    """The feature flags and context of ``cdk.json``, so that tests synthesize exactly like the CLI."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    return context


def build_app(config: AppConfig, app: App | None = None) -> App:
    """Add the default app's stacks for ``config`` to ``app`` (default: a new App with cdk.json's context)
    and register the cdk-nag AwsSolutions checks on it."""
    app = app or App(context=cdk_json_context())
    env = Environment(account=config.environment.account, region=config.environment.region)
    data = DataStack(
        app,
        f"{config.project_name}-data",
        config=config,
        env=env,
        description="cdk-bedrock-ops: KMS key, training data bucket and Bedrock service roles",
    )
    if config.customization.enabled and config.customization.jobs:
        CustomizationStack(
            app,
            f"{config.project_name}-customization",
            config=config,
            data=data,
            env=env,
            description="cdk-bedrock-ops: model customization jobs run by Step Functions",
        )
    Tags.of(app).add("project", config.project_name)
    for key, value in config.tags.items():
        Tags.of(app).add(key, value)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def main() -> int:
    """The `cdk synth` entry point: ``-c config=path/to.yaml`` picks the configuration."""
    app = App()
    config_path = app.node.try_get_context("config") or DEFAULT_CONFIG
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    build_app(config, app)
    app.synth()
    return 0
