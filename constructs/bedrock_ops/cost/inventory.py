"""What synthesized templates provision that costs money: provisioned throughputs, alarms, dashboards,
KMS keys, log groups and the models the app uses (read by the cost advisor and the synth summary)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bedrock_ops.cost.pricing import Commitment

__all__ = [
    "APPLICATION_INFERENCE_PROFILE_TYPE",
    "CUSTOM_MODEL_DEPLOYMENT_TYPE",
    "PROVISIONED_THROUGHPUT_TYPE",
    "ApplicationProfileItem",
    "Inventory",
    "ProvisionedItem",
    "inventory_from_templates",
    "templates_from_assembly",
]

PROVISIONED_THROUGHPUT_TYPE = "Custom::BedrockProvisionedThroughput"
CUSTOM_MODEL_DEPLOYMENT_TYPE = "Custom::BedrockCustomModelDeployment"
APPLICATION_INFERENCE_PROFILE_TYPE = "AWS::Bedrock::ApplicationInferenceProfile"


@dataclass(frozen=True)
class ApplicationProfileItem:
    """An application inference profile found in a template: its name, the model it copies (the id after the
    last ``/`` of ``ModelSource.CopyFrom``; None when that is a token) and its tags."""

    stack: str
    logical_id: str
    name: str
    model_id: str | None
    tags: Mapping[str, str]


@dataclass(frozen=True)
class ProvisionedItem:
    """A provisioned throughput found in a template (``model_id`` None when it is a token, e.g. the ARN of
    a custom model created in the same deployment)."""

    stack: str
    logical_id: str
    model_id: str | None
    model_units: int
    commitment: Commitment


@dataclass(frozen=True)
class Inventory:
    """What the templates provision that costs money by the month."""

    provisioned: tuple[ProvisionedItem, ...] = ()
    alarms: int = 0
    """Alarms on metrics or metric math (priced per alarm)."""
    metrics_insights_alarms: int = 0
    """Alarms on a Metrics Insights query (priced per metric analyzed)."""
    application_profiles: tuple[ApplicationProfileItem, ...] = ()
    dashboards: int = 0
    kms_keys: int = 0
    log_groups: int = 0
    stacks: tuple[str, ...] = ()
    invocation_logging: bool = False
    """Whether the app configures Bedrock model invocation logging (``Custom::BedrockInvocationLogging``)."""
    custom_model_deployments: tuple[str, ...] = ()
    """``stack/logical id`` of each custom model deployment (charged per token, nothing by the month)."""
    models: tuple[str, ...] = ()
    """Model ids the app uses (model access, evaluation jobs, provisioned throughput), first seen first."""


def templates_from_assembly(assembly: str | Path) -> dict[str, dict[str, Any]]:
    """The CloudFormation templates of a cloud assembly directory (e.g. ``cdk.out``), by stack name,
    including those of nested assemblies (stages)."""
    root = Path(assembly)
    manifest_file = root / "manifest.json"
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{root}: no manifest.json; run `cdk synth` first or pass --config") from None
    templates: dict[str, dict[str, Any]] = {}
    for name, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") == "aws:cloudformation:stack":
            file = root / artifact["properties"]["templateFile"]
            templates[name] = json.loads(file.read_text(encoding="utf-8"))
        elif artifact.get("type") == "cdk:cloud-assembly":
            templates.update(templates_from_assembly(root / artifact["properties"]["directoryName"]))
    return templates


def inventory_from_templates(templates: Mapping[str, Mapping[str, Any]]) -> Inventory:
    """Count what the templates provision (see the module docstring)."""
    kinds: Counter[str] = Counter()
    provisioned: list[ProvisionedItem] = []
    profiles: list[ApplicationProfileItem] = []
    insights_alarms = 0
    deployments: list[str] = []
    models: list[str] = []
    for stack, template in sorted(templates.items()):
        for logical_id, resource in sorted(template.get("Resources", {}).items()):
            kind = str(resource.get("Type", ""))
            kinds[kind] += 1
            props = resource.get("Properties", {})
            if kind == PROVISIONED_THROUGHPUT_TYPE:
                provisioned.append(_provisioned_item(stack, logical_id, props))
            elif kind == CUSTOM_MODEL_DEPLOYMENT_TYPE:
                deployments.append(f"{stack}/{logical_id}")
            elif kind == APPLICATION_INFERENCE_PROFILE_TYPE:
                profiles.append(_profile_item(stack, logical_id, props))
            elif kind == "AWS::CloudWatch::Alarm" and _is_metrics_insights(props):
                insights_alarms += 1
            models.extend(m for m in _models_used(kind, props) if m not in models)
    return Inventory(
        provisioned=tuple(provisioned),
        alarms=kinds["AWS::CloudWatch::Alarm"] - insights_alarms,
        metrics_insights_alarms=insights_alarms,
        application_profiles=tuple(profiles),
        dashboards=kinds["AWS::CloudWatch::Dashboard"],
        kms_keys=kinds["AWS::KMS::Key"],
        log_groups=kinds["AWS::Logs::LogGroup"],
        stacks=tuple(sorted(templates)),
        models=tuple(models),
        custom_model_deployments=tuple(deployments),
        invocation_logging=kinds["Custom::BedrockInvocationLogging"] > 0,
    )


def _is_metrics_insights(props: Mapping[str, Any]) -> bool:
    return any(str(m.get("Expression", "")).lstrip().upper().startswith("SELECT ") for m in props.get("Metrics", []))


def _profile_item(stack: str, logical_id: str, props: Mapping[str, Any]) -> ApplicationProfileItem:
    source = props.get("ModelSource", {}).get("CopyFrom")
    if isinstance(source, dict) and "Fn::Join" in source:
        parts = source["Fn::Join"][1]
        last = parts[-1] if parts else None
        source = last if isinstance(last, str) else None
    model_id = source.rsplit("/", 1)[-1] if isinstance(source, str) and "/" in source else None
    tags = {str(t.get("Key")): str(t.get("Value")) for t in props.get("Tags", []) if isinstance(t, dict)}
    name = props.get("InferenceProfileName")
    return ApplicationProfileItem(
        stack=stack,
        logical_id=logical_id,
        name=name if isinstance(name, str) else logical_id,
        model_id=model_id or None,
        tags=tags,
    )


def _models_used(kind: str, props: Mapping[str, Any]) -> list[str]:
    """Literal model ids of the library's Bedrock resources (tokens, e.g. custom model ARNs, are skipped)."""
    found: list[Any] = []
    if kind in (PROVISIONED_THROUGHPUT_TYPE, "Custom::BedrockModelAccess"):
        found.append(props.get("ModelId"))
    elif kind == "Custom::BedrockEvaluationJob":
        request = props.get("Request", {})
        for model in request.get("inferenceConfig", {}).get("models", []):
            found.append(model.get("bedrockModel", {}).get("modelIdentifier"))
        for config in request.get("evaluationConfig", {}).values():
            for judge in config.get("evaluatorModelConfig", {}).get("bedrockEvaluatorModels", []):
                found.append(judge.get("modelIdentifier"))
    return [m for m in found if isinstance(m, str) and m]


def _provisioned_item(stack: str, logical_id: str, props: Mapping[str, Any]) -> ProvisionedItem:
    model_id = props.get("ModelId")
    units = props.get("ModelUnits", 1)
    try:
        model_units = int(units)
    except (TypeError, ValueError):
        raise ValueError(f"{stack}/{logical_id}: ModelUnits must be a number, got {units!r}") from None
    term = props.get("CommitmentDuration") or Commitment.NO_COMMITMENT.value
    try:
        commitment = Commitment(term)
    except ValueError:
        raise ValueError(
            f"{stack}/{logical_id}: CommitmentDuration {term!r} is not one of {', '.join(c.value for c in Commitment)}"
        ) from None
    return ProvisionedItem(
        stack=stack,
        logical_id=logical_id,
        model_id=model_id if isinstance(model_id, str) else None,
        model_units=model_units,
        commitment=commitment,
    )
