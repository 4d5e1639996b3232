"""LocalDatasets: synth-time validation of dataset files and their upload on deploy."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from bedrock_ops import LocalDataset, LocalDatasets, TrainingDataBucket
from bedrock_ops.data.local_datasets import DatasetValidationError, validate_local_datasets
from bedrock_ops.data.validation import DatasetSplit
from bedrock_ops.models import CustomizationType
from tests.support import nag_findings, new_stack

SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "datasets"
NOVA = "amazon.nova-micro-v1:0"
LLAMA = "meta.llama3-2-1b-instruct-v1:0"


def _dataset(path: Path, split: DatasetSplit = DatasetSplit.TRAINING, **kwargs: object) -> LocalDataset:
    return LocalDataset(name="desk", path=path, base_model=NOVA, split=split, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def built() -> tuple[Stack, Template]:
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    LocalDatasets(
        stack,
        "Datasets",
        data_bucket=data,
        datasets=[
            _dataset(SAMPLES / "converse-single-turn" / "train.jsonl"),
            _dataset(SAMPLES / "converse-single-turn" / "validation.jsonl", DatasetSplit.VALIDATION),
        ],
    )
    assert nag_findings(stack) == []
    return stack, Template.from_stack(stack)


def test_valid_files_are_uploaded_under_their_split_and_name(built: tuple[Stack, Template]) -> None:
    template = built[1]
    template.resource_count_is("Custom::CDKBucketDeployment", 2)
    for prefix in ("training/desk/", "validation/desk/"):
        template.has_resource_properties(
            "Custom::CDKBucketDeployment",
            {"DestinationBucketKeyPrefix": prefix, "Prune": False, "RetainOnDelete": True},
        )


def test_upload_function_role_has_no_managed_policy(built: tuple[Stack, Template]) -> None:
    for role in built[1].find_resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


def test_each_asset_holds_only_its_dataset_file(built: tuple[Stack, Template]) -> None:
    stack = built[0]
    assembly = stack.node.root.synth()  # type: ignore[attr-defined]
    manifest = json.loads((Path(assembly.directory) / f"{stack.artifact_id}.assets.json").read_text())
    folders = [
        Path(assembly.directory) / entry["source"]["path"]
        for entry in manifest["files"].values()
        if entry["source"].get("packaging") == "zip"
    ]
    contents = sorted(tuple(p.name for p in folder.iterdir()) for folder in folders)
    assert ("train.jsonl",) in contents
    assert ("validation.jsonl",) in contents


def test_invalid_file_fails_with_file_line_and_reason(tmp_path: Path) -> None:
    bad = tmp_path / "train.jsonl"
    lines = (SAMPLES / "converse-single-turn" / "train.jsonl").read_text().splitlines()
    record = json.loads(lines[2])
    record["messages"][1]["role"] = "bot"
    lines[2] = json.dumps(record)
    bad.write_text("\n".join(lines) + "\n")
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    with pytest.raises(DatasetValidationError) as caught:
        LocalDatasets(stack, "Datasets", data_bucket=data, datasets=[_dataset(bad)])
    assert f"{bad}:line 3: messages[1].role: unknown role 'bot'" in str(caught.value)
    assert "nothing was synthesized or uploaded" in str(caught.value)
    assert stack.node.try_find_child("Datasets") is not None
    assert not [c for c in stack.node.find_all() if "BucketDeployment" in type(c).__name__]


def test_fixed_file_synthesizes(tmp_path: Path) -> None:
    good = tmp_path / "train.jsonl"
    shutil.copyfile(SAMPLES / "converse-single-turn" / "train.jsonl", good)
    reports = validate_local_datasets([_dataset(good)])
    assert [r.verdict for r in reports] == ["passed"]


def test_total_record_quota_spans_training_and_validation(tmp_path: Path) -> None:
    datasets = [
        LocalDataset(name="llama", path=SAMPLES / "converse-single-turn" / "train.jsonl", base_model=LLAMA),
        LocalDataset(
            name="llama",
            path=SAMPLES / "converse-single-turn" / "validation.jsonl",
            base_model=LLAMA,
            split=DatasetSplit.VALIDATION,
        ),
    ]
    with pytest.raises(DatasetValidationError, match=r"'llama': 40 training and validation records; .* at least 100"):
        validate_local_datasets(datasets)


def test_missing_file_names_the_dataset(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"dataset 'desk': cannot read .*absent\.jsonl"):
        validate_local_datasets([_dataset(tmp_path / "absent.jsonl")])


def test_unknown_model_names_the_dataset() -> None:
    dataset = LocalDataset(name="desk", path=Path("x.jsonl"), base_model="amazon.nova-mini-v1:0")
    message = "dataset 'desk': base_model 'amazon.nova-mini-v1:0' is not a known Bedrock foundation model"
    with pytest.raises(ValueError, match=re.escape(message)):
        validate_local_datasets([dataset])


def test_task_the_model_lacks_names_the_dataset() -> None:
    dataset = _dataset(
        SAMPLES / "continued-pre-training" / "train.jsonl", customization_type=CustomizationType.CONTINUED_PRE_TRAINING
    )
    with pytest.raises(ValueError, match=re.escape("dataset 'desk': amazon.nova-micro-v1:0 does not support")):
        validate_local_datasets([dataset])


@pytest.mark.parametrize("name", ["", "a/b", "a b"])
def test_bad_dataset_name_is_rejected(name: str) -> None:
    dataset = LocalDataset(name=name, path=SAMPLES / "instruction" / "train.jsonl", base_model=NOVA)
    with pytest.raises(ValueError, match="dataset name must be"):
        validate_local_datasets([dataset])


def test_same_split_declared_twice_is_rejected() -> None:
    path = SAMPLES / "converse-single-turn" / "train.jsonl"
    with pytest.raises(ValueError, match="declares the training split twice"):
        validate_local_datasets([_dataset(path), _dataset(path)])


RFT_SAMPLE = SAMPLES / "rft" / "train.jsonl"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def _batch_line(i: int) -> str:
    messages = [{"role": "user", "content": "hi"}]
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": messages}
    return json.dumps({"recordId": f"R{i}", "modelInput": body})


def test_a_local_rft_dataset_is_checked_with_the_rft_rules(tmp_path: Path) -> None:
    lines = RFT_SAMPLE.read_text(encoding="utf-8").splitlines()
    lines[9] = json.dumps({"messages": [{"role": "user", "content": "q"}]})
    broken = tmp_path / "train.jsonl"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rft = CustomizationType.REINFORCEMENT_FINE_TUNING
    good = LocalDataset(name="math", path=RFT_SAMPLE, base_model="amazon.nova-2-lite-v1:0", customization_type=rft)
    assert validate_local_datasets([good])[0].valid
    bad = LocalDataset(name="math", path=broken, base_model="amazon.nova-2-lite-v1:0", customization_type=rft)
    with pytest.raises(DatasetValidationError) as caught:
        validate_local_datasets([bad])
    assert f"{broken}:line 10: reference_answer: required" in str(caught.value)


def test_local_batch_input_is_checked_and_uploaded_under_the_batch_input_prefix(tmp_path: Path) -> None:
    from bedrock_ops.models import DatasetFormat

    good = tmp_path / "input.jsonl"
    good.write_text("".join(_batch_line(i) + "\n" for i in range(3)), encoding="utf-8")
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    batch = DatasetFormat.BATCH_RECORDS
    LocalDatasets(
        stack,
        "Datasets",
        data_bucket=data,
        datasets=[LocalDataset(name="nightly", path=good, base_model=HAIKU, dataset_format=batch)],
    )
    Template.from_stack(stack).has_resource_properties(
        "Custom::CDKBucketDeployment", {"DestinationBucketKeyPrefix": "batch/input/nightly/"}
    )
    bad = tmp_path / "bad.jsonl"
    bad.write_text(_batch_line(0) + "\n" + json.dumps({"recordId": "X", "modelInput": {"prompt": "p"}}) + "\n")
    with pytest.raises(DatasetValidationError) as caught:
        validate_local_datasets([LocalDataset(name="nightly", path=bad, base_model=HAIKU, dataset_format=batch)])
    assert f"{bad}:line 2: modelInput: missing anthropic_version, max_tokens, messages" in str(caught.value)


@pytest.mark.parametrize("upload_first", [True, False], ids=["upload-declared-first", "workflow-declared-first"])
def test_one_stack_trigger_waits_for_the_local_dataset_upload(upload_first: bool) -> None:
    """Defect (issue 13): in a one-stack app the deploy-time trigger had no dependency on the upload and could
    run first ("data object ... does not exist"). It now depends on every upload into its bucket."""
    from bedrock_ops import ModelCustomizationWorkflow

    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    other = TrainingDataBucket(stack, "Other")

    def upload() -> None:
        LocalDatasets(
            stack,
            "Datasets",
            data_bucket=data,
            datasets=[_dataset(SAMPLES / "converse-single-turn" / "train.jsonl")],
        )
        LocalDatasets(
            stack,
            "Unrelated",
            data_bucket=other,
            datasets=[_dataset(SAMPLES / "converse-single-turn" / "train.jsonl")],
        )

    def workflow() -> None:
        ModelCustomizationWorkflow(
            stack,
            "Chat",
            base_model_id=NOVA,
            customization_type=CustomizationType.FINE_TUNING,
            data_bucket=data,
            training_data_key="training/desk/train.jsonl",
            custom_model_name="desk",
        )

    for step in (upload, workflow) if upload_first else (workflow, upload):
        step()
    template = Template.from_stack(stack).to_json()["Resources"]
    uploads = {name for name, r in template.items() if r["Type"] == "Custom::CDKBucketDeployment"}
    mine = {name for name in uploads if name.startswith("Datasets")}
    assert len(mine) == 1 and len(uploads) == 2
    (trigger,) = [r for r in template.values() if r["Type"] == "Custom::BedrockModelCustomization"]
    depends = set(trigger.get("DependsOn", []))
    assert mine <= depends
    assert not (uploads - mine) & depends  # an upload into another bucket does not hold the trigger back
