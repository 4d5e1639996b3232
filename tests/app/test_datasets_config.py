"""Datasets in the configuration: a broken local file stops `cdk synth` with its line and reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "datasets" / "converse-single-turn" / "train.jsonl"


def _config(tmp_path: Path, dataset_path: Path, base_model: str = "amazon.nova-micro-v1:0") -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        "datasets:\n"
        "  local:\n"
        "    - name: desk\n"
        f"      path: {dataset_path}\n"
        f"      base_model: {base_model}\n"
        "      split: training\n",
        encoding="utf-8",
    )
    return config


def _synth(config: Path, outdir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"config": str(config)}),
        "CDK_OUTDIR": str(outdir),
        "JSII_NODE": str(ROOT / "node_modules" / ".bin" / "node"),
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py")], env=env, capture_output=True, text=True, check=False, timeout=300
    )


def test_broken_local_dataset_fails_the_synth_with_line_and_reason(tmp_path: Path) -> None:
    broken = tmp_path / "train.jsonl"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace('"role": "assistant"', '"role": "bot"')
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outdir = tmp_path / "cdk.out"
    config = _config(tmp_path, broken)
    result = _synth(config, outdir)
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"error: {config}: datasets.local.0.path: invalid datasets; nothing was synthesized or uploaded:"
    )
    assert f"{broken}:line 5: messages[1].role: unknown role 'bot'; allowed: user, assistant" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(outdir.glob("*.template.json"))


def test_default_app_uploads_the_sample_datasets_and_deploys_the_validator(default_templates: list[Path]) -> None:
    (data_template,) = [p for p in default_templates if "data" in p.name]
    template = json.loads(data_template.read_text(encoding="utf-8"))
    resources = template["Resources"].values()
    prefixes = sorted(
        r["Properties"]["DestinationBucketKeyPrefix"] for r in resources if r["Type"] == "Custom::CDKBucketDeployment"
    )
    assert prefixes == [
        "training/service-desk-haiku/",
        "training/service-desk-nova/",
        "training/service-desk-titan-cpt/",
        "training/service-desk-titan/",
        "validation/service-desk-nova/",
    ]
    rules = [r for r in resources if r["Type"] == "AWS::Events::Rule"]
    assert any(r["Properties"]["EventPattern"].get("detail-type") == ["Object Created"] for r in rules)


def test_unknown_base_model_in_datasets_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_config(tmp_path, SAMPLE, base_model="amazon.nova-mikro-v1:0"))
    message = str(caught.value)
    expected = "datasets: local[0] (desk): base_model 'amazon.nova-mikro-v1:0' is not a known Bedrock foundation model"
    assert f"{expected}; did you mean" in message


def test_task_the_model_lacks_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "datasets:\n  validator:\n    base_model: amazon.nova-lite-v1:0\n    task: continued-pre-training\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert "datasets.validator: amazon.nova-lite-v1:0 does not support CONTINUED_PRE_TRAINING" in str(caught.value)


def _models_file(tmp_path: Path) -> Path:
    path = tmp_path / "models.json"
    customization = {"FINE_TUNING": {"formats": ["converse"], "hyperparameters": "nova"}}
    path.write_text(
        json.dumps(
            {"models": {"example.chat-v1": {"provider": "Example", "name": "Chat", **{"customization": customization}}}}
        ),
        encoding="utf-8",
    )
    return path


def test_top_level_models_file_adds_models_to_every_section(tmp_path: Path) -> None:
    config = _config(tmp_path, SAMPLE, base_model="example.chat-v1")
    config.write_text(f"models_file: {_models_file(tmp_path)}\n" + config.read_text(), encoding="utf-8")
    config.write_text(config.read_text() + "model_access:\n  models: [example.chat-v1]\n", encoding="utf-8")
    loaded = load_config(config)
    assert loaded.datasets.local[0].base_model == "example.chat-v1"
    assert loaded.model_access.models == ["example.chat-v1"]


def test_model_from_no_models_file_is_unknown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'example\.chat-v1' is not a known Bedrock foundation model"):
        load_config(_config(tmp_path, SAMPLE, base_model="example.chat-v1"))


def test_broken_models_file_names_the_key_and_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "models.json"
    broken.write_text('{"models": {"x.y-v1": {"name": "Y"}}}', encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(f"models_file: {broken}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"models_file: .*models\.x\.y-v1\.provider must be a non-empty string"):
        load_config(config)


RFT_SAMPLE = ROOT / "examples" / "datasets" / "rft" / "train.jsonl"


def _local_config(tmp_path: Path, path: Path, base_model: str, task: str) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"datasets:\n  local:\n    - name: desk\n      path: {path}\n"
        f"      base_model: {base_model}\n      task: {task}\n",
        encoding="utf-8",
    )
    return config


@pytest.mark.parametrize(
    ("task", "base_model", "bad_line", "expected"),
    [
        (
            "reinforcement-fine-tuning",
            "amazon.nova-2-lite-v1:0",
            json.dumps({"messages": [{"role": "user", "content": "q"}]}),
            "line 3: reference_answer: required",
        ),
        (
            "batch",
            "anthropic.claude-3-haiku-20240307-v1:0",
            json.dumps({"recordId": "R2", "modelInput": {"prompt": "p"}}),
            "line 3: modelInput: missing anthropic_version, max_tokens, messages",
        ),
    ],
)
def test_broken_local_rft_or_batch_file_fails_the_synth_with_key_path_line_and_field(
    tmp_path: Path, task: str, base_model: str, bad_line: str, expected: str
) -> None:
    if task == "batch":
        body = {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 9,
            "messages": [{"role": "user", "content": "x"}],
        }
        lines = [json.dumps({"recordId": f"R{i}", "modelInput": body}) for i in range(4)]
    else:
        lines = RFT_SAMPLE.read_text(encoding="utf-8").splitlines()
    lines[2] = bad_line
    broken = tmp_path / "input.jsonl"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = _local_config(tmp_path, broken, base_model, task)
    result = _synth(config, tmp_path / "cdk.out")
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(
        f"error: {config}: datasets.local.0.path: invalid datasets; nothing was synthesized or uploaded:"
    )
    assert f"{broken}:{expected}" in result.stderr
    assert "Traceback" not in result.stderr
