"""ModelEvaluation against what Bedrock documents: the judge list, task types, their metrics and built-in datasets.

Every rule comes from the model knowledge base (``evaluation.judge`` per model, the ``evaluation_tasks`` group);
these tests pin the rules to the documentation (and the botocore model), and the README's tables to the
knowledge base.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from bedrock_ops import TrainingDataBucket
from bedrock_ops.evaluation.model_evaluation import (
    AUTOMATIC_METRICS,
    JUDGE_METRICS,
    BuiltinDataset,
    EvaluationDataset,
    EvaluationTaskType,
    ModelEvaluation,
    check_evaluation,
)
from bedrock_ops.models import ModelKnowledgeBase, evaluation_tasks, judges, load_models
from infra.config import ConfigError, parse_config
from tests.support import new_stack

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
START, END = "<!-- evaluation-reference:start -->", "<!-- evaluation-reference:end -->"
#: The evaluator models the user guide lists for LLM-as-a-judge model evaluation (facts.md section 1): the judge
#: prompt index (current), the evaluation-judge page and the launch list.
DOCUMENTED_JUDGES = {
    "amazon.nova-pro-v1:0",
    "amazon.nova-2-lite-v1:0",
    "amazon.nova-micro-v1:0",
    "amazon.nova-premier-v1:0",
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "anthropic.claude-3-5-sonnet-20241022-v2:0",
    "anthropic.claude-3-7-sonnet-20250219-v1:0",
    "anthropic.claude-haiku-4-5-20251001-v1:0",
    "anthropic.claude-opus-4-5-20251101-v1:0",
    "openai.gpt-5.4",
    "anthropic.claude-sonnet-4-6",
    "anthropic.claude-opus-4-6-v1",
    "mistral.mistral-large-2402-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "meta.llama3-1-70b-instruct-v1:0",
}
PT_ARN = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefghijkl"


@pytest.fixture(scope="module")
def models() -> ModelKnowledgeBase:
    return load_models()


def _dataset_configs(**props: Any) -> list[dict[str, Any]]:
    stack = new_stack()
    evaluation = ModelEvaluation(
        stack,
        "Eval",
        data_bucket=TrainingDataBucket(stack, "Data"),
        **{"models": ["amazon.titan-text-express-v1"], **props},
    )
    configs: list[dict[str, Any]] = evaluation.request["evaluationConfig"]["automated"]["datasetMetricConfigs"]
    return configs


def _judged(evaluator_model: str) -> None:
    check_evaluation(
        models=["amazon.nova-lite-v1:0"],
        evaluator_model=evaluator_model,
        datasets=[EvaluationDataset(key="p.jsonl")],
    )


# -- defect 2: judges ---------------------------------------------------------------------------


def test_a_model_off_the_evaluator_list_is_refused_as_judge_with_the_allowed_list() -> None:
    with pytest.raises(ValueError) as info:
        _judged("amazon.titan-text-express-v1")
    message = str(info.value)
    assert (
        "evaluator_model 'amazon.titan-text-express-v1' (Amazon Titan Text G1 - Express) is not an evaluator model"
        in (message)
    )
    assert "amazon.nova-pro-v1:0" in message and "anthropic.claude-sonnet-4-6" in message


def test_every_documented_evaluator_model_is_a_judge_in_the_knowledge_base(models: ModelKnowledgeBase) -> None:
    assert set(judges(models)) == DOCUMENTED_JUDGES


@pytest.mark.parametrize(
    "identifier",
    [
        "amazon.nova-pro-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0",
        "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "global.anthropic.claude-sonnet-4-6",
        "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-micro-v1:0",
    ],
)
def test_a_judge_is_accepted_by_id_foundation_model_arn_or_system_inference_profile(identifier: str) -> None:
    _judged(identifier)


@pytest.mark.parametrize(
    "identifier",
    [PT_ARN, "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abcdefghijkl"],
)
def test_a_judge_named_by_an_account_resource_arn_is_refused(identifier: str) -> None:
    with pytest.raises(ValueError, match="the judge must be a model id, a foundation-model ARN or a system inference"):
        _judged(identifier)


def test_a_models_file_may_add_a_judge(tmp_path: Path) -> None:
    extra = tmp_path / "models.json"
    extra.write_text(json.dumps({"models": {"amazon.nova-lite-v1:0": {"evaluation": {"judge": True}}}}))
    check_evaluation(
        models=["amazon.nova-micro-v1:0"],
        evaluator_model="amazon.nova-lite-v1:0",
        datasets=[EvaluationDataset(key="p.jsonl")],
        models_file=extra,
    )


# -- defect 8: task types, metrics, built-in datasets ------------------------------------------------


def test_a_models_file_may_change_what_a_task_type_offers(tmp_path: Path) -> None:
    extra = tmp_path / "models.json"
    table: dict[str, Any] = {"task_types": {"Classification": {"metrics": {"Builtin.Toxicity": []}}}}
    extra.write_text(json.dumps({"evaluation_tasks": table}))
    tasks = evaluation_tasks(load_models(extra))
    assert tasks.task_types["Classification"].metric_names == (
        "Builtin.Accuracy",
        "Builtin.Robustness",
        "Builtin.Toxicity",
    )
    assert "models-file" in load_models(extra).document["evaluation_tasks"]["source"]


def test_a_bad_evaluation_tasks_table_names_the_file_and_key(tmp_path: Path) -> None:
    extra = tmp_path / "models.json"
    extra.write_text(json.dumps({"evaluation_tasks": {"task_types": {"Classification": {"metrics": {"x": "y"}}}}}))
    with pytest.raises(ValueError, match=re.escape("evaluation_tasks.task_types.Classification.metrics.x must be")):
        load_models(extra)


def test_classification_defaults_to_accuracy_and_robustness_only() -> None:
    (config,) = _dataset_configs(
        datasets=[EvaluationDataset(key="reviews.jsonl", task_type=EvaluationTaskType.CLASSIFICATION)]
    )
    assert config["metricNames"] == ["Builtin.Accuracy", "Builtin.Robustness"]


def test_toxicity_on_a_classification_dataset_is_refused_with_what_is_allowed() -> None:
    dataset = EvaluationDataset(
        builtin=BuiltinDataset.WOMENS_ECOMMERCE_CLOTHING_REVIEWS,
        task_type=EvaluationTaskType.CLASSIFICATION,
        metric_names=["Builtin.Toxicity"],
    )
    with pytest.raises(ValueError) as info:
        _dataset_configs(datasets=[dataset])
    assert str(info.value) == (
        "dataset Builtin.WomensEcommerceClothingReviews: task type Classification does not offer metric "
        "'Builtin.Toxicity' on built-in dataset Builtin.WomensEcommerceClothingReviews; "
        "allowed: Builtin.Accuracy, Builtin.Robustness"
    )


def test_a_builtin_dataset_of_another_task_type_is_refused_with_the_task_types_datasets() -> None:
    dataset = EvaluationDataset(builtin=BuiltinDataset.GIGAWORD, task_type=EvaluationTaskType.QUESTION_AND_ANSWER)
    with pytest.raises(ValueError) as info:
        _dataset_configs(datasets=[dataset])
    assert str(info.value) == (
        "dataset Builtin.Gigaword: built-in dataset Builtin.Gigaword is a Summarization dataset, not "
        "QuestionAndAnswer; QuestionAndAnswer datasets: Builtin.BoolQ, Builtin.NaturalQuestions, Builtin.TriviaQA"
    )


def test_a_metric_not_computed_on_the_builtin_dataset_is_refused() -> None:
    dataset = EvaluationDataset(builtin=BuiltinDataset.REAL_TOXICITY_PROMPTS, metric_names=["Builtin.Accuracy"])
    with pytest.raises(ValueError, match=re.escape("does not offer metric 'Builtin.Accuracy' on built-in dataset")):
        _dataset_configs(datasets=[dataset])


@pytest.mark.parametrize(
    ("builtin", "task_type", "metrics"),
    [
        (BuiltinDataset.T_REX, "Generation", ["Builtin.Accuracy", "Builtin.Robustness"]),
        (BuiltinDataset.BOLD, "Generation", ["Builtin.Robustness", "Builtin.Toxicity"]),
        (BuiltinDataset.WIKITEXT2, "Generation", ["Builtin.Robustness"]),
        (BuiltinDataset.REAL_TOXICITY_PROMPTS, "Generation", ["Builtin.Toxicity"]),
        (BuiltinDataset.GIGAWORD, "Summarization", list(AUTOMATIC_METRICS)),
        (BuiltinDataset.TRIVIA_QA, "QuestionAndAnswer", list(AUTOMATIC_METRICS)),
        (
            BuiltinDataset.WOMENS_ECOMMERCE_CLOTHING_REVIEWS,
            "Classification",
            ["Builtin.Accuracy", "Builtin.Robustness"],
        ),
    ],
)
def test_a_builtin_dataset_defaults_to_its_task_type_and_the_metrics_computed_on_it(
    builtin: BuiltinDataset, task_type: str, metrics: list[str]
) -> None:
    (config,) = _dataset_configs(datasets=[EvaluationDataset(builtin=builtin)])
    assert (config["taskType"], config["metricNames"]) == (task_type, metrics)


def test_general_is_accepted_as_an_alias_and_sent_as_generation() -> None:
    configs = _dataset_configs(
        datasets=[
            EvaluationDataset(key="a.jsonl", task_type=EvaluationTaskType.GENERAL),
            EvaluationDataset(key="b.jsonl", task_type="General"),
        ]
    )
    assert [c["taskType"] for c in configs] == ["Generation", "Generation"]


def test_the_older_triviaqa_spelling_is_sent_as_the_api_spells_it() -> None:
    (config,) = _dataset_configs(datasets=[EvaluationDataset(builtin="Builtin.TriviaQa")])
    assert config["dataset"] == {"name": "Builtin.TriviaQA"}


def test_task_types_are_the_botocore_enum() -> None:
    enum = boto3.client("bedrock", region_name="us-east-1").meta.service_model.shape_for("EvaluationTaskType").enum
    assert set(evaluation_tasks(load_models()).task_types) == set(enum) == {t.value for t in EvaluationTaskType}


def _api_doc(shape: str, member: str) -> str:
    model = boto3.client("bedrock", region_name="us-east-1").meta.service_model
    return str(model.shape_for(shape).members[member].documentation)


def test_builtin_dataset_names_are_the_ones_the_api_documents() -> None:
    documented = set(re.findall(r"Builtin\.[A-Za-z0-9-]+", _api_doc("EvaluationDataset", "name")))
    assert set(evaluation_tasks(load_models()).builtin_datasets) == documented == {d.value for d in BuiltinDataset}


def test_metric_names_are_the_ones_the_api_documents() -> None:
    text = _api_doc("EvaluationDatasetMetricConfig", "metricNames")
    model_jobs = text.split("For automated model evaluation jobs", 1)[1].split("For human-based", 1)[0]
    automatic, judge = model_jobs.split("LLM as judge", 1)
    assert tuple(re.findall(r"Builtin\.[A-Za-z]+", automatic)) == AUTOMATIC_METRICS
    assert tuple(re.findall(r"Builtin\.[A-Za-z]+", judge)) == JUDGE_METRICS


def test_configuration_accepts_general_and_the_older_triviaqa_spelling() -> None:
    evaluation = {
        "name": "qa",
        "kind": "automatic",
        "models": ["amazon.titan-text-express-v1"],
        "datasets": [
            {"builtin": "Builtin.TriviaQa", "task_type": "QuestionAndAnswer"},
            {"key": "p.jsonl", "task_type": "General"},
        ],
    }
    datasets = parse_config({"evaluations": [evaluation]}).evaluations[0].datasets
    assert [d.to_dataset().task_type for d in datasets] == ["QuestionAndAnswer", "General"]


def test_configuration_reports_a_dataset_outside_its_task_type_with_the_key_path() -> None:
    evaluation = {
        "name": "qa",
        "kind": "automatic",
        "models": ["amazon.titan-text-express-v1"],
        "datasets": [{"builtin": "Builtin.Bold", "task_type": "Classification"}],
    }
    with pytest.raises(ConfigError) as info:
        parse_config({"evaluations": [evaluation]}, source="conf.yaml")
    assert "evaluations.0: dataset Builtin.Bold: built-in dataset Builtin.Bold is a Generation dataset" in str(
        info.value
    )


# -- README ------------------------------------------------------------------------------------------


def reference_markdown(models: ModelKnowledgeBase) -> str:
    """The README's tables of judges, task types, metrics and built-in datasets, from the knowledge base."""
    tasks = evaluation_tasks(models)
    lines = [
        "Judges (`evaluator_model=`), the evaluator models the user guide lists; each also through a system",
        "inference profile (`us.`, `eu.`, `global.`, ... + id, or its ARN):",
        "",
        "| Judge | Id |",
        "|---|---|",
    ]
    for model_id in judges(models):
        entry = models.resolve(model_id)
        lines.append(f"| {entry.provider} {entry.name} | `{model_id}` |")
    lines += [
        "",
        "Automatic jobs: what each task type (`task_type=`) offers; a built-in dataset belongs to one task type and",
        "defaults to it, the metrics default to those the task type offers on the dataset:",
        "",
        "| Task type | Metric | Built-in datasets it is computed on |",
        "|---|---|---|",
    ]
    for task_type, facts in tasks.task_types.items():
        for metric, datasets in facts.metrics.items():
            names = ", ".join(f"`{d}`" for d in datasets) or "custom datasets only"
            lines.append(f"| `{task_type}` ({facts.title}) | `{metric}` | {names} |")
    aliases = ", ".join(f"`{a}` is read as `{t}`" for a, t in tasks.task_type_aliases.items())
    older = ", ".join(f"`{a}` as `{d}`" for a, d in tasks.dataset_aliases.items())
    lines += [
        "",
        f"Also accepted: {aliases}; {older}.",
        "",
        "Judge jobs: " + ", ".join(f"`{m}`" for m in tasks.judge_metrics) + " and your `JudgeMetric`s.",
    ]
    return "\n".join(lines)


def test_readme_lists_the_judges_task_types_metrics_and_datasets_of_the_knowledge_base(
    models: ModelKnowledgeBase,
) -> None:
    text = README.read_text(encoding="utf-8")
    block = text.split(START, 1)[1].split(END, 1)[0].strip() if START in text else ""
    expected = reference_markdown(models)
    assert block == expected, f"README.md: replace the text between {START} and {END} with:\n{expected}"
