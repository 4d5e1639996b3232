"""The evaluation prompt format in the validator core: one test per rule, no base model needed."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from bedrock_ops.data.validation import (
    MAX_EVALUATION_PROMPTS,
    ValidationReport,
    validate_file,
    validate_stream,
)
from bedrock_ops.models import CustomizationType, DatasetFormat

from .conftest import jsonl, only_error

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "evaluation"
EVAL = DatasetFormat.EVALUATION_PROMPTS
Check = Callable[..., ValidationReport]


@pytest.fixture
def check(tmp_path: Path) -> Check:
    """Write records (dicts or raw lines) or raw bytes and validate them as evaluation prompts."""

    def run(content: Sequence[Any] | bytes, **kwargs: Any) -> ValidationReport:
        path = tmp_path / "prompts.jsonl"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(jsonl(content), encoding="utf-8")
        return validate_file(path, dataset_format=EVAL, **kwargs)

    return run


def prompt(**fields: Any) -> dict[str, Any]:
    return {"prompt": "What is 2+2?", **fields}


# -- valid files --------------------------------------------------------------------------------


def test_example_dataset_passes_without_a_base_model() -> None:
    report = validate_file(EXAMPLES / "prompts.jsonl", dataset_format=EVAL)
    assert report.valid, report.format_text()
    assert (report.base_model, report.customization_type, report.split) == (None, None, None)
    assert report.dataset_format is EVAL
    assert (report.records, report.with_reference) == (4, 4)


def test_every_field_counts_references_and_categories(check: Check) -> None:
    responses = [{"response": "4", "modelIdentifier": "my-rag"}, {"response": "four", "modelIdentifier": "other"}]
    rows = [
        prompt(referenceResponse="4", category="math", modelResponses=responses),
        prompt(category="math"),
        {"prompt": "Summarize: the cat sat.", "category": "summary"},
    ]
    report = check(rows)
    assert report.valid, report.format_text()
    assert (report.records, report.with_reference) == (3, 1)
    assert report.categories == {"math": 2, "summary": 1}
    assert report.token_min is not None  # prompts are measured like any record


def test_null_optional_fields_count_as_absent(check: Check) -> None:
    assert check([prompt(referenceResponse=None, category=None, modelResponses=None)]).valid


def test_base_model_only_names_the_evaluated_model(check: Check) -> None:
    report = check([prompt()], base_model="not.in-the-registry-v1")  # evaluated models need no registry entry
    assert report.valid
    assert report.base_model == "not.in-the-registry-v1"


# -- prompt -------------------------------------------------------------------------------------


def test_missing_prompt_is_an_error(check: Check) -> None:
    issue = only_error(check([prompt(), {"referenceResponse": "x"}]))
    assert (issue.line, issue.field, issue.message) == (2, "prompt", "required field is missing")


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_prompt_is_an_error(check: Check, value: str) -> None:
    issue = only_error(check([{"prompt": value}]))
    assert (issue.field, issue.message) == ("prompt", "must not be empty")


def test_non_string_prompt_is_an_error(check: Check) -> None:
    issue = only_error(check([{"prompt": ["a", "b"]}]))
    assert (issue.field, issue.message) == ("prompt", "must be a string, got array")


# -- referenceResponse ----------------------------------------------------------------------------


def test_non_string_reference_is_an_error(check: Check) -> None:
    issue = only_error(check([prompt(referenceResponse=4)]))
    assert (issue.field, issue.message) == ("referenceResponse", "must be a string, got number")


def test_reference_is_required_when_the_caller_says_so(check: Check) -> None:
    report = check([prompt(referenceResponse="4"), prompt()], require_reference=True)
    issue = only_error(report)
    assert (issue.line, issue.field) == (2, "referenceResponse")
    assert issue.message == "required for the chosen metrics (the expected answer)"


# -- category -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", 3, {"name": "math"}])
def test_category_must_be_a_non_empty_string(check: Check, value: Any) -> None:
    issue = only_error(check([prompt(category=value)]))
    assert issue.field == "category"
    assert issue.message.startswith("must be a non-empty string, got ")


# -- modelResponses -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "my answer",
        [],
        [{"response": str(i), "modelIdentifier": f"m{i}"} for i in range(3)],  # at most 2 sources
    ],
)
def test_model_responses_must_be_a_list_of_one_or_two(check: Check, value: Any) -> None:
    issue = only_error(check([prompt(modelResponses=value)]))
    assert (issue.field, issue.message) == (
        "modelResponses",
        "must be a list of 1-2 {response, modelIdentifier} objects",
    )


@pytest.mark.parametrize("item", [{"modelIdentifier": "m"}, {"response": 4, "modelIdentifier": "m"}, "text"])
def test_model_response_needs_a_string_response(check: Check, item: Any) -> None:
    issue = only_error(check([prompt(modelResponses=[item])]))
    assert (issue.field, issue.message) == ("modelResponses[0].response", "required: a string")


@pytest.mark.parametrize("item", [{"response": "r"}, {"response": "r", "modelIdentifier": ""}])
def test_model_response_needs_its_source_name(check: Check, item: Any) -> None:
    good = {"response": "r", "modelIdentifier": "m"}
    issue = only_error(check([prompt(modelResponses=[good, item])]))
    assert issue.field == "modelResponses[1].modelIdentifier"


# -- unknown keys -------------------------------------------------------------------------------


def test_unknown_key_is_a_warning_not_an_error(check: Check) -> None:
    report = check([prompt(completion="4")])
    assert report.valid
    assert [(w.line, w.field) for w in report.warnings] == [(1, "completion")]
    assert report.warnings[0].message.startswith("unknown key; expected category, modelResponses")
    assert ":line 1: warning: completion: unknown key" in report.format_text()


# -- file-level ---------------------------------------------------------------------------------


def test_at_most_1000_prompts_per_file(check: Check) -> None:
    assert check([prompt()] * MAX_EVALUATION_PROMPTS).valid
    issue = only_error(check([prompt()] * (MAX_EVALUATION_PROMPTS + 1)))
    assert (issue.line, issue.message) == (None, "1001 prompts; a job reads at most 1000 per dataset")


def test_the_prompt_limit_can_be_lowered(check: Check) -> None:
    issue = only_error(check([prompt()] * 3, max_prompts=2))
    assert issue.message == "3 prompts; a job reads at most 2 per dataset"


@pytest.mark.parametrize(("content", "message"), [(b"", "file is empty"), (b"\n\n", "file holds no records")])
def test_empty_file_is_an_error(check: Check, content: bytes, message: str) -> None:
    report = check(content)
    assert not report.valid
    assert report.errors[-1].message == message


# -- the core's line checks apply ------------------------------------------------------------------


def test_bad_utf8_blank_line_bad_json_and_non_objects_are_reported_with_their_lines(check: Check) -> None:
    report = check(b'{"prompt": "ok"}\n\n{"prompt": "caf\xe9"}\n{"prompt": \n["prompt"]\n')
    assert [(e.line, e.message.split(":")[0].split(" at ")[0]) for e in report.errors] == [
        (2, "blank line"),
        (3, "invalid UTF-8"),
        (4, "not valid JSON"),
        (5, "each line must be a JSON object, got a JSON array"),
    ]


def test_crlf_line_endings_are_accepted(check: Check) -> None:
    assert check(b'{"prompt": "a"}\r\n{"prompt": "b"}\r\n').valid


def test_first_n_errors_are_kept_and_all_are_counted(check: Check) -> None:
    report = check([{"prompt": ""}] * 25, max_errors=10)
    assert (report.error_count, len(report.errors)) == (25, 10)
    assert report.to_dict()["errors_truncated"] is True


def test_report_dict_carries_the_evaluation_counts(check: Check) -> None:
    data = check([prompt(referenceResponse="4", category="math", extra=1)]).to_dict()
    assert (data["format"], data["base_model"], data["customization_type"], data["split"]) == (
        "evaluation-prompts",
        None,
        None,
        None,
    )
    assert (data["with_reference"], data["categories"]) == (1, {"math": 1})
    assert [w["field"] for w in data["warnings"]] == ["extra"]
    json.dumps(data)


def test_stream_entry_point_needs_no_model_spec() -> None:
    text = jsonl([prompt(), prompt(category="x")]).encode()
    chunks = [text[i : i + 7] for i in range(0, len(text), 7)]  # lines split across chunks
    report = validate_stream(chunks, dataset_format=EVAL, source="s3://bucket/evaluation/p.jsonl")
    assert report.valid
    assert (report.records, report.categories) == (2, {"x": 1})


def test_customization_datasets_still_need_a_model(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(jsonl([{"prompt": "p", "completion": "c"}]), encoding="utf-8")
    with pytest.raises(ValueError, match="a base model is needed"):
        validate_file(path, customization_type=CustomizationType.FINE_TUNING)


def test_warnings_are_kept_up_to_max_errors(check: Check) -> None:
    report = check([prompt(extra=1)] * 5, max_errors=2)
    assert report.valid
    assert [w.line for w in report.warnings] == [1, 2]
