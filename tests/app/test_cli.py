from __future__ import annotations

import pytest

from bedrock_ops import __version__
from bedrock_ops.cli import build_parser, main


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"bedrock-ops {__version__}"


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: bedrock-ops" in capsys.readouterr().err


def test_parser_is_named_after_the_console_script() -> None:
    assert build_parser().prog == "bedrock-ops"
