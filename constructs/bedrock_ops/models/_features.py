"""The ModelEntry fields of the fact groups the constructs read: invocation, access, provisioned throughput,
deployment, copy, evaluation, pricing (not staged into the dataset validator asset, which reads none)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["feature_facts"]


def feature_facts(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of :class:`~bedrock_ops.models.facts.ModelEntry` from one raw model entry."""
    regions = (raw.get("regions") or {}).get("regions")
    invocation = raw.get("invocation") or {}
    throughput = raw.get("provisioned_throughput") or {}
    batches = (raw.get("dataset") or {}).get("tokens_by_batch_size", ())
    deployment = raw.get("custom_model_deployment") or {}
    copy = raw.get("model_copy") or {}
    return {
        "pricing_key": raw.get("pricing_key"),
        "regions": None if regions is None else tuple(regions),
        "on_demand": invocation.get("on_demand"),
        "inference_profile_only": bool(invocation.get("inference_profile_only", False)),
        "anthropic_use_case_form": bool((raw.get("access") or {}).get("anthropic_use_case_form", False)),
        "marketplace_subscription": (raw.get("access") or {}).get("marketplace_subscription"),
        "provisioned_throughput": bool(throughput.get("supported", False)),
        "provisioned_throughput_variants": tuple(throughput.get("variants") or ()),
        "provisioned_throughput_no_commitment": throughput.get("no_commitment"),
        "custom_model_deployment": deployment.get("supported"),
        "custom_model_deployment_regions": _regions(deployment.get("regions")),
        "custom_model_deployment_customized_since": deployment.get("customized_on_or_after"),
        "model_copy": copy.get("supported"),
        "model_copy_regions": _regions(copy.get("regions")),
        "judge": bool((raw.get("evaluation") or {}).get("judge", False)),
        "tokens_by_batch_size": tuple((t["max_batch_size"], t["max_tokens"]) for t in batches),
    }


def _regions(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)
