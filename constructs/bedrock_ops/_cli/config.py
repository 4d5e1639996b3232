"""``bedrock-ops config show``: the configuration the app synthesizes, every key with its value.

A configuration file is merged over the documented defaults (``config/default.yaml``): mappings key by key,
other values replace, ``null`` drops a default. This command prints the result as YAML. It needs the app's
configuration schema (``infra/config.py``), so it runs from the project checkout.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

NAME = "config"


def register(subparsers: Any) -> None:
    """Add the ``config`` subcommand group (``config show``)."""
    parser = subparsers.add_parser(NAME, help="show the effective configuration of the app", description=__doc__)
    commands = parser.add_subparsers(dest="config_command", metavar="COMMAND", required=True)
    show = commands.add_parser(
        "show",
        help="print the effective configuration (YAML): the file merged over config/default.yaml",
        description="Print the configuration the app synthesizes: FILE merged over config/default.yaml, "
        "validated, every key with its value. Exit status 0, or 1 when the file is invalid.",
    )
    show.add_argument("--config", metavar="FILE", help="the configuration file (default: config/default.yaml)")
    show.set_defaults(func=run_show)


def run_show(args: argparse.Namespace) -> int:
    """Print the effective configuration; returns the exit status."""
    cwd = Path.cwd()
    if (cwd / "infra" / "config.py").is_file() and str(cwd) not in sys.path:
        sys.path.insert(0, str(cwd))
    try:
        config_module = importlib.import_module("infra.config")
    except ImportError:
        sys.stderr.write(
            "bedrock-ops config: error: the app's configuration schema (infra/config.py) is not here: run the "
            "command from the project checkout (the folder that holds infra/)\n"
        )
        return 2
    try:
        config = config_module.load_config(args.config)
    except config_module.ConfigError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    sys.stdout.write(config_module.effective_config_yaml(config))
    return 0
