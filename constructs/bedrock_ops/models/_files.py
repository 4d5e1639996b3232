"""Models files: read one, check it against the schema, merge it over the packaged knowledge base.

Not staged into the dataset validator's Lambda asset: the asset carries the already merged data.
A models file has the packaged schema; every key is optional. Its ``models`` entries are merged over
the packaged ones field by field (objects recursively, other values replaced); a new model needs
``provider`` and ``name``. Fact groups it changes cite the file itself (source ``models-file``) next to
the packaged sources, unless the file gives their ``source``.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bedrock_ops.models.facts import LIMIT_KEYS, BatchLimits, CustomizationType, DatasetFormat
from bedrock_ops.models.knowledge import FACT_GROUPS, PACKAGED, ModelsFileError

__all__ = ["OVERRIDE_SOURCE", "check_document", "merged_document", "read_document", "source_problems"]

OVERRIDE_SOURCE = "models-file"
_TOP: tuple[str, ...] = ("schema_version", "as_of", "description", "sources", "inference_profiles")
_TOP += ("hyperparameter_sets", "model_import", "promotion", "models", "evaluation_tasks", "evaluation_results")
_TOP += ("batch_inference",)
_EVALUATION_TASKS = {"task_types": "any", "task_type_aliases": "any", "dataset_aliases": "any", "judge_metrics": "strs"}
_EVALUATION_RESULTS = {"metric_directions": "any", "output_layout": "str", "result_suffix": "str", "scores_key": "str"}
_EVALUATION_RESULTS |= {"score_list": "str", "score_name": "str?", "score_value": "str", "score_aggregate": "str?"}
_EVALUATION_RESULTS |= {"evaluable_model_resources": "strs", "running_statuses": "strs"}
_EVALUATION_RESULTS |= {"max_job_duration_hours": "num?", "state_change_events": "bool"}
_DIRECTIONS = ("higher", "lower")
_COMMON = ("source", "unconfirmed", "note", "conflicts")
# field -> kind: bool, bool? (or null), str, str?, int?, num, strs (list of strings), strs? (or null), any
_GROUPS: dict[str, dict[str, str]] = {
    "regions": {"regions": "strs?"},
    "invocation": {"on_demand": "bool?", "inference_profile_only": "bool"},
    "access": {"anthropic_use_case_form": "bool", "marketplace_subscription": "bool?"},
    "provisioned_throughput": {"supported": "bool", "variants": "strs", "no_commitment": "bool?", "regions": "strs?"},
    "custom_model_deployment": {
        "supported": "bool?",
        "regions": "strs?",
        "customized_on_or_after": "str?",
        "metrics_model_id": "str?",
    },
    "model_copy": {"supported": "bool?", "regions": "strs?"},
    "evaluation": {"judge": "bool"},
    "dataset": {
        "chars_per_token": "num",
        "max_tokens_per_record": "int?",
        "tokens_by_batch_size": "any",
        "max_input_tokens": "int?",
        "max_output_tokens": "int?",
        "reserved_strings": "strs",
        "converse_schema_version": "str?",
        "multi_turn_distillation": "bool",
        "reserved_in_prompts_only": "bool",
        "single_modality": "bool",
        "max_videos_per_record": "int?",
        "media_in_dataset_bucket": "bool",
    },
    "batch_inference": dict.fromkeys((f.name for f in dataclasses.fields(BatchLimits)), "int?"),
}
_MODEL = {"provider": "str", "name": "str", "source": "any", "variants": "strs", "pricing_key": "str?", "note": "str?"}
_CUSTOMIZATION = {"formats": "any", "base_model_id": "str?", "regions": "strs?", "hyperparameters": "any"}
_CUSTOMIZATION |= {"quotas": "any", "teachers": "strs"}
_HYPERPARAMETER = ("type", "minimum", "maximum", "default", "values")


def read_document(path: Path) -> dict[str, Any]:
    """Parse the JSON object in ``path`` (errors name the file)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelsFileError(f"{path}: cannot read the models file: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelsFileError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ModelsFileError(f"{path}: expected a JSON object with 'models', got {type(document).__name__}")
    return document


def merged_document(path: Path) -> dict[str, Any]:
    """The packaged document with the models file at ``path`` merged over it, schema-checked."""
    document = read_document(PACKAGED)
    override = read_document(path)
    check_document(override, str(path), partial=True, known_sets=document.get("hyperparameter_sets", {}))
    as_of = override.get("as_of") or datetime.date.fromtimestamp(path.stat().st_mtime).isoformat()
    document["sources"][OVERRIDE_SOURCE] = {"url": path.resolve().as_uri(), "title": "models file", "as_of": as_of}
    for key, value in override.items():
        if key in ("sources", "hyperparameter_sets", "models"):
            document[key] = {**document[key], **_merge_each(document[key], value, key == "models")}
        elif key in ("evaluation_tasks", "evaluation_results", "batch_inference"):
            document[key] = _merge(document.get(key, {}), value, True)
        elif key != "as_of":
            document[key] = copy.deepcopy(value)
    check_document(document, str(path), partial=False)
    return document


def _merge_each(base: Mapping[str, Any], override: Mapping[str, Any], cite: bool) -> dict[str, Any]:
    merged = {}
    for name, value in override.items():
        merged[name] = _merge(base[name], value, cite) if name in base else _cite_new(value, cite)
    return merged


def _cite_new(value: Any, cite: bool) -> Any:
    value = copy.deepcopy(value)
    if cite and "source" not in value:
        value["source"] = OVERRIDE_SOURCE
    return value


def _merge(base: Any, override: Any, cite: bool) -> Any:
    if not isinstance(base, dict) or not isinstance(override, dict):
        return copy.deepcopy(override)
    merged = dict(base)
    for key, value in override.items():
        merged[key] = _merge(base[key], value, cite) if key in base else copy.deepcopy(value)
    if cite and "source" in base and "source" not in override:
        keys = [base["source"]] if isinstance(base["source"], str) else list(base["source"])
        merged["source"] = [*keys, OVERRIDE_SOURCE]
    return merged


def check_document(
    document: Mapping[str, Any], name: str, *, partial: bool, known_sets: Mapping[str, Any] | None = None
) -> None:
    """Raise ``ModelsFileError`` naming ``name``, the key path and the bad value for the first problem.

    ``partial``: a models file (every key optional) rather than the complete, merged document;
    ``known_sets``: the hyperparameter sets its customization types may name besides its own.
    """
    _keys(document, _TOP, name, "")
    sets = document.get("hyperparameter_sets", {})
    _object(sets, name, "hyperparameter_sets")
    for set_name, entry in sets.items():
        where = f"hyperparameter_sets.{set_name}"
        _object(entry, name, where)
        _keys(entry, ("parameters", *_COMMON), name, where)
        _parameters(entry.get("parameters", {}), name, f"{where}.parameters")
    if "evaluation_tasks" in document:
        _evaluation_tasks(document["evaluation_tasks"], name)
    if "evaluation_results" in document:
        _evaluation_results(document["evaluation_results"], name)
    if "batch_inference" in document:
        batch = document["batch_inference"]
        _object(batch, name, "batch_inference")
        _keys(batch, ("quotas", *_COMMON), name, "batch_inference")
        _fields(batch.get("quotas", {}), _GROUPS["batch_inference"], name, "batch_inference.quotas")
    models = document.get("models", {})
    _object(models, name, "models")
    for model_id, entry in models.items():
        _model(entry, name, f"models.{model_id}", partial=partial, sets={**(known_sets or {}), **sets})


def _model(entry: Any, name: str, where: str, *, partial: bool, sets: Mapping[str, Any]) -> None:
    _object(entry, name, where)
    _keys(entry, (*_MODEL, *_GROUPS, "customization"), name, where)
    for key, kind in _MODEL.items():
        if key in entry or (key in ("provider", "name") and not partial):
            _check(entry.get(key), kind, name, f"{where}.{key}")
    for group, fields in _GROUPS.items():
        if group in entry:
            _fields(entry[group], fields, name, f"{where}.{group}")
    customization = entry.get("customization", {})
    _object(customization, name, f"{where}.customization")
    for ctype, facts in customization.items():
        here = f"{where}.customization.{ctype}"
        if ctype not in CustomizationType.__members__:
            allowed = ", ".join(CustomizationType.__members__)
            raise ModelsFileError(f"{name}: {where}.customization: unknown type {ctype!r}; allowed: {allowed}")
        _fields(facts, _CUSTOMIZATION, name, here)
        _formats(facts.get("formats", []), name, f"{here}.formats")
        quotas = facts.get("quotas", {})
        _object(quotas, name, f"{here}.quotas")
        _keys(quotas, LIMIT_KEYS, name, f"{here}.quotas")
        for key, value in quotas.items():
            _check(value, "int?", name, f"{here}.quotas.{key}")
        hyperparameters = facts.get("hyperparameters")
        if isinstance(hyperparameters, str):
            if hyperparameters not in sets:
                known = ", ".join(sorted(sets))
                raise ModelsFileError(
                    f"{name}: {here}.hyperparameters: unknown set {hyperparameters!r}; known: {known}"
                )
        elif hyperparameters is not None:
            _parameters(hyperparameters, name, f"{here}.hyperparameters")


def _evaluation_tasks(group: Any, name: str) -> None:
    """``evaluation_tasks``: task type -> {title, metrics: {metric: [built-in datasets]}}, aliases, judge metrics."""
    where = "evaluation_tasks"
    _fields(group, _EVALUATION_TASKS, name, where)
    task_types = group.get("task_types", {})
    _object(task_types, name, f"{where}.task_types")
    for task_type, facts in task_types.items():
        here = f"{where}.task_types.{task_type}"
        _object(facts, name, here)
        _keys(facts, ("title", "metrics", *_COMMON), name, here)
        metrics = facts.get("metrics", {})
        _object(metrics, name, f"{here}.metrics")
        for metric, datasets in metrics.items():
            _check(datasets, "strs", name, f"{here}.metrics.{metric}")
    for key in ("task_type_aliases", "dataset_aliases"):
        aliases = group.get(key, {})
        _object(aliases, name, f"{where}.{key}")
        for alias, target in aliases.items():
            _check(target, "str", name, f"{where}.{key}.{alias}")


def _evaluation_results(group: Any, name: str) -> None:
    """``evaluation_results``: metric -> "higher" | "lower" | null (better scores), the output format."""
    where = "evaluation_results"
    _fields(group, _EVALUATION_RESULTS, name, where)
    directions = group.get("metric_directions", {})
    _object(directions, name, f"{where}.metric_directions")
    for metric, direction in directions.items():
        if direction is not None and direction not in _DIRECTIONS:
            raise ModelsFileError(
                f"{name}: {where}.metric_directions.{metric} must be 'higher', 'lower' or null, got {direction!r}"
            )


def _formats(value: Any, name: str, where: str) -> None:
    untrained = (DatasetFormat.EVALUATION_PROMPTS, DatasetFormat.BATCH_RECORDS)
    allowed = [f.value for f in DatasetFormat if f not in untrained]
    if not isinstance(value, list):
        raise ModelsFileError(
            f"{name}: {where} must be a list of dataset formats ({', '.join(allowed)}), got {value!r}"
        )
    for fmt in value:
        if fmt == DatasetFormat.EVALUATION_PROMPTS.value:
            raise ModelsFileError(f"{name}: {where}: evaluation-prompts datasets train no model")
        if fmt not in allowed:
            raise ModelsFileError(f"{name}: {where}: unknown value {fmt!r}; allowed: {', '.join(allowed)}")


def _parameters(params: Any, name: str, where: str) -> None:
    _object(params, name, where)
    for param, spec in params.items():
        here = f"{where}.{param}"
        _object(spec, name, here)
        _keys(spec, _HYPERPARAMETER, name, here)
        if spec.get("type") not in ("int", "float", "enum"):
            raise ModelsFileError(f"{name}: {here}.type must be 'int', 'float' or 'enum', got {spec.get('type')!r}")
        if spec["type"] == "enum":  # the allowed strings; no range
            if not spec.get("values"):
                raise ModelsFileError(
                    f"{name}: {here}.values must list the allowed strings, got {spec.get('values')!r}"
                )
            _check(spec["values"], "strs", name, f"{here}.values")
            if spec.get("default") is not None and spec["default"] not in spec["values"]:
                raise ModelsFileError(
                    f"{name}: {here}.default must be one of {spec['values']}, got {spec['default']!r}"
                )
            continue
        for key in ("minimum", "maximum"):  # null: no documented bound (not checked)
            _check(spec.get(key), "num?", name, f"{here}.{key}")
        if spec.get("default") is not None:
            _check(spec["default"], "num", name, f"{here}.default")


def _fields(group: Any, fields: Mapping[str, str], name: str, where: str) -> None:
    _object(group, name, where)
    _keys(group, (*fields, *_COMMON), name, where)
    for key, kind in fields.items():
        if key in group:
            _check(group[key], kind, name, f"{where}.{key}")


def _object(value: Any, name: str, where: str) -> None:
    if not isinstance(value, dict):
        raise ModelsFileError(f"{name}: {where} must be an object, got {value!r}")


def _keys(value: Mapping[str, Any], allowed: tuple[str, ...], name: str, where: str) -> None:
    for key in value:
        if key not in allowed:
            inside = f" in {where}" if where else ""
            raise ModelsFileError(f"{name}: unknown key {key!r}{inside}; allowed keys: {', '.join(allowed)}")


_KINDS = {
    "bool": "true or false",
    "str": "a non-empty string",
    "int": "a non-negative integer",
    "num": "a number",
    "strs": "a list of strings",
}


def _check(value: Any, kind: str, name: str, where: str) -> None:
    base = kind.rstrip("?")
    if kind == "any" or (value is None and kind.endswith("?")):
        return
    ok = {
        "bool": isinstance(value, bool),
        "str": isinstance(value, str) and bool(value),
        "int": isinstance(value, int) and not isinstance(value, bool) and value >= 0,
        "num": isinstance(value, int | float) and not isinstance(value, bool),
        "strs": isinstance(value, list) and all(isinstance(v, str) and v for v in value),
    }[base]
    if not ok:
        expected = _KINDS[base] + (" or null" if kind.endswith("?") else "")
        raise ModelsFileError(f"{name}: {where} must be {expected}, got {value!r}")


def source_problems(document: Mapping[str, Any]) -> list[str]:
    """Every fact group (and hyperparameter set) whose sources do not resolve to a ``sources`` entry with a
    url and an as_of date; conflicts whose winner is not one of their cited values. Empty: all cited."""
    sources = document.get("sources", {})
    problems = [
        f"sources.{key}: needs a url and an as_of date"
        for key, value in sources.items()
        if not (
            isinstance(value, dict) and value.get("url", "").startswith(("https://", "file://")) and value.get("as_of")
        )
    ]

    def cite(where: str, group: Mapping[str, Any]) -> None:
        keys = group.get("source")
        keys = [keys] if isinstance(keys, str) else keys
        if not keys:
            problems.append(f"{where}: no source")
        problems.extend(f"{where}: source {k!r} is not in sources" for k in keys or () if k not in sources)
        for conflict in group.get("conflicts", ()):
            cited = conflict.get("values", {})
            if conflict.get("winner") not in cited or not conflict.get("reason"):
                problems.append(
                    f"{where}: conflict {conflict.get('fact')!r} needs a winner among its values and a reason"
                )
            problems.extend(f"{where}: conflict source {k!r} is not in sources" for k in cited if k not in sources)

    cite("inference_profiles", document.get("inference_profiles", {}))
    if "evaluation_tasks" in document:
        cite("evaluation_tasks", document["evaluation_tasks"])
    for group_name in ("model_import", "promotion", "evaluation_results", "batch_inference"):
        if group_name in document:
            cite(group_name, document[group_name])
    for set_name, entry in document.get("hyperparameter_sets", {}).items():
        cite(f"hyperparameter_sets.{set_name}", entry)
    for model_id, entry in document.get("models", {}).items():
        cite(f"models.{model_id}", entry)
        for group in FACT_GROUPS:
            if group in entry:
                cite(f"models.{model_id}.{group}", entry[group])
        for ctype, facts in entry.get("customization", {}).items():
            cite(f"models.{model_id}.customization.{ctype}", facts)
    return problems
