"""Record rules of model evaluation prompt datasets (``DatasetFormat.EVALUATION_PROMPTS``), standard library only.

Part of the validator core (``bedrock_ops.data.validation`` imports it when it checks that format); not staged
into the dataset validator Lambda asset, which validates customization datasets and batch inference input only.
"""

from __future__ import annotations

from typing import Any

from bedrock_ops.data._records import RecordRules, json_type
from bedrock_ops.data._report import ValidationIssue

__all__ = ["check_evaluation"]

_EVALUATION_KEYS = ("category", "modelResponses", "prompt", "referenceResponse")
_MAX_MODEL_RESPONSES = 2


def check_evaluation(rules: RecordRules, require_reference: bool, obj: dict[str, Any], ln: int) -> int | None:
    """The rules of one evaluation prompt record (``rules``: the validator; ``require_reference``: whether a
    ``referenceResponse`` is required); its prompt's characters."""
    report = rules.report
    chars = rules._text(obj, "prompt", ln, "prompt")
    reference = obj.get("referenceResponse")
    if reference is None:
        if require_reference:
            rules.err(ln, "referenceResponse", "required for the chosen metrics (the expected answer)")
    elif type(reference) is str:
        report.with_reference += 1
    else:
        rules.err(ln, "referenceResponse", f"must be a string, got {json_type(reference)}")
    category = obj.get("category")
    if category is not None:
        if type(category) is str and category:
            report.categories[category] = report.categories.get(category, 0) + 1
        else:
            rules.err(ln, "category", f"must be a non-empty string, got {category!r}"[:120])
    responses = obj.get("modelResponses")
    if responses is not None:
        if type(responses) is not list or not 1 <= len(responses) <= _MAX_MODEL_RESPONSES:
            rules.err(
                ln,
                "modelResponses",
                f"must be a list of 1-{_MAX_MODEL_RESPONSES} {{response, modelIdentifier}} objects",
            )
        else:
            for i, item in enumerate(responses):
                path = f"modelResponses[{i}]"
                if type(item) is not dict or type(item.get("response")) is not str:
                    rules.err(ln, path + ".response", "required: a string")
                elif type(item.get("modelIdentifier")) is not str or not item["modelIdentifier"]:
                    rules.err(ln, path + ".modelIdentifier", "required: the name of the response's source")
    unknown = sorted(set(obj).difference(_EVALUATION_KEYS))
    if unknown and len(report.warnings) < report.max_errors:
        expected = ", ".join(_EVALUATION_KEYS)
        report.warnings.append(ValidationIssue(ln, unknown[0], f"unknown key; expected {expected}"))
    return chars
