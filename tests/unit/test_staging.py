"""Every handler's asset, as the synth stages it: self-contained, with the runtime it imports, under 50 KB."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk.assertions import Template

from bedrock_ops._core.functions import HandlerFunction
from bedrock_ops._core.staging import runtime_files, squeeze, stage, strip_docstrings
from bedrock_ops.data._validator_asset import core_files
from bedrock_ops.serving.stable_endpoint import promoter_files
from tests.support import LAMBDA_DIR, new_stack

HANDLERS = sorted(p.parent.name for p in LAMBDA_DIR.glob("*/index.py"))


def _staged(handler: str, folder: Path) -> Path:
    extra = {"dataset_validator": core_files, "serving_promoter": promoter_files}.get(handler)
    stage(folder, handler, extra() if extra else ())
    return folder


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_every_handler_folder_is_covered() -> None:
    assert len(HANDLERS) == 14 and "_runtime" not in HANDLERS


@pytest.mark.parametrize("handler", HANDLERS)
def test_staged_asset_stays_under_50_kb(handler: str, tmp_path: Path) -> None:
    assert _size(_staged(handler, tmp_path)) < 50_000


@pytest.mark.parametrize("handler", HANDLERS)
def test_staged_asset_imports_on_its_own_with_the_runtime(handler: str, tmp_path: Path) -> None:
    folder = _staged(handler, tmp_path)
    # The asset, the standard library and boto3 on the path, as in Lambda: not the repository's sources.
    repo = LAMBDA_DIR.parent
    hidden = [str(p) for p in (repo, repo / "constructs", LAMBDA_DIR)]
    script = (
        "import os, sys; hidden = set(sys.argv[2:]);"
        "sys.path[:] = [sys.argv[1]] + [p for p in sys.path if os.path.realpath(p or '.') not in hidden];"
        "import index, _runtime.logs as logs;"
        "assert index.__file__.startswith(sys.argv[1]) and logs.__file__.startswith(sys.argv[1]);"
        "assert all(m.__file__.startswith(sys.argv[1]) for n, m in sys.modules.items()"
        " if n.split('.')[0] in {'_runtime', 'bedrock_ops'} and getattr(m, '__file__', None));"
        "print(sorted(m.split('.')[1] for m in sys.modules if m.startswith('_runtime.')))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", script, str(folder), *hidden],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=folder,
    )
    assert result.returncode == 0, result.stderr
    staged = sorted(p.stem for p in (folder / "_runtime").glob("*.py") if p.stem != "__init__")
    assert result.stdout.split("\n")[0] == str(staged)


@pytest.mark.parametrize("handler", HANDLERS)
def test_staged_python_is_the_repository_code_without_docstrings(handler: str, tmp_path: Path) -> None:
    folder = _staged(handler, tmp_path)
    sources = {"index.py": LAMBDA_DIR / handler / "index.py"}
    sources.update({f.target: f.source for f in runtime_files(LAMBDA_DIR / handler / "index.py")})
    for target, source in sources.items():
        staged = (folder / target).read_text()
        assert staged == strip_docstrings(source.read_text())
        # The same program: squeezing spaces leaves the syntax tree as ast.unparse wrote it.
        unsqueezed = ast.unparse(ast.parse(strip_docstrings(source.read_text())))
        assert ast.dump(ast.parse(staged)) == ast.dump(ast.parse(unsqueezed)), target


def test_a_handler_ships_only_the_runtime_modules_it_imports(tmp_path: Path) -> None:
    status = {p.name for p in (_staged("customization_status", tmp_path / "a") / "_runtime").iterdir()}
    throughput = {p.name for p in (_staged("provisioned_throughput", tmp_path / "b") / "_runtime").iterdir()}
    assert status == {"__init__.py", "clients.py", "errors.py", "logs.py"}
    assert throughput == status | {"cfn.py", "retry.py"}


def test_an_import_of_a_runtime_module_that_does_not_exist_fails_the_staging(tmp_path: Path) -> None:
    entry = tmp_path / "index.py"
    entry.write_text("def f():\n    from _runtime.nowhere import x\n    return x\n")
    with pytest.raises(FileNotFoundError, match="the handler runtime has no module 'nowhere'"):
        runtime_files(entry)


@pytest.mark.parametrize(
    ("line", "squeezed"),
    [
        ("a, b = f(x=1, *args, **kw)", "a,b=f(x=1,*args,**kw)"),
        ("y = x not in {'a': 1} and z is not None", "y=x not in{'a':1}and z is not None"),
        ("return 'x' if n > -1 else b'y'", "return 'x' if n>-1 else b'y'"),
        ("x = f'{a} and {b}'", "x = f'{a} and {b}'"),
    ],
)
def test_squeeze_drops_only_the_spaces_tokens_do_not_need(line: str, squeezed: str) -> None:
    assert squeeze(line) == squeezed
    assert ast.dump(ast.parse(squeezed)) == ast.dump(ast.parse(line))


def test_handler_function_stages_its_asset_with_the_runtime_by_default() -> None:
    stack = new_stack()
    HandlerFunction(stack, "Status", handler="customization_status", description="status")
    assembly = stack.node.root.synth()  # type: ignore[attr-defined]
    (function,) = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    folder = Path(assembly.directory) / f"asset.{function['Properties']['Code']['S3Key'].split('.')[0]}"
    assert (folder / "_runtime" / "clients.py").is_file()
    assert (folder / "index.py").read_text() == strip_docstrings(
        (LAMBDA_DIR / "customization_status" / "index.py").read_text()
    )


def test_stripped_sources_are_cached_by_content_and_give_the_same_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bedrock_ops._core import staging

    monkeypatch.setattr(staging, "_CACHE", tmp_path)
    source = '"""Doc."""\n\n\ndef f(x: int) -> int:\n    """Doc."""\n    return x + 1\n'
    first = staging._stripped(source)
    assert first == staging.strip_docstrings(source)
    (cached,) = tmp_path.glob("*.py")
    cached.write_text("def f(x):\n return x + 2\n", encoding="utf-8")  # the cache is what is read next time
    assert staging._stripped(source) == "def f(x):\n return x + 2\n"
    assert staging._stripped(source + "\n# changed\n") == first  # other text, other key


def test_functions_of_one_handler_with_different_extra_files_get_different_assets(tmp_path: Path) -> None:
    from bedrock_ops._core.staging import StagedFile, handler_code

    one, two = tmp_path / "one.py", tmp_path / "two.py"
    one.write_text("X = 1\n")
    two.write_text("X = 2\n")
    stack = new_stack()
    for name, extra in (("One", one), ("Two", two), ("None", None)):
        files = [StagedFile("user_reward.py", extra)] if extra else []
        HandlerFunction(
            stack, name, handler="reward_function", description=name, code=handler_code("reward_function", files)
        )
    keys = {
        f["Properties"]["Code"]["S3Key"]
        for f in Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    }
    assert len(keys) == 3
