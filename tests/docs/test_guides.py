"""The guides' code runs as written: each ``python`` block is an example app synthesized by tests/app/test_examples.py
or is synthesized here with cdk-nag and cfn-lint; each ``bash`` block's ``bedrock-ops`` commands run offline and
succeed; its ``make`` targets exist; ``text`` blocks of ``bedrock-ops`` commands (those that call AWS) parse.
The cfn-lint W3005 note of the "own CDK app" guide holds for a consumer project without this repository's
``.cfnlintrc``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from cdk_nag import AwsSolutionsChecks

from tests.conftest import EXAMPLES
from tests.docs.docs_blocks import DOCS, ROOT, SNIPPET, Block, blocks, commands

PYTHON = blocks("python")
BASH = blocks("bash")
#: shell commands the guides show but this test does not run: installs and the Node set-up (make: its targets exist)
NOT_RUN = {"pip", "npm", "npx"}


def _makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", text, flags=re.M))


_APPS: dict[str, App] = {}


def _synthesize(block: Block) -> App:
    """Run the block (once per session) and return its `app`."""
    if block.id in _APPS:
        return _APPS[block.id]
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(block.text, str(block.page), "exec"), namespace)
    app = namespace["app"]
    assert isinstance(app, App), f"{block.id}: a runnable block must build `app`"
    _APPS[block.id] = app
    return app


def test_every_guide_shows_code() -> None:
    guides = {p for p in (DOCS / "guides").glob("*.md")}
    with_code = {b.page for b in PYTHON + BASH}
    assert guides - with_code == set()


@pytest.mark.parametrize("block", PYTHON, ids=[b.id for b in PYTHON])
def test_python_block_synthesizes_with_nag_and_cfn_lint_clean(block: Block, tmp_path: Path) -> None:
    from tests.support import run_cfn_lint

    snippet = SNIPPET.match(block.text.strip())
    if snippet:
        # Included verbatim from examples/ (pymdownx.snippets), which tests/app/test_examples.py synthesizes
        # with its cdk-nag plugin and runs cfn-lint on.
        assert ROOT / snippet.group(1) in EXAMPLES, f"{block.id}: {snippet.group(1)} is not an example app"
        return
    assert "--8<--" not in block.text, f"{block.id}: an include must be the block's only line"
    app = _synthesize(block)
    report = AwsSolutionsChecks().validate_scope(app)
    assert [f"{v.rule_name}: {r.construct_path}" for v in report.violations for r in v.violating_resources] == []
    assembly = app.synth()
    templates = [Path(assembly.directory) / s.template_file for s in assembly.stacks_recursively]
    assert templates
    result = run_cfn_lint(*templates)
    assert (result.returncode, result.stdout) == (0, "")


def _bedrock_ops(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bedrock_ops.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        # This checkout's package, not the one the venv's editable install points at (another worktree).
        env={**os.environ, "PYTHONPATH": str(ROOT / "constructs")},
    )


@pytest.mark.parametrize("block", BASH, ids=[b.id for b in BASH])
def test_shell_block_runs_offline(block: Block, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    # Relative paths of the guides are those of a checkout; written files land in tmp_path.
    for name in ("examples", "config"):
        (tmp_path / name).symlink_to(ROOT / name)
    for argv in commands(block):
        program, *args = argv
        if program == "make":
            assert args[0] in _makefile_targets(), f"{block.id}: make {args[0]}: no such target"
        elif program == "bedrock-ops":
            if "cdk.out" in args and not (tmp_path / "cdk.out").exists():
                # `make synth`'s output: the session's synthesized default app
                (tmp_path / "cdk.out").symlink_to(request.getfixturevalue("default_assembly").directory)
            result = _bedrock_ops(args, tmp_path)
            assert result.returncode == 0, f"{block.id}: bedrock-ops {' '.join(args)}\n{result.stdout}{result.stderr}"
        else:
            assert program in NOT_RUN, f"{block.id}: {program}: neither run by this test nor listed in NOT_RUN"


def test_text_blocks_of_bedrock_ops_commands_parse() -> None:
    from bedrock_ops.cli import build_parser

    shown = [(b, argv) for b in blocks("text") for argv in commands(b) if argv[0] == "bedrock-ops"]
    assert shown
    for block, argv in shown:
        args = build_parser().parse_args(argv[1:])
        assert getattr(args, "func", None) is not None, f"{block.id}: {' '.join(argv)}"


@pytest.fixture(scope="module")
def consumer_templates(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The "own CDK app" guide's stack, and a construct with a custom resource (ModelAccess)."""
    from bedrock_ops import ModelAccess

    (first,) = [b for b in PYTHON if b.page.name == "own-cdk-app.md"]
    app = _synthesize(first)
    other = App(outdir=str(tmp_path_factory.mktemp("access.out")))
    ModelAccess(Stack(other, "Access", env=Environment(region="us-east-1")), "Access", models=["amazon.nova-lite-v1:0"])
    return [str(Path(a.directory) / s.template_file) for a in (app.synth(), other.synth()) for s in a.stacks]


def _cfn_lint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    return subprocess.run([str(cfn_lint), *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300)


def test_consumer_templates_warn_only_w3005_without_the_repos_cfnlintrc(
    tmp_path: Path, consumer_templates: list[str]
) -> None:
    result = _cfn_lint(tmp_path, "--", *consumer_templates)
    findings = [line for line in result.stdout.splitlines() if re.match(r"^[EWI]\d{4} ", line)]
    assert findings
    assert [f for f in findings if not f.startswith("W3005 ")] == []


def test_the_guides_cfnlintrc_silences_them(tmp_path: Path, consumer_templates: list[str]) -> None:
    page = DOCS / "guides" / "own-cdk-app.md"
    (config,) = [b.text for b in blocks("yaml") if b.page == page]
    project = tmp_path / "consumer"
    project.mkdir()
    (project / ".cfnlintrc").write_text(config, encoding="utf-8")
    with_config = _cfn_lint(project, "--", *consumer_templates)
    assert (with_config.returncode, with_config.stdout) == (0, "")
