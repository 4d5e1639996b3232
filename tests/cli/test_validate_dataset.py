"""``bedrock-ops validate-dataset``: verdicts, exit statuses and output."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bedrock_ops._cli import validate_dataset
from bedrock_ops.cli import main

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0:200k"
TITAN = "amazon.titan-text-express-v1"


def _claude(i: int) -> str:
    messages = [
        {"role": "user", "content": f"Question {i}?"},
        {"role": "assistant", "content": f"Answer {i}."},
    ]
    return json.dumps({"system": "Be brief.", "messages": messages})


@pytest.fixture
def valid_file(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(_claude(i) + "\n" for i in range(40)))
    return path


@pytest.fixture
def invalid_file(tmp_path: Path) -> Path:
    lines = [_claude(i) for i in range(40)]
    lines[4] = json.dumps({"messages": [{"role": "assistant", "content": "Hi"}]})
    lines[9] = "{oops"
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_valid_dataset_exits_0_and_says_passed(valid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-dataset", str(valid_file), "--base-model", HAIKU]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{valid_file}: PASSED (40 records")


def test_invalid_dataset_exits_1_and_names_each_bad_line(
    invalid_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate-dataset", str(invalid_file), "--base-model", HAIKU]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out
    assert f"{invalid_file}:line 5: messages[0].role: the first turn must be from the user" in out
    assert f"{invalid_file}:line 10: not valid JSON" in out


def test_json_flag_prints_the_report(invalid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-dataset", str(invalid_file), "--base-model", HAIKU, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "failed"
    assert report["records"] == 40
    assert [e["line"] for e in report["errors"]] == [5, 10]


def test_max_errors_limits_the_listed_errors(invalid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["validate-dataset", str(invalid_file), "--base-model", HAIKU, "--json", "--max-errors", "1"]
    assert main(argv) == 1
    report = json.loads(capsys.readouterr().out)
    assert (len(report["errors"]), report["error_count"]) == (1, 2)


def test_split_selects_the_quota(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "val.jsonl"
    path.write_text("".join(_claude(i) + "\n" for i in range(5)))  # < 32: too few to train on
    assert main(["validate-dataset", str(path), "--base-model", HAIKU]) == 1
    assert main(["validate-dataset", str(path), "--base-model", HAIKU, "--split", "validation"]) == 0


def test_task_selects_the_format(tmp_path: Path) -> None:
    path = tmp_path / "cpt.jsonl"
    path.write_text(json.dumps({"input": "Raw domain text."}) + "\n")
    assert main(["validate-dataset", str(path), "--base-model", TITAN]) == 1
    assert main(["validate-dataset", str(path), "--base-model", TITAN, "--task", "continued-pre-training"]) == 0


def test_unknown_model_exits_2_with_suggestion(valid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-dataset", str(valid_file), "--base-model", "anthropic.claude-3-haiku"]) == 2
    err = capsys.readouterr().err
    assert "--base-model 'anthropic.claude-3-haiku' is not a known Bedrock foundation model" in err
    assert "did you mean 'anthropic.claude-3-haiku-20240307-v1:0'" in err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-dataset", str(tmp_path / "absent.jsonl"), "--base-model", HAIKU]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_task_the_model_does_not_support_exits_2(valid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["validate-dataset", str(valid_file), "--base-model", HAIKU, "--task", "continued-pre-training"]
    assert main(argv) == 2
    assert "does not support CONTINUED_PRE_TRAINING" in capsys.readouterr().err


def test_bad_option_value_exits_2(valid_file: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["validate-dataset", str(valid_file), "--base-model", HAIKU, "--max-errors", "-1"])
    assert caught.value.code == 2


def test_models_file_option_adds_a_model(valid_file: Path, tmp_path: Path) -> None:
    extra = tmp_path / "models.json"
    entry = {
        "provider": "Example",
        "name": "Chat",
        "customization": {"FINE_TUNING": {"formats": ["claude-conversation"]}},
    }
    extra.write_text(json.dumps({"models": {"example.chat-v1": entry}}))
    argv = ["validate-dataset", str(valid_file), "--base-model", "example.chat-v1", "--models-file", str(extra)]
    assert main(argv) == 0


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_goes_to_a_terminal_stderr_only(
    valid_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(validate_dataset, "PROGRESS_MIN_BYTES", 100)
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["validate-dataset", str(valid_file), "--base-model", HAIKU]) == 0
    assert "100.0%" in terminal.getvalue()
    assert "[" not in capsys.readouterr().out.splitlines()[0].split("(")[0]


def test_no_progress_bar_when_stderr_is_not_a_terminal(
    valid_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(validate_dataset, "PROGRESS_MIN_BYTES", 100)
    assert main(["validate-dataset", str(valid_file), "--base-model", HAIKU]) == 0
    assert capsys.readouterr().err == ""


def test_no_progress_bar_for_small_files(valid_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["validate-dataset", str(valid_file), "--base-model", HAIKU]) == 0
    assert terminal.getvalue() == ""


# -- --task evaluation --------------------------------------------------------------------------

EVALUATION_EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "evaluation"


def test_evaluation_example_exits_0_without_a_base_model(capsys: pytest.CaptureFixture[str]) -> None:
    path = EVALUATION_EXAMPLES / "prompts.jsonl"
    assert main(["validate-dataset", str(path), "--task", "evaluation"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: PASSED (4 records")
    assert "format evaluation-prompts, 4 with referenceResponse, 3 categories" in out


def test_invalid_evaluation_dataset_exits_1_and_names_each_bad_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "prompts.jsonl"
    rows = [{"prompt": "Q?", "referenceResponse": "A."}, {"referenceResponse": "A."}, {"prompt": "Q?", "category": 1}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["validate-dataset", str(path), "--task", "evaluation"]) == 1
    out = capsys.readouterr().out
    assert f"{path}:line 2: prompt: required field is missing" in out
    assert f"{path}:line 3: category: must be a non-empty string, got 1" in out


def test_evaluation_require_reference_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_text(json.dumps({"prompt": "Q?"}) + "\n")
    argv = ["validate-dataset", str(path), "--task", "evaluation", "--base-model", "my-rag-app"]
    assert main(argv) == 0
    capsys.readouterr()
    assert main([*argv, "--require-reference", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["format"], report["base_model"]) == ("evaluation-prompts", "my-rag-app")
    assert [e["field"] for e in report["errors"]] == ["referenceResponse"]


def test_customization_tasks_still_need_a_base_model(valid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-dataset", str(valid_file)]) == 2
    assert "--base-model is required for --task fine-tuning" in capsys.readouterr().err


def test_require_reference_is_for_evaluation_only(valid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-dataset", str(valid_file), "--base-model", HAIKU, "--require-reference"]) == 2
    assert "--require-reference applies to --task evaluation only" in capsys.readouterr().err


def test_missing_evaluation_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-dataset", str(tmp_path / "nope.jsonl"), "--task", "evaluation"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_help_lists_the_evaluation_task(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["validate-dataset", "--help"])
    out = capsys.readouterr().out
    assert "evaluation" in out
    assert "--require-reference" in out


NOVA2 = "amazon.nova-2-lite-v1:0"


def _rft(i: int) -> str:
    return json.dumps({"messages": [{"role": "user", "content": f"{i}+1?"}], "reference_answer": str(i + 1)})


def _batch(i: int) -> str:
    messages = [{"role": "user", "content": "hi"}]
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": messages}
    return json.dumps({"recordId": f"R{i}", "modelInput": body})


def test_task_rft_names_the_bad_line_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [_rft(i) for i in range(100)]
    lines[6] = json.dumps({"messages": [{"role": "user", "content": "q"}]})
    path = tmp_path / "rft.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert main(["validate-dataset", str(path), "--task", "rft", "--base-model", NOVA2]) == 1
    out = capsys.readouterr().out
    assert "FAILED (100 records" in out and "format rft-prompts" in out
    assert f"{path}:line 7: reference_answer: required" in out


def test_task_batch_exits_0_for_valid_input_without_a_base_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "input.jsonl"
    path.write_text("".join(_batch(i) + "\n" for i in range(3)))
    assert main(["validate-dataset", str(path), "--task", "batch"]) == 0
    assert "PASSED (3 records" in capsys.readouterr().out


def test_task_batch_checks_the_models_native_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [_batch(i) for i in range(3)]
    lines[1] = json.dumps({"recordId": "R1", "modelInput": {"messages": [{"role": "user", "content": "hi"}]}})
    path = tmp_path / "input.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert main(["validate-dataset", str(path), "--task", "batch", "--base-model", HAIKU, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "batch-records" and report["base_model"] == "anthropic.claude-3-haiku-20240307-v1:0"
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(2, "modelInput")]
    assert "missing anthropic_version, max_tokens" in report["errors"][0]["message"]


def test_task_batch_body_format_converse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "input.jsonl"
    path.write_text(json.dumps({"recordId": "A", "modelInput": {"system": []}}) + "\n")
    assert main(["validate-dataset", str(path), "--task", "batch", "--body-format", "converse"]) == 1
    assert "line 1: modelInput: missing messages for the converse request format" in capsys.readouterr().out


def test_body_format_is_for_task_batch_only(valid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-dataset", str(valid_file), "--base-model", HAIKU, "--body-format", "converse"]) == 2
    assert "--body-format applies to --task batch only" in capsys.readouterr().err


def test_task_batch_unknown_model_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "input.jsonl"
    path.write_text(_batch(0) + "\n")
    assert main(["validate-dataset", str(path), "--task", "batch", "--base-model", "nope.model-v1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bedrock-ops validate-dataset: error: --base-model") and "Traceback" not in err
