"""Print a short summary of a synthesized cloud assembly: per stack, its resources and the nag status.

``python -m infra.summary cdk.out``. cdk-nag runs during synthesis as a validation plugin, and a finding
that is not acknowledged fails the synthesis; so a summary of an assembly reports the acknowledged
findings it recorded and 0 unacknowledged ones.
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path
from typing import Any

TEMPLATE_LIMIT_BYTES = 1_000_000
RESOURCE_LIMIT = 500


def _stacks(assembly: Path) -> list[tuple[str, Path, list[Any]]]:
    manifest = json.loads((assembly / "manifest.json").read_text(encoding="utf-8"))
    stacks = []
    for name, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") == "aws:cloudformation:stack":
            template = assembly / artifact["properties"]["templateFile"]
            by_path = dict(artifact.get("metadata", {}))
            if "additionalMetadataFile" in artifact:
                extra = assembly / artifact["additionalMetadataFile"]
                by_path.update(json.loads(extra.read_text(encoding="utf-8")))
            metadata = [entry for entries in by_path.values() for entry in entries]
            stacks.append((artifact.get("displayName", name), template, metadata))
        elif artifact.get("type") == "cdk:cloud-assembly":
            stacks.extend(_stacks(assembly / artifact["properties"]["directoryName"]))
    return stacks


def summarize(assembly: Path) -> str:
    """The summary text for the cloud assembly in ``assembly``."""
    lines = []
    for name, template_file, metadata in _stacks(assembly):
        template = json.loads(template_file.read_text(encoding="utf-8"))
        resources = template.get("Resources", {})
        kinds = collections.Counter(r["Type"] for r in resources.values())
        top = ", ".join(f"{t.split('::', 1)[-1]} x{n}" for t, n in kinds.most_common(6))
        size = template_file.stat().st_size
        acknowledged = sum(
            len(entry.get("data") or {}) for entry in metadata if entry.get("type") == "aws:cdk:acknowledged-rules"
        )
        lines.append(
            f"{name}: {len(resources)} resources (limit {RESOURCE_LIMIT}), template {size / 1000:.1f} kB"
            f" (limit {TEMPLATE_LIMIT_BYTES // 1000} kB)\n"
            f"  {top}\n"
            f"  cdk-nag AwsSolutions: 0 unacknowledged findings"
            + (f", {acknowledged} acknowledged with reasons" if acknowledged else "")
        )
        for key, output in sorted(template.get("Outputs", {}).items()):
            if "EstimatedCost" in key:
                lines.append(f"  estimated cost ({key}): {output['Value']}")
    if not lines:
        return f"no stacks in {assembly}"
    return "\n".join([*lines, cost_summary(assembly)])


def cost_summary(assembly: Path) -> str:
    """The monthly cost of what the assembly provisions, from the same tables as ``bedrock-ops cost``."""
    from bedrock_ops.cost import advisor as cost
    from bedrock_ops.cost.pricing import load_pricing_table

    pricing = load_pricing_table()
    report = cost.estimate(
        cost.inventory_from_templates(cost.templates_from_assembly(assembly)),
        pricing,
        cost.load_service_prices(),
    )
    parts = ", ".join(f"{line.item} {line.monthly:,.2f}" for line in report.lines if line.monthly is not None)
    return (
        f"estimated monthly cost: {report.total_monthly:,.2f} {report.currency} before traffic"
        + (f" ({parts})" if parts else "")
        + f"; pricing table revised {report.pricing_as_of}. Traffic and break-even: "
        f"bedrock-ops cost --assembly {assembly}"
        + "".join(
            f"\n  price: {pricing.provenance_line(price, group)}"
            for price, group in ((pricing.price(m), g) for m, g in report.prices_used)
            if price is not None
        )
        + "".join(f"\n  warning: {w}" for w in report.warnings)
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m infra.summary [ASSEMBLY_DIR]`` (default: cdk.out)."""
    args = sys.argv[1:] if argv is None else argv
    assembly = Path(args[0] if args else "cdk.out")
    if not (assembly / "manifest.json").is_file():
        print(f"error: {assembly} holds no cloud assembly (run `make synth` first)", file=sys.stderr)
        return 2
    print(summarize(assembly))
    return 0


if __name__ == "__main__":
    sys.exit(main())
