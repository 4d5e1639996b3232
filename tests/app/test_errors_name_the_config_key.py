"""Every mistake in a configuration file, a local dataset or a model id ends, through `cdk synth`
(app.py -> infra.app.main), in ``error: <file>: <key path>: <what was wrong>`` and exit status 1: no traceback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra.app import main

ROOT = Path(__file__).resolve().parents[2]
NOVA = "amazon.nova-micro-v1:0"
CONVERSE = ROOT / "examples" / "datasets" / "converse-single-turn" / "train.jsonl"


def _job(training_data_file: Path) -> str:
    return (
        "customization:\n  jobs:\n"
        f"    - {{name: chat, base_model: '{NOVA}', training_data_key: training/chat/train.jsonl,"
        f" training_data_file: '{training_data_file}'}}\n"
    )


def _files(tmp_path: Path) -> dict[str, Path]:
    good = CONVERSE.read_text(encoding="utf-8").splitlines()
    files = {
        "instruction": "".join(json.dumps({"prompt": f"q{i}", "completion": f"a{i}"}) + "\n" for i in range(20)),
        "broken": "\n".join([*good[:4], '{"messages": ', *good[5:]]) + "\n",
    }
    paths = {name: tmp_path / f"{name}.jsonl" for name in (*files, "bom", "binary")}
    for name, text in files.items():
        paths[name].write_text(text, encoding="utf-8")
    paths["bom"].write_bytes(b"\xef\xbb\xbf" + CONVERSE.read_bytes())
    paths["binary"].write_bytes(bytes(range(256)) * 8)
    return paths


# (case, YAML given the temp folder's files, key path in the error, words of the reason)
CASES: list[tuple[str, str, str, str]] = [
    # the frictions found through `make synth`: constructs' ValueErrors mapped to the key that fed them
    (
        "committed throughput without acknowledgment",
        "provisioned_throughput: {enabled: true, commitment: OneMonth}\n",
        "provisioned_throughput.acknowledge_commitment_cost",
        "cannot be cancelled",
    ),
    (
        "unknown throughput model id",
        "provisioned_throughput: {enabled: true, model_id: amazon.titan-text-expres-v1:0:8k}\n",
        "provisioned_throughput.model_id",
        "did you mean 'amazon.titan-text-express-v1'",
    ),
    (
        "local dataset path that does not exist",
        f"datasets: {{local: [{{name: x, path: nope/train.jsonl, base_model: '{NOVA}'}}]}}\n",
        "datasets.local.0.path",
        "cannot read nope/train.jsonl",
    ),
    (
        "training file in the wrong format",
        "{instruction}",
        "customization.jobs.0.training_data_file",
        "looks like the instruction format",
    ),
    (
        "training file with broken JSON on line 5",
        "{broken}",
        "customization.jobs.0.training_data_file",
        "line 5: not valid JSON",
    ),
    ("training file with a BOM", "{bom}", "customization.jobs.0.training_data_file", "byte order mark"),
    ("binary training file", "{binary}", "customization.jobs.0.training_data_file", "invalid UTF-8"),
    ("missing training file", "{missing}", "customization.jobs.0.training_data_file", "No such file or directory"),
    # one per configuration section
    ("project_name", "project_name: Bedrock_Ops\n", "project_name", "should match pattern"),
    ("environment", "environment: {region: us-east-7}\n", "environment.region", "unknown Region"),
    ("models_file", "models_file: nope.json\n", "models_file", "nope.json"),
    ("tags", "tags: {'aws:owner': me}\n", "tags", "must be 1-128 characters and not start with 'aws:'"),
    ("data", "data: {removal_policy: keep}\n", "data.removal_policy", "must be one of 'retain' or 'destroy'"),
    (
        "customization",
        "customization: {jobs: [{name: chat, base_model: amazon.nova-micro-v1:0, training_data_key: t.jsonl,"
        " hyperparameters: {epochCount: 50}}]}\n",
        "customization.jobs.0",
        "epochCount",
    ),
    ("datasets", "datasets: {validator: {base_model: amazon.nova-mikro-v1:0}}\n", "datasets.validator", "nova-micro"),
    (
        "observability",
        "observability: {monitoring: {alarm_emails: [ops]}}\n",
        "observability.monitoring.alarm_emails",
        "e-mail",
    ),
    ("model_access", "model_access: {models: [amazon.nova-lyte-v1:0]}\n", "model_access", "did you mean"),
    (
        "provisioned_throughput",
        "provisioned_throughput: {model_units: 0}\n",
        "provisioned_throughput.model_units",
        "greater than or equal to 1",
    ),
    (
        "evaluations",
        "evaluations: [{name: x, kind: robot, models: [m], datasets: [{builtin: Builtin.BoolQ}]}]\n",
        "evaluations.0.kind",
        "must be one of",
    ),
    ("github", "github: {repository: not a repo}\n", "github.repository", "should match pattern"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_mistake_ends_in_one_error_line_naming_file_and_key(
    case: tuple[str, str, str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, text, key, reason = case
    files = {name: _job(path) for name, path in _files(tmp_path).items()}
    files["missing"] = _job(tmp_path / "missing.jsonl")
    config = tmp_path / "mine.yaml"
    config.write_text(text.format(**files) if text.startswith("{") else text, encoding="utf-8")

    status = main(["-c", f"config={config}"])

    err = "".join(line for line in capsys.readouterr().err.splitlines(True) if not line.startswith("Bundling asset"))
    assert status == 1, err
    assert err.startswith(f"error: {config}: "), err
    assert re.search(rf"{re.escape(str(config))}: {re.escape(key)}(\.[\w.]+)?: ", err), err
    assert reason in err, err
    assert "Traceback" not in err


def test_cdk_synth_of_a_bad_config_prints_the_key_not_a_traceback(tmp_path: Path) -> None:
    # The path `make synth` and `cdk synth` take: the app as a subprocess, the config from the CLI's context.
    config = tmp_path / "mine.yaml"
    config.write_text("provisioned_throughput: {enabled: true, commitment: SixMonths}\n", encoding="utf-8")
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"config": str(config)}),
        "CDK_OUTDIR": str(tmp_path / "cdk.out"),
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py")], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if not line.startswith("Bundling asset")]
    assert errors[0].startswith(f"error: {config}: provisioned_throughput.acknowledge_commitment_cost: ")
    assert "Traceback" not in result.stderr
