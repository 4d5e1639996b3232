"""The CreateEvaluationJob request of a model evaluation, built and checked at synth: datasets, metrics per task
type, judges, human review (botocore model ``bedrock`` 2023-04-20 and the model knowledge base)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from aws_cdk import Token

from bedrock_ops.data.training_bucket import TrainingDataBucketBase
from bedrock_ops.evaluation.types import (
    _DEFAULT_TASK_TYPE,
    _FLOW_DEFINITION_RE,
    _KEY_RE,
    _NAME_RE,
    _PACKAGED_TASKS,
    _SOURCE_RE,
    AUTOMATIC_METRICS,
    JUDGE_METRICS,
    EvaluationDataset,
    EvaluationKind,
    HumanMetric,
    JudgeMetric,
    PrecomputedResponses,
)
from bedrock_ops.models.evaluation_tasks import EvaluationTasks
from bedrock_ops.models.ids import ReferenceKind
from bedrock_ops.models.knowledge import ModelKnowledgeBase, load_models
from bedrock_ops.models.queries import evaluation_tasks, judges


class _DatasetLocation(Protocol):
    """Where ``key`` datasets live: a :class:`TrainingDataBucket` (its evaluation prefix) or a bucket and prefix."""

    @property
    def evaluation_prefix(self) -> str: ...

    def s3_uri(self, prefix: str = "", key: str = "") -> str: ...


def evaluation_request(
    kind: EvaluationKind,
    *,
    models: Sequence[str | PrecomputedResponses],
    dataset_configs: list[dict[str, Any]],
    role_arn: str,
    output_s3_uri: str,
    evaluator_model: str | None = None,
    judge_metrics: Sequence[JudgeMetric] = (),
    flow_definition_arn: str | None = None,
    human_metrics: Sequence[HumanMetric] = (),
    human_instructions: str | None = None,
    inference_params: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """The ``CreateEvaluationJob`` request (without ``jobName`` and ``clientRequestToken``, which the handler
    adds), for :class:`ModelEvaluation` and :class:`EvaluationGate` alike. A model identifier may be a token,
    e.g. ``JsonPath.string_at("$.model.arn")``: the gate names the model a workflow trained at run time."""
    if description is not None and not 1 <= len(description) <= 200:
        raise ValueError(f"description must be 1-200 characters, got {len(description)}")
    evaluation_config: dict[str, Any]
    if kind is EvaluationKind.HUMAN:
        assert flow_definition_arn is not None
        evaluation_config = {
            "human": _human_config(flow_definition_arn, human_metrics, human_instructions, dataset_configs)
        }
    else:
        automated: dict[str, Any] = {"datasetMetricConfigs": dataset_configs}
        if evaluator_model is not None:
            automated["evaluatorModelConfig"] = {"bedrockEvaluatorModels": [{"modelIdentifier": evaluator_model}]}
            if judge_metrics:
                automated["customMetricConfig"] = _judge_config(judge_metrics, evaluator_model)
        evaluation_config = {"automated": automated}
    bedrock_model: dict[str, Any] = {}
    if inference_params is not None:
        params = json.dumps(dict(inference_params), separators=(",", ":"), sort_keys=True)
        if not 1 <= len(params) <= 1023:
            raise ValueError(f"inference_params must be 1-1023 characters as JSON, got {len(params)}")
        bedrock_model["inferenceParams"] = params
    request: dict[str, Any] = {
        "roleArn": role_arn,
        "applicationType": "ModelEvaluation",
        "evaluationConfig": evaluation_config,
        "inferenceConfig": {"models": [_model_config(m, bedrock_model) for m in models]},
        "outputDataConfig": {"s3Uri": output_s3_uri},
    }
    if description is not None:
        request["jobDescription"] = description
    return request


def _check_models(
    kind: EvaluationKind, models: Sequence[str | PrecomputedResponses], catalog: ModelKnowledgeBase | None
) -> None:
    allowed = (1, 2) if kind is EvaluationKind.HUMAN else (1, 1)
    if not allowed[0] <= len(models) <= allowed[1]:
        expected = "1-2 entries for human" if kind is EvaluationKind.HUMAN else f"1 entry for {kind.value}"
        raise ValueError(f"models must have {expected} evaluation, got {len(models)}")
    for model in models:
        if isinstance(model, PrecomputedResponses):
            if kind is EvaluationKind.AUTOMATIC:
                raise ValueError(
                    f"models: precomputed responses ({model.source!r}) are for llm-as-a-judge and human "
                    "evaluation; automatic jobs invoke a Bedrock model"
                )
            if not _SOURCE_RE.match(model.source):
                raise ValueError(
                    f"models: precomputed source must be 1-256 of [a-zA-Z0-9._-] starting with a letter or "
                    f"digit, got {model.source!r}"
                )
        else:
            _check_model_identifier("models", model, catalog)


def _model_config(model: str | PrecomputedResponses, bedrock_model: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(model, PrecomputedResponses):
        return {"precomputedInferenceSource": {"inferenceSourceIdentifier": model.source}}
    return {"bedrockModel": {"modelIdentifier": model, **bedrock_model}}


def _check_model_identifier(prop: str, identifier: str, catalog: ModelKnowledgeBase | None = None) -> None:
    if Token.is_unresolved(identifier):
        return
    if ":custom-model/" in identifier:
        raise ValueError(
            f"{prop}: {identifier!r} is a custom model ARN, which CreateEvaluationJob does not accept; "
            "evaluate the custom model through its provisioned throughput ARN (provisioned-model/...)"
        )
    if not identifier or len(identifier) > 2048 or " " in identifier:
        raise ValueError(f"{prop}: {identifier!r} is not a model id or ARN")
    if not identifier.startswith("arn:") and "." not in identifier:
        raise ValueError(
            f"{prop}: {identifier!r} is not a Bedrock model id (provider.model, e.g. 'amazon.nova-lite-v1:0')"
        )
    if catalog is not None and not identifier.startswith("arn:"):
        catalog.resolve(identifier, prop=prop)  # UnknownModelError (a ValueError) with "did you mean"


def _dataset_config(
    kind: EvaluationKind,
    dataset: EvaluationDataset,
    bucket: _DatasetLocation | None,
    human_metrics: Sequence[HumanMetric],
    judge_metrics: Sequence[JudgeMetric] = (),
    *,
    tasks: EvaluationTasks = _PACKAGED_TASKS,
) -> dict[str, Any]:
    sources = [s for s in (dataset.builtin, dataset.key, dataset.s3_uri) if s is not None]
    if len(sources) != 1:
        raise ValueError(f"a dataset needs exactly one of builtin, key or s3_uri, got {len(sources)}")
    location: dict[str, Any] | None = None
    builtin: str | None = None
    if dataset.builtin is not None:
        builtin = tasks.dataset(str(dataset.builtin))
        if kind is not EvaluationKind.AUTOMATIC:
            raise ValueError(
                f"built-in dataset {builtin} is only for automatic evaluation; "
                f"{kind.value} jobs need a custom prompt dataset (key or s3_uri)"
            )
        default_name = builtin
    elif dataset.key is not None:
        key = dataset.key.lstrip("/")
        if not Token.is_unresolved(key) and not _KEY_RE.match(key):
            raise ValueError(
                "dataset key must be an object key of letters, digits and -!_*'(). separated by '/', "
                f"got {dataset.key!r}"
            )
        prefix = bucket.evaluation_prefix if bucket is not None else TrainingDataBucketBase.evaluation_prefix
        location = {"s3Uri": bucket.s3_uri(prefix, key) if bucket is not None else f"s3://data-bucket/{prefix}{key}"}
        default_name = key.rsplit("/", 1)[-1]
    else:
        assert dataset.s3_uri is not None
        if not Token.is_unresolved(dataset.s3_uri) and not dataset.s3_uri.startswith("s3://"):
            raise ValueError(f"dataset s3_uri must start with s3://, got {dataset.s3_uri!r}")
        location = {"s3Uri": dataset.s3_uri}
        default_name = dataset.s3_uri.rsplit("/", 1)[-1] if not Token.is_unresolved(dataset.s3_uri) else "dataset"
    name = dataset.name or re.sub(r"[^0-9a-zA-Z\-_.]", "-", default_name)[:63]
    if not 1 <= len(name) <= 63 or not _NAME_RE.match(name):
        raise ValueError(f"dataset name must be 1-63 of [0-9a-zA-Z-_.], got {name!r}")

    if dataset.task_type is not None:
        task_type = tasks.task_type(str(dataset.task_type), prop=f"dataset {name}: task_type")
    else:
        task_type = tasks.task_type_of(builtin) if builtin is not None else _DEFAULT_TASK_TYPE
    metrics = _metric_names(
        kind,
        name=name,
        requested=dataset.metric_names,
        task_type=task_type,
        builtin=builtin,
        human_metrics=human_metrics,
        judge_metrics=judge_metrics,
        tasks=tasks,
    )
    if not 1 <= len(metrics) <= 25:
        raise ValueError(f"dataset {name}: metric_names must have 1-25 entries, got {len(metrics)}")
    if len(set(metrics)) != len(metrics):
        raise ValueError(f"dataset {name}: metric_names has duplicates: {metrics}")

    config: dict[str, Any] = {
        "taskType": task_type,
        "dataset": {"name": name, **({"datasetLocation": location} if location else {})},
        "metricNames": metrics,
    }
    return config


def _dataset_configs(
    kind: EvaluationKind,
    datasets: Sequence[EvaluationDataset],
    bucket: _DatasetLocation,
    human_metrics: Sequence[HumanMetric],
    judge_metrics: Sequence[JudgeMetric],
    *,
    models_file: str | Path | None,
) -> list[dict[str, Any]]:
    """Every dataset's ``EvaluationDatasetMetricConfig``, checked against the knowledge base (models file merged)."""
    tasks = evaluation_tasks(load_models(models_file))
    return [_dataset_config(kind, d, bucket, human_metrics, judge_metrics, tasks=tasks) for d in datasets]


