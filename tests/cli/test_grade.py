"""``bedrock-ops grade``: the reward function tried locally, with scores, failures by line and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bedrock_ops.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "examples" / "datasets" / "rft" / "train.jsonl"
EXAMPLE_REWARD = ROOT / "examples" / "rewards" / "multiplication.py"


def small_dataset(tmp_path: Path, broken_line: str | None = None) -> Path:
    lines = [
        json.dumps({"messages": [{"role": "user", "content": f"{i}+{i}?"}], "reference_answer": str(2 * i)})
        for i in range(4)
    ]
    if broken_line is not None:
        lines[2] = broken_line
    path = tmp_path / "rft.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_example_reward_scores_its_reference_answers_full_marks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", "--reward-function", str(EXAMPLE_REWARD), "--dataset", str(DATASET), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["scores"]["count"] == 120 and report["scores"]["min"] == 1.0
    assert report["time_per_call"]["mean_ms"] >= 0 and report["against"] == "the reference answers"


def test_responses_are_graded_and_the_distribution_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    responses = tmp_path / "responses.jsonl"
    responses.write_text("\n".join(json.dumps({"response": r}) for r in ["0", "2", "five", "7"]) + "\n")
    status = main(
        ["grade", "--template", "numeric", "--dataset", str(small_dataset(tmp_path)), "--responses", str(responses)]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "4 graded against the given responses" in out and "scores: min 0.0 mean 0.5" in out


def test_a_record_that_is_not_json_is_a_failure_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["grade", "--template", "exact", "--dataset", str(small_dataset(tmp_path, "{oops"))]) == 1
    assert ":line 3: not valid JSON" in capsys.readouterr().out


def test_a_reward_that_raises_is_a_failure_with_its_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = tmp_path / "bad_reward.py"
    code.write_text("def reward(response, sample):\n    return 1 / (int(response) - 4)\n")
    assert main(["grade", "--reward-function", str(code), "--dataset", str(small_dataset(tmp_path))]) == 1
    out, err = capsys.readouterr()
    assert ":line 3: the reward function raised ZeroDivisionError" in out and "Traceback" not in out + err


def test_a_reward_outside_the_contract_is_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = tmp_path / "wrong_shape.py"
    code.write_text("def lambda_handler(event, context):\n    return {'score': 1}\n")
    assert main(["grade", "--reward-function", str(code), "--dataset", str(small_dataset(tmp_path))]) == 1
    assert "must return a list with one result per sample" in capsys.readouterr().out


def test_a_reward_package_folder_is_loaded(tmp_path: Path) -> None:
    package = tmp_path / "graders"
    package.mkdir()
    (package / "__init__.py").write_text("from .rules import reward\n")
    (package / "rules.py").write_text("def reward(response, sample):\n    return 1.0\n")
    assert main(["grade", "--reward-function", str(package), "--dataset", str(small_dataset(tmp_path))]) == 0


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("import nonexistent_module_xyz\n", "cannot import it: ModuleNotFoundError"),
        ("def grade(x):\n    return 1\n", "defines neither reward(response, sample) nor lambda_handler"),
        ("def reward(:\n", "cannot import it: SyntaxError"),
    ],
)
def test_a_reward_function_that_cannot_be_used_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], code: str, message: str
) -> None:
    path = tmp_path / "reward.py"
    path.write_text(code)
    assert main(["grade", "--reward-function", str(path), "--dataset", str(small_dataset(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert f"reward function {path}: {message}" in err and "Traceback" not in err


def test_a_missing_dataset_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", "--template", "exact", "--dataset", str(tmp_path / "none.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_bad_template_config_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["grade", "--template", "regex", "--template-config", "{bad", "--dataset", str(small_dataset(tmp_path))])
        == 2
    )
    assert "--template-config is not valid JSON" in capsys.readouterr().err


def test_validate_dataset_task_rft_checks_the_rft_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-dataset", str(DATASET), "--task", "rft", "--base-model", "amazon.nova-2-lite-v1:0"]) == 0
    assert "PASSED (120 records" in capsys.readouterr().out
    assert (
        main(
            [
                "validate-dataset",
                str(small_dataset(tmp_path)),
                "--task",
                "rft",
                "--base-model",
                "amazon.nova-2-lite-v1:0",
            ]
        )
        == 1
    )
    assert "4 training records; amazon.nova-2-lite-v1:0 needs at least 100" in capsys.readouterr().out


def test_validate_dataset_task_rft_refuses_a_model_without_rft(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-dataset", str(DATASET), "--task", "rft", "--base-model", "amazon.nova-micro-v1:0"]) == 2
    assert "does not support REINFORCEMENT_FINE_TUNING" in capsys.readouterr().err
