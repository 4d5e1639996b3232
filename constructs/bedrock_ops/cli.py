"""The ``bedrock-ops`` command line.

Each subcommand lives in its own module under ``bedrock_ops._cli`` and exposes
``register(subparsers)``, which adds a parser whose ``func`` default runs the command and
returns the process exit status. Add a subcommand by listing its module in ``_SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence

from bedrock_ops import __version__
from bedrock_ops._node import use_supported_node

# Modules under bedrock_ops._cli, one per subcommand (or group of subcommands).
_SUBCOMMANDS: tuple[str, ...] = ("validate_dataset", "train", "score", "cost", "compare", "batch", "config", "grade")
_SUBCOMMANDS += ("promote",)

# reST markup of docstrings used as help text: ``literal``, :func:`name`, `title`
_MARKUP = re.compile(r":[a-z]+:`~?([^`]+)`|``([^`]+)``|`([^`]+)`")


def plain(text: str | None) -> str | None:
    """``text`` without reST markup: ``bedrock-ops train`` -> bedrock-ops train, :func:`f` -> f."""
    if text is None:
        return None
    return _MARKUP.sub(lambda m: next(g for g in m.groups() if g is not None), text)


def _plain_help(parser: argparse.ArgumentParser) -> None:
    parser.description = plain(parser.description)
    parser.epilog = plain(parser.epilog)
    for action in parser._actions:
        if isinstance(action.help, str):
            action.help = plain(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                choice.help = plain(choice.help)
            for sub in action.choices.values():
                _plain_help(sub)


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
    _plain_help(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 failed check, 2 usage error)."""
    use_supported_node()  # jsii (cost --config, compare) on the project's pinned Node, not an end-of-life one
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