def _metric_names(
    kind: EvaluationKind,
    *,
    name: str,
    requested: Sequence[str],
    task_type: str,
    builtin: str | None,
    human_metrics: Sequence[HumanMetric],
    judge_metrics: Sequence[JudgeMetric],
    tasks: EvaluationTasks,
) -> list[str]:
    """The dataset's metric names: ``requested`` checked against what the job's kind (for automatic jobs: the
    task type, on ``builtin`` the metrics computed on it) allows, or by default all of those."""
    offered = _automatic_metrics(name, task_type, builtin, tasks) if kind is EvaluationKind.AUTOMATIC else ()
    metrics = list(requested)
    if kind is EvaluationKind.HUMAN:
        known = [m.name for m in human_metrics]
        if not metrics:
            metrics = known
        unknown = [m for m in metrics if m not in known]
        if unknown:
            raise ValueError(
                f"dataset {name}: metric {unknown[0]!r} is not one of the human_metrics ({', '.join(known) or 'none'})"
            )
    else:
        allowed_metrics = (
            offered if kind is EvaluationKind.AUTOMATIC else (*tasks.judge_metrics, *(m.name for m in judge_metrics))
        )
        if not metrics:
            metrics = list(allowed_metrics)
        unknown = [m for m in metrics if m not in allowed_metrics]
        if unknown and kind is EvaluationKind.AUTOMATIC and unknown[0] in tasks.automatic_metrics:
            on = f"built-in dataset {builtin}" if builtin is not None else "a custom dataset"
            raise ValueError(
                f"dataset {name}: task type {task_type} does not offer metric {unknown[0]!r} on {on}; "
                f"allowed: {', '.join(allowed_metrics)}"
            )
        if unknown:
            raise ValueError(
                f"dataset {name}: metric {unknown[0]!r} is not a metric of {kind.value} jobs; "
                f"allowed: {', '.join(allowed_metrics)}"
            )
    return metrics


