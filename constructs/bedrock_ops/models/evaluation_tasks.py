"""What model evaluation offers per task type: the knowledge base's ``evaluation_tasks`` group, typed.

Automatic jobs: each task type (the API's ``taskType``) offers some of the built-in metrics, each computed on
some built-in datasets (user guide, model-evaluation-tasks); judge jobs: the built-in judge metrics. Not staged
into the dataset validator asset (it reads none of this)::

    tasks = evaluation_tasks(load_models())
    tasks.task_types["Classification"].metric_names          # ("Builtin.Accuracy", "Builtin.Robustness")
    tasks.task_type_of("Builtin.Gigaword")                     # "Summarization"
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "EvaluationResults",
    "EvaluationTaskFacts",
    "EvaluationTasks",
    "build_evaluation_results",
    "build_evaluation_tasks",
]


def _unique(values: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


@dataclass(frozen=True)
class EvaluationTaskFacts:
    """One task type of automatic jobs: its metrics and the built-in datasets each is computed on."""

    task_type: str
    """The API value (``Generation``, ``Summarization``, ...)."""
    title: str
    metrics: Mapping[str, tuple[str, ...]] = field(hash=False)
    """Metric name -> the built-in datasets it is computed on (a custom dataset may use every metric)."""

    @property
    def metric_names(self) -> tuple[str, ...]:
        """The metrics this task type offers, in the documentation's order."""
        return tuple(self.metrics)

    @property
    def datasets(self) -> tuple[str, ...]:
        """The built-in datasets of this task type."""
        return _unique(d for datasets in self.metrics.values() for d in datasets)

    def metrics_of(self, dataset: str) -> tuple[str, ...]:
        """The metrics computed on the built-in ``dataset`` (none when it is not of this task type)."""
        return tuple(metric for metric, datasets in self.metrics.items() if dataset in datasets)


@dataclass(frozen=True)
class EvaluationTasks:
    """Task types, built-in datasets and metric names of model evaluation jobs."""

    task_types: Mapping[str, EvaluationTaskFacts] = field(hash=False)
    judge_metrics: tuple[str, ...] = ()
    """The built-in metrics of LLM-as-a-judge model evaluation jobs."""
    task_type_aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    dataset_aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    @property
    def automatic_metrics(self) -> tuple[str, ...]:
        """Every built-in metric of automatic jobs."""
        return _unique(m for facts in self.task_types.values() for m in facts.metrics)

    @property
    def builtin_datasets(self) -> tuple[str, ...]:
        """Every built-in dataset, as the API names it."""
        return _unique(d for facts in self.task_types.values() for d in facts.datasets)

    def task_type(self, text: str, *, prop: str = "task_type") -> str:
        """The API value of ``text`` (aliases such as ``General`` give ``Generation``)."""
        value = text if text in self.task_types else self.task_type_aliases.get(text)
        if value is None:
            aliases = ", ".join(f"{a} (= {t})" for a, t in self.task_type_aliases.items())
            raise ValueError(
                f"{prop} {text!r} is not a task type; allowed: {', '.join(self.task_types)}"
                + (f"; also accepted: {aliases}" if aliases else "")
            )
        return value

    def dataset(self, text: str, *, prop: str = "builtin") -> str:
        """The API name of the built-in dataset ``text`` (documented older spellings accepted)."""
        names = self.builtin_datasets
        value = text if text in names else self.dataset_aliases.get(text)
        if value is None:
            close = difflib.get_close_matches(text, names, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ValueError(f"{prop} {text!r} is not a built-in dataset; {hint}allowed: {', '.join(names)}")
        return value

    def task_type_of(self, dataset: str) -> str:
        """The task type the built-in ``dataset`` belongs to (each belongs to one)."""
        name = self.dataset(dataset)
        return next(t for t, facts in self.task_types.items() if name in facts.datasets)


def build_evaluation_tasks(group: Mapping[str, Any]) -> EvaluationTasks:
    """The typed view of a (schema-checked) ``evaluation_tasks`` group."""
    task_types = {
        task_type: EvaluationTaskFacts(
            task_type=task_type,
            title=str(facts.get("title", task_type)),
            metrics=MappingProxyType({m: tuple(d) for m, d in (facts.get("metrics") or {}).items()}),
        )
        for task_type, facts in (group.get("task_types") or {}).items()
    }
    return EvaluationTasks(
        task_types=MappingProxyType(task_types),
        judge_metrics=tuple(group.get("judge_metrics") or ()),
        task_type_aliases=MappingProxyType(dict(group.get("task_type_aliases") or {})),
        dataset_aliases=MappingProxyType(dict(group.get("dataset_aliases") or {})),
    )


@dataclass(frozen=True)
class EvaluationResults:
    """What an evaluation job writes and how to read it: the knowledge base's ``evaluation_results`` group.

    ``directions``: metric -> ``"higher"`` or ``"lower"`` (which scores are better), ``None`` where the
    documentation does not say; the rest names the JSONL fields of the per-record results."""

    directions: Mapping[str, str | None] = field(hash=False)
    result_suffix: str = "_output.jsonl"
    scores_key: str = "automatedEvaluationResult"
    score_list: str = "scores"
    score_name: str | None = "metricName"
    score_value: str = "result"
    evaluable_model_resources: tuple[str, ...] = ()
    running_statuses: tuple[str, ...] = ()
    max_job_duration_hours: float | None = None

    def direction(self, metric: str, *, prop: str = "thresholds") -> str:
        """``"higher"`` or ``"lower"`` for a known metric; unknown or undocumented metrics raise ``ValueError``
        with what is allowed ("did you mean")."""
        if metric not in self.directions:
            close = difflib.get_close_matches(metric, list(self.directions), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            known = ", ".join(m for m, d in self.directions.items() if d is not None)
            raise ValueError(f"{prop}: {metric!r} is not a built-in evaluation metric; {hint}allowed: {known}")
        direction = self.directions[metric]
        if direction is None:
            raise ValueError(
                f"{prop}: whether higher or lower {metric} scores are better is not documented (knowledge base "
                f"evaluation_results.metric_directions.{metric} is null): set it to 'higher' or 'lower' in a "
                "models file (models_file) to gate on it"
            )
        return direction


def build_evaluation_results(group: Mapping[str, Any]) -> EvaluationResults:
    """The typed view of a (schema-checked) ``evaluation_results`` group."""
    return EvaluationResults(
        directions=MappingProxyType(dict(group.get("metric_directions") or {})),
        result_suffix=str(group.get("result_suffix", "_output.jsonl")),
        scores_key=str(group.get("scores_key", "automatedEvaluationResult")),
        score_list=str(group.get("score_list", "scores")),
        score_name=group.get("score_name", "metricName"),
        score_value=str(group.get("score_value", "result")),
        evaluable_model_resources=tuple(group.get("evaluable_model_resources") or ()),
        running_statuses=tuple(group.get("running_statuses") or ()),
        max_job_duration_hours=group.get("max_job_duration_hours"),
    )
