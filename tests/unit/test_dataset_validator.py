"""DatasetValidator: EventBridge rule -> Lambda with the staged validator core, least privilege, nag-clean."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Match, Template

from bedrock_ops import DatasetValidator, TrainingDataBucket
from bedrock_ops._core.staging import strip_docstrings
from bedrock_ops.data.validation import DatasetSplit
from bedrock_ops.models import CustomizationType, UnknownModelError, UnsupportedCustomizationError
from tests.support import nag_findings, new_stack

NOVA = "amazon.nova-micro-v1:0"
CORE = Path(__file__).resolve().parents[2] / "constructs" / "bedrock_ops"
SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "datasets"


@pytest.fixture(scope="module")
def built() -> tuple[Stack, DatasetValidator, Template]:
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    validator = DatasetValidator(stack, "Validator", data_bucket=data, base_model=NOVA + ":128k")
    validator.add_dataset("claude", base_model="anthropic.claude-3-haiku-20240307-v1:0")
    assert nag_findings(stack) == []
    return stack, validator, Template.from_stack(stack)


@pytest.fixture(scope="module")
def template(built: tuple[Stack, DatasetValidator, Template]) -> Template:
    return built[2]


def _handler(template: Template) -> dict[str, Any]:
    functions = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Environment": {"Variables": {"DATASET_RULES": Match.any_value()}}}}
    )
    (function,) = functions.values()
    return dict(function)


def _statements(template: Template) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def test_rule_matches_objects_created_under_the_training_and_validation_prefixes(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {
                    "bucket": {"name": [Match.any_value()]},
                    "object": {"key": [{"prefix": "training/"}, {"prefix": "validation/"}]},
                },
            },
            "Targets": [Match.object_like({"RetryPolicy": {"MaximumRetryAttempts": 2}})],
        },
    )


def test_rules_map_prefixes_to_model_split_and_longest_prefix_datasets(template: Template) -> None:
    rules = json.loads(_handler(template)["Properties"]["Environment"]["Variables"]["DATASET_RULES"])
    assert {(r["prefix"], r["split"], r["base_model"]) for r in rules} == {
        ("training/", "training", NOVA),
        ("validation/", "validation", NOVA),
        ("training/claude/", "training", "anthropic.claude-3-haiku-20240307-v1:0"),
        ("validation/claude/", "validation", "anthropic.claude-3-haiku-20240307-v1:0"),
    }


def test_function_can_stream_a_10_gb_object_within_its_limits(template: Template) -> None:
    props = _handler(template)["Properties"]
    assert props["Timeout"] == 900
    assert props["MemorySize"] == 1769
    assert props["Handler"] == "index.on_event"


def test_failure_topic_is_encrypted_and_ssl_only(template: Template) -> None:
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {"PolicyDocument": {"Statement": Match.array_with([Match.object_like({"Effect": "Deny"})])}},
    )


def test_handler_may_publish_to_the_failure_topic(template: Template) -> None:
    assert any("sns:Publish" in str(s["Action"]) for s in _statements(template))


def test_reports_are_the_only_objects_the_handler_may_write(template: Template) -> None:
    writes = [s for s in _statements(template) if s["Action"] == "s3:PutObject"]
    (write,) = writes
    resources = json.dumps(write["Resource"])
    assert "training/*.validation.json" in resources
    assert "validation/*.validation.json" in resources


def test_handler_reads_and_tags_only_the_dataset_prefixes(template: Template) -> None:
    (statement,) = [s for s in _statements(template) if s.get("Sid") == "ReadAndTagDatasets"]
    assert "s3:PutObjectTagging" in statement["Action"]
    assert "output/" not in json.dumps(statement["Resource"])


def test_key_use_goes_through_s3_only(template: Template) -> None:
    (statement,) = [s for s in _statements(template) if s.get("Sid") == "DataKeyThroughS3"]
    assert statement["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}


def _asset_folder(built: tuple[Stack, DatasetValidator, Template]) -> Path:
    assembly = built[0].node.root.synth()  # type: ignore[attr-defined]
    asset_hash = _handler(built[2])["Properties"]["Code"]["S3Key"].split(".")[0]
    return Path(assembly.directory) / f"asset.{asset_hash}"


def test_asset_holds_the_handler_the_runtime_it_imports_and_the_validator_core_only(
    built: tuple[Stack, DatasetValidator, Template],
) -> None:
    folder = _asset_folder(built)
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == [
        "_runtime/__init__.py",
        "_runtime/clients.py",
        "_runtime/errors.py",
        "_runtime/logs.py",
        "bedrock_ops/__init__.py",
        "bedrock_ops/data/__init__.py",
        "bedrock_ops/data/_records.py",
        "bedrock_ops/data/_report.py",
        "bedrock_ops/data/_stream.py",
        "bedrock_ops/data/batch_records.py",
        "bedrock_ops/data/rft_records.py",
        "bedrock_ops/models/__init__.py",
        "bedrock_ops/models/_entries.py",
        "bedrock_ops/models/data/models.json",
        "bedrock_ops/models/facts.py",
        "index.py",
    ]
    assert sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) < 50_000


def test_staged_core_is_the_repository_core_without_docstrings(
    built: tuple[Stack, DatasetValidator, Template],
) -> None:
    folder = _asset_folder(built)
    names = (
        "data/_stream.py",
        "data/_records.py",
        "data/rft_records.py",
        "data/batch_records.py",
        "models/_entries.py",
    )
    functions = ("validate_stream", "json_type", "check_rft_record", "check_batch_record", "build_entries")
    for name, function in zip(names, functions, strict=True):
        staged = (folder / "bedrock_ops" / name).read_text()
        assert staged == strip_docstrings((CORE / name).read_text())
        assert f"def {function}" in staged


def test_asset_validates_a_dataset_on_its_own(built: tuple[Stack, DatasetValidator, Template]) -> None:
    folder = _asset_folder(built)
    sample = SAMPLES / "claude-multi-turn" / "train.jsonl"
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import index, bedrock_ops.data._stream as core;"
        "assert core.__file__.startswith(sys.argv[1]), core.__file__;"
        "r = core.validate_stream([open(sys.argv[2], 'rb').read()], spec=index._model("
        "'anthropic.claude-3-haiku-20240307-v1:0'));"
        "print(r.verdict, r.records)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(folder), str(sample)], capture_output=True, text=True, check=False
    )
    assert result.stdout.split() == ["passed", "36"], result.stderr


def test_metrics_are_in_the_project_namespace(built: tuple[Stack, DatasetValidator, Template]) -> None:
    validator = built[1]
    metric = validator.metric_failed_files(split=DatasetSplit.VALIDATION)
    assert (metric.namespace, metric.metric_name) == ("BedrockOps/Datasets", "FailedFiles")
    assert metric.dimensions == {"BaseModel": NOVA, "Split": "validation"}
    assert validator.metric_records().statistic == "Sum"


def test_unknown_base_model_is_rejected_with_suggestions() -> None:
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    with pytest.raises(UnknownModelError, match=re.escape("did you mean 'amazon.nova-micro-v1:0'")):
        DatasetValidator(stack, "Validator", data_bucket=data, base_model="amazon.nova-micr-v1:0")


def test_customization_type_the_model_lacks_is_rejected() -> None:
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    with pytest.raises(UnsupportedCustomizationError):
        DatasetValidator(
            stack,
            "Validator",
            data_bucket=data,
            base_model=NOVA,
            customization_type=CustomizationType.CONTINUED_PRE_TRAINING,
        )


@pytest.mark.parametrize("bad", [0, 10001])
def test_max_errors_out_of_range_is_rejected(bad: int) -> None:
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    with pytest.raises(ValueError, match=f"max_errors must be 1-10000, got {bad}"):
        DatasetValidator(stack, "Validator", data_bucket=data, base_model=NOVA, max_errors=bad)


def test_models_file_is_merged_into_the_staged_knowledge_base(tmp_path: Path) -> None:
    extra = tmp_path / "models.json"
    customization = {"FINE_TUNING": {"formats": ["converse"], "hyperparameters": "nova"}}
    entry = {"provider": "Example", "name": "Chat", "customization": customization}
    extra.write_text(json.dumps({"models": {"example.chat-v1": entry}}))
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    DatasetValidator(stack, "Validator", data_bucket=data, base_model="example.chat-v1", models_file=extra)
    template = Template.from_stack(stack)
    props = _handler(template)["Properties"]
    assert "REGISTRY_FILE" not in props["Environment"]["Variables"]
    assembly = stack.node.root.synth()  # type: ignore[attr-defined]
    staged = Path(assembly.directory) / f"asset.{props['Code']['S3Key'].split('.')[0]}"
    models = json.loads((staged / "bedrock_ops" / "models" / "data" / "models.json").read_text())["models"]
    assert models["example.chat-v1"] == {"customization": {"FINE_TUNING": {"formats": ["converse"]}}}
    assert "amazon.nova-micro-v1:0" in models


def test_compact_validator_data_keeps_every_customizable_models_rules() -> None:
    import json as _json

    from bedrock_ops.data._validator_asset import compact_models
    from bedrock_ops.models import load_models
    from bedrock_ops.models.knowledge import build

    full, compact = load_models(), build(_json.loads(compact_models()))
    for model_id in compact.model_ids:
        mine, theirs = compact.resolve(model_id), full.resolve(model_id)
        assert mine.reserved_strings == theirs.reserved_strings, model_id
        assert (mine.single_modality, mine.max_videos_per_record, mine.media_in_dataset_bucket) == (
            theirs.single_modality,
            theirs.max_videos_per_record,
            theirs.media_in_dataset_bucket,
        ), model_id
        assert {t: (f.formats, f.limits) for t, f in mine.customization.items()} == {
            t: (f.formats, f.limits) for t, f in theirs.customization.items()
        }, model_id
    assert set(compact.model_ids) == {m for m in full.model_ids if full.resolve(m).customization}


@pytest.fixture(scope="module")
def with_batch() -> Template:
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    validator = DatasetValidator(stack, "Validator", data_bucket=data, base_model=NOVA)
    validator.add_dataset(
        "rft",
        base_model="amazon.nova-2-lite-v1:0",
        customization_type=CustomizationType.REINFORCEMENT_FINE_TUNING,
        required_fields=["task_id"],
    )
    validator.add_batch_input("batch/input/", model="anthropic.claude-3-haiku-20240307-v1:0")
    assert nag_findings(stack) == []
    return Template.from_stack(stack)


def test_rft_datasets_and_batch_input_get_their_own_rules(with_batch: Template) -> None:
    rules = json.loads(_handler(with_batch)["Properties"]["Environment"]["Variables"]["DATASET_RULES"])
    by_prefix = {r["prefix"]: r for r in rules}
    assert by_prefix["training/rft/"] == {
        "prefix": "training/rft/",
        "split": "training",
        "base_model": "amazon.nova-2-lite-v1:0",
        "customization_type": "REINFORCEMENT_FINE_TUNING",
        "required_fields": ["task_id"],
    }
    assert by_prefix["batch/input/"] == {
        "prefix": "batch/input/",
        "format": "batch-records",
        "base_model": "anthropic.claude-3-haiku-20240307-v1:0",
        "limits": {},  # the knowledge base's batch quotas are unconfirmed: none checked
        "body_format": "anthropic-messages",
    }


def test_batch_input_prefix_is_watched_read_tagged_and_reported(with_batch: Template) -> None:
    with_batch.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": Match.object_like(
                {
                    "detail": Match.object_like(
                        {
                            "object": {
                                "key": [{"prefix": "training/"}, {"prefix": "validation/"}, {"prefix": "batch/input/"}]
                            }
                        }
                    )
                }
            )
        },
    )
    resources = json.dumps([s["Resource"] for s in _statements(with_batch) if "s3:GetObject" in str(s["Action"])])
    assert "batch/input/*" in resources
    writes = json.dumps([s["Resource"] for s in _statements(with_batch) if s["Action"] == "s3:PutObject"])
    assert "batch/input/*.validation.json" in writes


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("batch/input", "must be a key prefix ending in '/'"),
        ("training/batch/", "overlaps the training or validation prefix"),
    ],
)
def test_bad_batch_input_prefixes_are_rejected(prefix: str, message: str) -> None:
    stack = new_stack()
    validator = DatasetValidator(stack, "Validator", data_bucket=TrainingDataBucket(stack, "Data"), base_model=NOVA)
    with pytest.raises(ValueError, match=re.escape(message)):
        validator.add_batch_input(prefix)


def test_required_fields_go_with_rft_only() -> None:
    stack = new_stack()
    validator = DatasetValidator(stack, "Validator", data_bucket=TrainingDataBucket(stack, "Data"), base_model=NOVA)
    with pytest.raises(ValueError, match="they go with REINFORCEMENT_FINE_TUNING, not FINE_TUNING"):
        validator.add_dataset("x", base_model=NOVA, required_fields=["task_id"])
