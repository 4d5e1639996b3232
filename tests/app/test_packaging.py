"""The library works when installed from its wheel, not only from the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CONSUMER_APP = """
import json, bedrock_ops
from pathlib import Path
from aws_cdk import App, Stack
from aws_cdk import Environment
from bedrock_ops import (BedrockMonitoring, BedrockServiceRole, CustomizationType, DatasetValidator,
                         ModelCustomizationWorkflow, StableEndpoint, TrainingDataBucket)
app = App()
stack = Stack(app, "Consumer", env=Environment(region="us-east-1"))
data = TrainingDataBucket(stack, "Data")
BedrockServiceRole(stack, "Role", data_bucket=data)
# stages its Lambda asset (handler + validator core) from the installed package at synth time
DatasetValidator(stack, "Validator", data_bucket=data, base_model="amazon.nova-micro-v1:0")
# the issue-13 journey: workflow -> serving -> monitoring in one stack
endpoint = StableEndpoint(stack, "Endpoint", base_model_id="amazon.nova-micro-v1:0")
ModelCustomizationWorkflow(stack, "Chat", base_model_id="amazon.nova-micro-v1:0",
                           customization_type=CustomizationType.FINE_TUNING, data_bucket=data,
                           training_data_key="training/chat/train.jsonl", custom_model_name="chat",
                           serving=endpoint, start_on_deploy=False)
BedrockMonitoring(stack, "Monitoring")
assembly = app.synth()
template = assembly.get_stack_by_name("Consumer").template
# the handler runtime the wheel ships, staged beside the handler
runtime = sorted(p.name for p in Path(assembly.directory).glob("asset.*/_runtime/*.py"))
print(json.dumps({"file": bedrock_ops.__file__, "types": sorted({r["Type"] for r in template["Resources"].values()}),
                  "runtime": runtime}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = dist.glob("cdk_bedrock_ops-*.whl")
    return built


def test_wheel_ships_the_library_lambda_sources_runtime_and_data_but_no_tests_or_configs(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "bedrock_ops/__init__.py" in names
    for handler in (ROOT / "lambda").glob("*/index.py"):
        assert f"bedrock_ops/_lambda/{handler.parent.name}/index.py" in names
    runtime = sorted((ROOT / "lambda" / "_runtime").glob("*.py"))
    assert len(runtime) >= 5
    for module in runtime:
        assert f"bedrock_ops/_lambda/_runtime/{module.name}" in names
    package = ROOT / "constructs" / "bedrock_ops"
    data_files = [p for p in package.rglob("*.json") if "__pycache__" not in p.parts]
    assert data_files
    for data_file in data_files:
        assert f"bedrock_ops/{data_file.relative_to(package).as_posix()}" in names
    assert not [n for n in names if n.startswith(("tests/", "config/", "infra/", "constructs/")) or "__pycache__" in n]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "bedrock-ops = bedrock_ops.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_synthesizes_a_consumer_app_outside_the_repo(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # The dependencies (aws-cdk-lib and friends) come from the project's environment, as a plain path entry:
    # that does not activate the project's editable install, so bedrock_ops must come from the wheel.
    target_site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (target_site / "project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    app_file = tmp_path / "consumer.py"
    app_file.write_text(CONSUMER_APP)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "CDK_OUTDIR", "CDK_CONTEXT_JSON"}}
    result = subprocess.run(
        [str(python), str(app_file)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["file"].startswith(str(env_dir)), output["file"]
    assert {"AWS::S3::Bucket", "AWS::KMS::Key", "AWS::IAM::Role", "AWS::IAM::Policy"} <= set(output["types"])
    assert {"AWS::Lambda::Function", "AWS::Events::Rule", "AWS::SNS::Topic"} <= set(output["types"])
    assert {"AWS::StepFunctions::StateMachine", "Custom::BedrockStableEndpoint", "AWS::CloudWatch::Alarm"} <= set(
        output["types"]
    )
    assert {"__init__.py", "clients.py", "errors.py", "logs.py"} <= set(output["runtime"])


def test_import_works_from_the_repo_root() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import bedrock_ops, aws_cdk; print(bedrock_ops.__version__)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == __import__("bedrock_ops").__version__