def _automatic_metrics(name: str, task_type: str, builtin: str | None, tasks: EvaluationTasks) -> tuple[str, ...]:
    """The metrics an automatic job computes for a dataset of ``task_type`` (on ``builtin``: those computed on it);
    a built-in dataset of another task type is refused."""
    facts = tasks.task_types[task_type]
    if builtin is None:
        return facts.metric_names
    if builtin not in facts.datasets:
        raise ValueError(
            f"dataset {name}: built-in dataset {builtin} is a {tasks.task_type_of(builtin)} dataset, not "
            f"{task_type}; {task_type} datasets: {', '.join(facts.datasets) or 'none (custom datasets only)'}"
        )
    return facts.metrics_of(builtin)


def _check_evaluator(identifier: str, catalog: ModelKnowledgeBase) -> None:
    """The judge must be on the documented evaluator list (``evaluation.judge`` in the knowledge base), named as
    CreateEvaluationJob's evaluator identifier takes it: a model id, a foundation-model ARN, or a system
    inference profile id or ARN (no application profile, provisioned throughput or custom model)."""
    if Token.is_unresolved(identifier):
        return
    try:
        reference = catalog.reference(identifier)
    except ValueError as exc:
        raise ValueError(f"evaluator_model: {exc}") from None
    allowed = ", ".join(judges(catalog))
    if reference.kind not in (ReferenceKind.FOUNDATION_MODEL, ReferenceKind.INFERENCE_PROFILE):
        raise ValueError(
            f"evaluator_model {identifier!r} is a {reference.kind.value}; the judge must be a model id, a "
            f"foundation-model ARN or a system inference profile (id or ARN) of one of: {allowed}"
        )
    entry = catalog.resolve(identifier, prop="evaluator_model")
    if not entry.judge:
        raise ValueError(
            f"evaluator_model {identifier!r} ({entry.provider} {entry.name}) is not an evaluator model of "
            f"LLM-as-a-judge model evaluation; allowed: {allowed} (or a system inference profile of one; "
            "a models file may mark another model with evaluation.judge: true)"
        )


