"""The command line the way a CDK engineer expects it: offline dry runs, explained dataset errors, per-model
record minimums, bounded options, help without reST markup, jsii on the pinned Node."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bedrock_ops.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
NOVA = "amazon.nova-micro-v1:0"
LLAMA_32 = "meta.llama3-2-1b-instruct-v1:0"
ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:ChatCustomization"


def _converse(i: int) -> str:
    return json.dumps(
        {
            "schemaVersion": "bedrock-conversation-2024",
            "system": [{"text": "Be brief."}],
            "messages": [
                {"role": "user", "content": [{"text": f"Question {i}?"}]},
                {"role": "assistant", "content": [{"text": f"Answer {i}."}]},
            ],
        }
    )


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_train_dry_run_needs_no_credentials_and_calls_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    def no_client(*args: object, **kwargs: object) -> None:
        raise AssertionError("--dry-run created an AWS client")

    monkeypatch.setattr("boto3.client", no_client)
    status = main(["train", "--state-machine-arn", ARN, "--dry-run"])

    out = capsys.readouterr()
    assert status == 0
    assert out.out.startswith("aws stepfunctions start-execution --region us-east-1")
    assert "--name ChatCustomization-manual-" in out.out
    assert "nothing was called" in out.err


def test_validate_dataset_says_which_format_a_file_looks_like(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "train.jsonl", [json.dumps({"prompt": f"q{i}", "completion": f"a{i}"}) for i in range(32)])

    status = main(["validate-dataset", str(path), "--base-model", NOVA])

    out = capsys.readouterr().out
    assert status == 1
    assert "this looks like the instruction format (prompt, completion)" in out
    assert f"{NOVA} FINE_TUNING takes the converse format" in out
    assert out.count("required field is missing") <= 3
    assert "more errors of the same mismatch" in out


def test_validate_dataset_suggests_a_misspelt_field_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [_converse(i).replace('"messages"', '"mesages"') for i in range(10)]
    path = _write(tmp_path / "train.jsonl", records)

    assert main(["validate-dataset", str(path), "--base-model", NOVA, "--json"]) == 1

    report = json.loads(capsys.readouterr().out)
    assert (
        "required field 'messages' is missing; the records have 'mesages': did you mean 'messages'?"
        in (report["hints"])
    )


def test_validate_dataset_applies_the_models_minimum_total_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The knowledge base's Llama 3.2 fine-tuning quota: at least 100 training plus validation records.
    path = _write(tmp_path / "train.jsonl", [_converse(i) for i in range(32)])

    status = main(["validate-dataset", str(path), "--base-model", LLAMA_32])

    out = capsys.readouterr().out
    assert status == 1
    assert f"32 training and validation records; {LLAMA_32} needs at least 100 in total" in out


def test_validate_dataset_counts_the_validation_file_towards_the_minimum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    training = _write(tmp_path / "train.jsonl", [_converse(i) for i in range(80)])
    validation = _write(tmp_path / "validation.jsonl", [_converse(i) for i in range(20)])

    status = main(["validate-dataset", str(training), "--base-model", LLAMA_32, "--validation-file", str(validation)])

    assert status == 0, capsys.readouterr().out


@pytest.mark.parametrize("value", ["0", "-1", "10001", "many"])
def test_max_errors_out_of_bounds_is_a_usage_error(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "train.jsonl", [_converse(0)])
    with pytest.raises(SystemExit) as exited:
        main(["validate-dataset", str(path), "--base-model", NOVA, "--max-errors", value])
    assert exited.value.code == 2
    assert f"--max-errors: must be an integer 1-10000, got '{value}'" in capsys.readouterr().err


def _all_help(parser: object) -> list[str]:
    import argparse

    assert isinstance(parser, argparse.ArgumentParser)
    texts = [parser.format_help()]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            texts += [text for sub in action.choices.values() for text in _all_help(sub)]
    return texts


def test_help_texts_carry_no_rest_markup() -> None:
    texts = _all_help(build_parser())
    assert len(texts) > 8
    for text in texts:
        assert "``" not in text and ":func:" not in text and ":class:" not in text, text


def _system_node_path() -> str:
    """PATH without the project's node_modules/.bin: its `node` is the machine's own."""
    return os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if "node_modules" not in p)


BANNER = "!!!!!!!!!!"


def test_cli_runs_jsii_on_the_pinned_node_without_make(tmp_path: Path) -> None:
    # `bedrock-ops cost --config` synthesizes the app (jsii); the machine's node is the system one.
    env = {k: v for k, v in os.environ.items() if not k.startswith("JSII_") and k not in {"CDK_CONTEXT_JSON"}}
    env["PATH"] = _system_node_path()
    env["PYTHONPATH"] = str(ROOT / "constructs")
    code = (
        "import sys; from bedrock_ops.cli import main; import os;"
        "from bedrock_ops._node import use_supported_node;"
        "status = main(['config', 'show']); import aws_cdk; print(os.environ.get('JSII_NODE')); sys.exit(status)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(str(ROOT / "node_modules" / ".bin" / "node"))
    assert BANNER not in result.stderr and "end-of-life" not in result.stderr


CONSUMER_APP = """\
from aws_cdk import App, Stack

from bedrock_ops import BedrockKmsKey

app = App()
BedrockKmsKey(Stack(app, "Consumer"), "Key", alias="alias/consumer")
app.synth()
"""


def test_consumer_synth_through_npx_runs_jsii_on_the_pinned_node(tmp_path: Path) -> None:
    # The README's way for consumer apps: node@22 and aws-cdk in the project's package.json, `npx cdk synth`.
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    (tmp_path / "app.py").write_text(CONSUMER_APP, encoding="utf-8")
    (tmp_path / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JSII_", "CDK_"))}
    env.update(PATH=_system_node_path(), PYTHONPATH=str(ROOT / "constructs"), CDK_DISABLE_VERSION_CHECK="1")
    result = subprocess.run(
        ["npx", "--no-install", "cdk", "synth", "--quiet", "--no-notices"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cdk.out" / "Consumer.template.json").is_file()
    assert BANNER not in result.stderr + result.stdout
    assert "end-of-life" not in result.stderr


def test_every_dataset_format_has_its_fields_listed_for_the_mismatch_message() -> None:
    from bedrock_ops._cli.diagnose import FORMAT_FIELDS
    from bedrock_ops.models.facts import DatasetFormat

    assert set(FORMAT_FIELDS) == set(DatasetFormat)
