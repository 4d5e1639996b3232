"""The `evaluations` section of the configuration: validated with key paths, wired into the default app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.config import ConfigError, parse_config

AUTOMATIC: dict[str, Any] = {
    "name": "titan-qa",
    "kind": "automatic",
    "models": ["amazon.titan-text-express-v1"],
    "datasets": [{"builtin": "Builtin.BoolQ", "task_type": "QuestionAndAnswer"}],
}


def _error(evaluation: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config({"evaluations": [evaluation]}, source="conf.yaml")
    return str(info.value)


def test_valid_evaluation_is_accepted() -> None:
    config = parse_config({"evaluations": [AUTOMATIC]})
    assert config.evaluations[0].datasets[0].to_dataset().builtin is not None


def test_unknown_builtin_dataset_gets_did_you_mean() -> None:
    message = _error({**AUTOMATIC, "datasets": [{"builtin": "Builtin.Boolq"}]})
    assert (
        "conf.yaml: evaluations.0.datasets.0.builtin: unknown built-in dataset: did you mean Builtin.BoolQ?" in message
    )


def test_unknown_key_in_a_list_item_lists_the_allowed_keys() -> None:
    message = _error({**AUTOMATIC, "evaluator": "amazon.nova-pro-v1:0"})
    assert "evaluations.0.evaluator: unknown key; did you mean 'evaluator_model'?" in message
    assert "Allowed keys here: datasets, description, evaluator_model" in message


def test_judge_kind_without_evaluator_is_rejected() -> None:
    message = _error({**AUTOMATIC, "kind": "llm-as-a-judge", "datasets": [{"key": "p.jsonl"}]})
    assert "evaluations.0: kind llm-as-a-judge needs evaluator_model" in message


def test_construct_rules_surface_with_the_key_path() -> None:
    message = _error({**AUTOMATIC, "datasets": [{"builtin": "Builtin.BoolQ", "metrics": ["Builtin.Correctness"]}]})
    assert (
        "evaluations.0: dataset Builtin.BoolQ: metric 'Builtin.Correctness' is not a metric of automatic jobs"
        in message
    )


def test_evaluation_names_must_be_unique() -> None:
    with pytest.raises(ConfigError, match="'titan-qa' is used more than once"):
        parse_config({"evaluations": [AUTOMATIC, AUTOMATIC]})


def test_default_app_starts_the_configured_evaluation(default_templates: list[Path]) -> None:
    jobs = [
        resource["Properties"]
        for template_file in default_templates
        for resource in json.loads(template_file.read_text())["Resources"].values()
        if resource["Type"] == "Custom::BedrockEvaluationJob"
    ]
    (job,) = jobs
    assert job["JobNamePrefix"] == "titan-express-qa"
    config = job["Request"]["evaluationConfig"]["automated"]["datasetMetricConfigs"][0]
    assert config["dataset"] == {"name": "Builtin.BoolQ"}


def test_judge_metrics_reach_the_construct_spec() -> None:
    judge = {
        "name": "judged",
        "kind": "llm-as-a-judge",
        "models": ["amazon.nova-lite-v1:0"],
        "evaluator_model": "amazon.nova-pro-v1:0",
        "judge_metrics": [
            {"name": "Tone", "instructions": "Rate {{prediction}}", "rating_scale": [{"definition": "ok", "value": 1}]}
        ],
        "datasets": [{"key": "p.jsonl", "metrics": ["Tone"]}],
    }
    (spec,) = parse_config({"evaluations": [judge]}).evaluations[0].judge_metrics_spec()
    assert (spec.name, list(spec.rating_scale)) == ("Tone", [("ok", 1.0)])


def test_precomputed_sources_become_construct_models() -> None:
    human = {
        "name": "reviewed",
        "kind": "human",
        "models": ["amazon.nova-lite-v1:0"],
        "precomputed_sources": ["support-bot-v2"],
        "flow_definition_arn": "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/team",
        "human_metrics": [{"name": "Helpful", "rating_method": "ComparisonChoice"}],
        "datasets": [{"key": "p.jsonl"}],
    }
    models = parse_config({"evaluations": [human]}).evaluations[0].models_spec()
    assert [getattr(m, "source", m) for m in models] == ["amazon.nova-lite-v1:0", "support-bot-v2"]


def test_an_evaluation_needs_a_model_or_a_precomputed_source() -> None:
    message = _error({**AUTOMATIC, "models": []})
    assert "evaluations.0: models must have 1 entry for automatic evaluation, got 0" in message