def _judge_config(judge_metrics: Sequence[JudgeMetric], evaluator_model: str) -> dict[str, Any]:
    if not 1 <= len(judge_metrics) <= 10:
        raise ValueError(f"judge_metrics must have 1-10 entries, got {len(judge_metrics)}")
    metrics = []
    for metric in judge_metrics:
        if not 1 <= len(metric.name) <= 63 or not _NAME_RE.match(metric.name):
            raise ValueError(f"judge metric name must be 1-63 of [0-9a-zA-Z-_.], got {metric.name!r}")
        if metric.name in (*JUDGE_METRICS, *AUTOMATIC_METRICS):
            raise ValueError(f"judge metric {metric.name!r} has the name of a built-in metric; choose another")
        if not 1 <= len(metric.instructions) <= 5000:
            raise ValueError(
                f"judge metric {metric.name}: instructions must be 1-5000 characters, got {len(metric.instructions)}"
            )
        definition: dict[str, Any] = {"name": metric.name, "instructions": metric.instructions}
        if metric.rating_scale:
            if len(metric.rating_scale) > 10:
                raise ValueError(
                    f"judge metric {metric.name}: rating_scale must have 1-10 entries, got {len(metric.rating_scale)}"
                )
            scale = []
            for text, value in metric.rating_scale:
                if not 1 <= len(text) <= 100:
                    raise ValueError(f"judge metric {metric.name}: a rating definition must be 1-100 characters")
                if isinstance(value, str):
                    if not 1 <= len(value) <= 100:
                        raise ValueError(f"judge metric {metric.name}: a string rating must be 1-100 characters")
                    scale.append({"definition": text, "value": {"stringValue": value}})
                else:
                    scale.append({"definition": text, "value": {"floatValue": float(value)}})
            definition["ratingScale"] = scale
        metrics.append({"customMetricDefinition": definition})
    if len({m.name for m in judge_metrics}) != len(judge_metrics):
        raise ValueError("judge_metrics names must be unique")
    return {
        "customMetrics": metrics,
        "evaluatorModelConfig": {"bedrockEvaluatorModels": [{"modelIdentifier": evaluator_model}]},
    }


def _human_config(
    flow_definition_arn: str,
    human_metrics: Sequence[HumanMetric],
    instructions: str | None,
    dataset_configs: list[dict[str, Any]],
) -> dict[str, Any]:
    if not Token.is_unresolved(flow_definition_arn) and not _FLOW_DEFINITION_RE.match(flow_definition_arn):
        raise ValueError(
            "flow_definition_arn must be a SageMaker flow definition ARN "
            f"(arn:aws:sagemaker:<region>:<account>:flow-definition/<name>), got {flow_definition_arn!r}"
        )
    if not 1 <= len(human_metrics) <= 10:
        raise ValueError(f"human_metrics must have 1-10 entries for human evaluation, got {len(human_metrics)}")
    metrics = []
    for metric in human_metrics:
        if not 1 <= len(metric.name) <= 63 or not _NAME_RE.match(metric.name):
            raise ValueError(f"human metric name must be 1-63 of [0-9a-zA-Z-_.], got {metric.name!r}")
        entry: dict[str, Any] = {"name": metric.name, "ratingMethod": metric.rating_method.value}
        if metric.description is not None:
            if not 1 <= len(metric.description) <= 63:
                raise ValueError(
                    f"human metric {metric.name}: description must be 1-63 characters, got {len(metric.description)}"
                )
            entry["description"] = metric.description
        metrics.append(entry)
    workflow: dict[str, Any] = {"flowDefinitionArn": flow_definition_arn}
    if instructions is not None:
        if not 1 <= len(instructions) <= 5000:
            raise ValueError(f"human_instructions must be 1-5000 characters, got {len(instructions)}")
        workflow["instructions"] = instructions
    return {
        "humanWorkflowConfig": workflow,
        "customMetrics": metrics,
        "datasetMetricConfigs": dataset_configs,
    }
