"""The ``bedrock-ops`` command line.

Each subcommand lives in its own module under ``bedrock_ops._cli`` and exposes
``register(subparsers)``, which adds a parser whose ``func`` default runs the command and
returns the process exit status. Add a subcommand by listing its module in ``_SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bedrock_ops import __version__

# Modules under bedrock_ops._cli, one per subcommand (or group of subcommands).
_SUBCOMMANDS: tuple[str, ...] = ("validate_dataset", "train", "score", "cost", "compare", "batch", "grade")


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="bedrock-ops",
        description="Tools for running Amazon Bedrock models in production.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _SUBCOMMANDS:
        importlib.import_module(f"bedrock_ops._cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 failed check, 2 usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    status: int = func(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
