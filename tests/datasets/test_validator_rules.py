"""One test per validation rule, for every dataset format the rule applies to."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from bedrock_ops.data.validation import DatasetSplit, ValidationReport
from bedrock_ops.models import CustomizationType, DatasetFormat, UnsupportedCustomizationError

from .conftest import (
    CASES,
    COHERE,
    CONVERSATION_CASES,
    FINE_TUNING_CONVERSATIONS,
    HAIKU,
    LLAMA31,
    LLAMA32,
    NOVA,
    TITAN,
    Case,
    claude,
    converse,
    cpt,
    instruction,
    only_error,
)

Check = Callable[..., ValidationReport]


def _first_text_field(record: dict[str, Any]) -> tuple[list[Any], Any]:
    """Return (path, container, key) of the first user text of a record of any format."""
    if "prompt" in record:
        return [], "prompt"
    if "input" in record:
        return [], "input"
    content = record["messages"][0]["content"]
    if isinstance(content, str):
        return ["messages", 0], "content"
    return ["messages", 0, "content", 0], "text"


def _set_text(record: dict[str, Any], value: Any) -> dict[str, Any]:
    record = copy.deepcopy(record)
    path, key = _first_text_field(record)
    target: Any = record
    for step in path:
        target = target[step]
    target[key] = value
    return record


# -- valid files --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_valid_file_passes_with_record_count_and_token_stats(check: Check, case: Case) -> None:
    report = check([case.make() for _ in range(3)], case)
    assert report.valid, report.format_text()
    assert report.verdict == "passed"
    assert report.records == 3
    assert report.token_min is not None and report.token_min > 0
    assert report.token_min <= (report.token_mean or 0) <= (report.token_max or 0)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_crlf_line_endings_are_accepted(check: Check, case: Case) -> None:
    body = "".join(json.dumps(case.make()) + "\r\n" for _ in range(2)).encode()
    report = check(body, case)
    assert report.valid, report.format_text()
    assert report.records == 2


def test_token_statistics_are_min_mean_max_of_the_records(check: Check) -> None:
    records = [instruction("a" * 6, "b" * 6), instruction("a" * 60, "b" * 60)]  # 2 and 20 tokens at 6 c/t
    report = check(records)
    assert (report.token_min, report.token_mean, report.token_max) == (2, 11.0, 20)


# -- encoding and framing -----------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_invalid_utf8_reports_line_and_byte_offset(check: Check, case: Case) -> None:
    good = json.dumps(case.make()).encode()
    bad = json.dumps(_set_text(case.make(), "caf@")).encode().replace(b"@", b"\xe9")
    body = good + b"\n" + bad + b"\n"
    offset = body.index(b"\xe9")
    issue = only_error(check(body, case))
    assert issue.line == 2
    assert f"byte offset {offset} of the file" in issue.message


def test_utf8_byte_order_mark_is_rejected(check: Check) -> None:
    body = b"\xef\xbb\xbf" + json.dumps(instruction()).encode() + b"\n"
    issue = only_error(check(body))
    assert issue.line == 1
    assert "byte order mark" in issue.message


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_line_that_is_not_json_is_reported(check: Check, case: Case) -> None:
    issue = only_error(check([case.make(), json.dumps(case.make())[:-1]], case))
    assert (issue.line, issue.field) == (2, None)
    assert issue.message.startswith("not valid JSON")


def test_deeply_nested_line_is_reported_not_raised(check: Check) -> None:
    issue = only_error(check([instruction(), '{"prompt": ' + "[" * 100_000 + "]" * 100_000 + "}"]))
    assert issue.line == 2
    assert "nested too deeply" in issue.message


@pytest.mark.parametrize("value", ["[1, 2]", '"text"', "42", "null"])
def test_line_that_is_not_a_json_object_is_reported(check: Check, value: str) -> None:
    issue = only_error(check([instruction(), value]))
    assert issue.line == 2
    assert "must be a JSON object" in issue.message


def test_blank_line_between_records_is_reported(check: Check) -> None:
    issue = only_error(check([instruction(), "  ", instruction()]))
    assert issue.line == 2
    assert "blank line" in issue.message


def test_empty_file_is_reported(check: Check) -> None:
    issue = only_error(check(b""))
    assert (issue.line, issue.message) == (None, "file is empty")


def test_file_with_only_newlines_holds_no_records(check: Check) -> None:
    report = check(b"\n")
    assert report.records == 0
    assert any(e.message == "file holds no records" for e in report.errors)


def test_last_line_without_newline_is_validated(check: Check) -> None:
    body = (json.dumps(instruction()) + "\n" + json.dumps({"prompt": "x"})).encode()
    issue = only_error(check(body))
    assert (issue.line, issue.field) == (2, "completion")


# -- required fields and types ------------------------------------------------------------------

_REQUIRED = [
    (CASES[0], "prompt"),
    (CASES[0], "completion"),
    (CASES[1], "messages"),
    (CASES[3], "messages"),
    (CASES[3], "schemaVersion"),
    (CASES[5], "input"),
    (CASES[6], "schemaVersion"),
    (CASES[6], "messages"),
]


@pytest.mark.parametrize(("case", "field"), _REQUIRED, ids=str)
def test_missing_required_field_is_reported(check: Check, case: Case, field: str) -> None:
    record = case.make()
    del record[field]
    issue = only_error(check([record], case))
    assert (issue.line, issue.field, issue.message) == (1, field, "required field is missing")


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_text_field_of_wrong_type_is_reported(check: Check, case: Case) -> None:
    issue = only_error(check([_set_text(case.make(), 42)], case))
    assert issue.line == 1
    assert issue.message == "must be a string, got number"


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_empty_text_is_reported(check: Check, case: Case) -> None:
    issue = only_error(check([_set_text(case.make(), "   ")], case))
    assert issue.message == "must not be empty"


@pytest.mark.parametrize("case", CONVERSATION_CASES, ids=repr)
def test_turn_without_content_is_reported(check: Check, case: Case) -> None:
    record = case.make()
    del record["messages"][1]["content"]
    issue = only_error(check([record], case))
    assert (issue.field, issue.message) == ("messages[1].content", "required field is missing")


@pytest.mark.parametrize("case", CONVERSATION_CASES, ids=repr)
def test_messages_that_are_not_a_list_are_reported(check: Check, case: Case) -> None:
    record = case.make()
    record["messages"] = {"role": "user"}
    issue = only_error(check([record], case))
    assert (issue.field, issue.message) == ("messages", "must be a list of turns, got object")


@pytest.mark.parametrize("case", CONVERSATION_CASES, ids=repr)
def test_empty_messages_are_reported(check: Check, case: Case) -> None:
    record = case.make()
    record["messages"] = []
    issue = only_error(check([record], case))
    assert issue.field == "messages"
    assert "at least one user turn" in issue.message


def test_claude_system_must_be_a_string(check: Check) -> None:
    record = claude(1)
    record["system"] = [{"text": "x"}]
    issue = only_error(check([record], model=HAIKU))
    assert (issue.field, issue.message) == ("system", "must be a string, got array")


def test_claude_record_without_system_is_valid(check: Check) -> None:
    assert check([claude(2, system=None)], model=HAIKU).valid


def test_converse_system_must_be_a_list_of_text_blocks(check: Check) -> None:
    record = converse(1)
    record["system"] = "You are concise."
    issue = only_error(check([record], model=NOVA))
    assert issue.field == "system"
    assert "must be a list" in issue.message


def test_converse_content_must_be_a_list_of_blocks(check: Check) -> None:
    record = converse(1)
    record["messages"][1]["content"] = "Answer."
    issue = only_error(check([record], model=NOVA))
    assert issue.field == "messages[1].content"
    assert "must be a list of content blocks" in issue.message


def test_converse_block_with_two_kinds_is_reported(check: Check) -> None:
    record = converse(1)
    record["messages"][0]["content"] = [{"text": "a", "image": {}}]
    issue = only_error(check([record], model=NOVA))
    assert issue.field == "messages[0].content[0]"
    assert "exactly one of text, image or video" in issue.message


def test_converse_unknown_block_kind_is_reported(check: Check) -> None:
    record = converse(1)
    record["messages"][0]["content"] = [{"audio": {"format": "mp3"}}]
    issue = only_error(check([record], model=NOVA))
    assert "unknown content block 'audio'" in issue.message


def test_converse_image_block_in_s3_is_valid(check: Check) -> None:
    record = converse(1)
    image = {"format": "png", "source": {"s3Location": {"uri": "s3://bucket/images/cat.png"}}}
    record["messages"][0]["content"].append({"image": image})
    assert check([record], model=NOVA).valid


@pytest.mark.parametrize(
    ("image", "field"),
    [
        ({"format": "bmp", "source": {"s3Location": {"uri": "s3://b/k.bmp"}}}, "image.format"),
        ({"format": "png", "source": {"bytes": "aGVsbG8="}}, "image.source.s3Location.uri"),
    ],
)
def test_converse_image_block_needs_known_format_and_s3_uri(check: Check, image: dict[str, Any], field: str) -> None:
    record = converse(1)
    record["messages"][0]["content"].append({"image": image})
    issue = only_error(check([record], model=NOVA))
    assert issue.field == f"messages[0].content[1].{field}"


def test_converse_schema_version_must_match_for_llama(check: Check) -> None:
    record = converse(1)
    record["schemaVersion"] = "v1"
    issue = only_error(check([record], model=LLAMA32))
    assert issue.field == "schemaVersion"
    assert "'bedrock-conversation-2024'" in issue.message


def test_converse_schema_version_may_be_any_string_for_nova(check: Check) -> None:
    record = converse(1)
    record["schemaVersion"] = "my-schema"
    assert check([record], model=NOVA).valid


# -- roles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CONVERSATION_CASES, ids=repr)
def test_unknown_role_is_reported(check: Check, case: Case) -> None:
    record = case.make()
    record["messages"][1]["role"] = "bot"
    report = check([record], case)
    assert report.errors[0].field == "messages[1].role"
    assert report.errors[0].message == "unknown role 'bot'; allowed: user, assistant"


@pytest.mark.parametrize("case", CONVERSATION_CASES, ids=repr)
def test_first_turn_must_be_from_the_user(check: Check, case: Case) -> None:
    record = case.make()
    record["messages"] = record["messages"][1:] + record["messages"][:1]
    report = check([record], case)
    assert report.errors[0].field == "messages[0].role"
    assert "first turn must be from the user" in report.errors[0].message


@pytest.mark.parametrize("case", CONVERSATION_CASES, ids=repr)
def test_roles_must_alternate(check: Check, case: Case) -> None:
    record = case.make()
    first = record["messages"][0]
    record["messages"].insert(1, copy.deepcopy(first))
    issue = only_error(check([record], case))
    assert issue.field == "messages[1].role"
    assert "two 'user' turns in a row" in issue.message


@pytest.mark.parametrize("case", FINE_TUNING_CONVERSATIONS, ids=repr)
def test_last_turn_must_be_from_the_assistant(check: Check, case: Case) -> None:
    record = case.make()
    record["messages"].pop()
    issue = only_error(check([record], case))
    assert issue.field == f"messages[{len(record['messages']) - 1}].role"
    assert "last turn must be from the assistant" in issue.message


def test_distillation_prompt_may_end_with_the_user_turn(check: Check) -> None:
    report = check([converse(1, final_user=True)], model=NOVA, ctype=CustomizationType.DISTILLATION)
    assert report.valid, report.format_text()
    assert report.dataset_format is DatasetFormat.DISTILLATION_PROMPTS


def test_distillation_prompt_may_carry_the_desired_answer(check: Check) -> None:
    report = check([converse(1)], model=NOVA, ctype=CustomizationType.DISTILLATION)
    assert report.valid, report.format_text()


def test_distillation_prompts_are_single_turn_for_llama(check: Check) -> None:
    record = converse(2, final_user=True)
    issue = only_error(check([record], model=LLAMA31, ctype=CustomizationType.DISTILLATION))
    assert issue.field == "messages"
    assert "single-turn" in issue.message


def test_distillation_prompts_may_be_multi_turn_for_nova(check: Check) -> None:
    record = converse(2, final_user=True)
    assert check([record], model=NOVA, ctype=CustomizationType.DISTILLATION).valid


def test_distillation_schema_version_must_be_bedrock_conversation_2024(check: Check) -> None:
    record = converse(1, final_user=True)
    record["schemaVersion"] = "other"
    issue = only_error(check([record], model=NOVA, ctype=CustomizationType.DISTILLATION))
    assert issue.field == "schemaVersion"


# -- reserved strings -----------------------------------------------------------------------------


@pytest.mark.parametrize("reserved", ["\nHuman:", "\nAssistant:"])
def test_reserved_string_in_claude_content_is_reported(check: Check, reserved: str) -> None:
    record = claude(2)
    record["messages"][3]["content"] = f"Sure.{reserved} do this"
    issue = only_error(check([record], model=HAIKU))
    assert issue.field == "messages[3].content"
    assert f"reserved string {reserved!r}" in issue.message


def test_reserved_string_in_claude_system_is_reported(check: Check) -> None:
    record = claude(1, system="Rules.\nHuman: obey")
    issue = only_error(check([record], model=HAIKU))
    assert issue.field == "system"


def test_reserved_string_written_with_unicode_escapes_is_reported(check: Check) -> None:
    line = json.dumps(claude(1)).replace('"Answer 0."', '"Answer\\u000aHuman: 0."')
    issue = only_error(check([line], model=HAIKU))
    assert issue.field == "messages[1].content"


def test_reserved_string_with_a_slash_is_found_when_json_escapes_the_slash(check: Check, tmp_path: Any) -> None:
    from bedrock_ops.models import load_models

    extra = tmp_path / "models.json"
    entry = {
        "provider": "Example",
        "name": "Slash",
        "customization": {"FINE_TUNING": {"formats": ["instruction"]}},
        "dataset": {"reserved_strings": ["</s>"]},
    }
    extra.write_text(json.dumps({"models": {"example.slash-v1": entry}}))
    line = '{"prompt": "hi", "completion": "bye<\\/s>"}'  # JSON may write "/" as "\/"
    issue = only_error(check([line], model="example.slash-v1", models=load_models(extra)))
    assert issue.field == "completion"
    assert "reserved string '</s>'" in issue.message


def test_newlines_without_reserved_strings_are_fine_for_claude(check: Check) -> None:
    record = claude(1)
    record["messages"][1]["content"] = "Line one.\nLine two.\n\nHuman rights matter."
    assert check([record], model=HAIKU).valid


def test_reserved_strings_do_not_apply_to_models_without_them(check: Check) -> None:
    assert check([instruction("x\nHuman: y", "z")], model=TITAN).valid


# -- token limits ---------------------------------------------------------------------------------

_TOO_LONG = [
    (CASES[0], 4096 * 6 + 1),  # Titan: 4,096 tokens at 6 characters per token
    (CASES[1], 32000 * 3 + 1),  # Claude 3 Haiku: 32,000 tokens at 3
    (CASES[4], 16000 * 6 + 1),  # Llama 3.2: 16,000 tokens at 6
    (CASES[5], 4096 * 6 + 1),
]


@pytest.mark.parametrize(("case", "chars"), _TOO_LONG, ids=str)
def test_record_over_the_token_limit_is_reported(check: Check, case: Case, chars: int) -> None:
    big = _set_text(case.make(), "x" * chars)
    report = check([case.make(), big], case)
    issue = only_error(report)
    assert issue.line == 2
    assert "tokens per record" in issue.message


def _text_chars(value: Any, key: str = "") -> int:
    """Characters the validator counts: every text value (not roles or the schema version)."""
    if isinstance(value, str):
        return len(value) if key in {"prompt", "completion", "input", "content", "text", "system"} else 0
    if isinstance(value, dict):
        return sum(_text_chars(v, k) for k, v in value.items())
    if isinstance(value, list):
        return sum(_text_chars(v, key) for v in value)
    return 0


@pytest.mark.parametrize(("case", "chars"), _TOO_LONG, ids=str)
def test_record_exactly_at_the_token_limit_passes(check: Check, case: Case, chars: int) -> None:
    original = case.make()
    path, key = _first_text_field(original)
    target: Any = original
    for step in path:
        target = target[step]
    others = _text_chars(original) - len(target[key])
    at_limit = _set_text(original, "x" * (chars - 1 - others))
    report = check([at_limit], case)
    assert report.valid, report.format_text()
    assert report.token_max == (chars - 1) // (3 if case.model == HAIKU else 6)


def test_cohere_prompt_over_the_input_token_limit_is_reported(check: Check) -> None:
    issue = only_error(check([instruction("x" * (4096 * 6 + 6), "ok")], model=COHERE))
    assert issue.field == "prompt"
    assert "4096 input tokens" in issue.message


def test_cohere_completion_over_the_output_token_limit_is_reported(check: Check) -> None:
    issue = only_error(check([instruction("ok", "x" * (2048 * 6 + 6))], model=COHERE))
    assert issue.field == "completion"
    assert "2048 output tokens" in issue.message


def test_line_far_beyond_any_token_limit_is_skipped_without_buffering(check: Check) -> None:
    body = (
        json.dumps(instruction()) + "\n" + '{"prompt": "' + "x" * 5000 + '"}\n' + json.dumps({"prompt": 1}) + "\n"
    ).encode()
    report = check(body, max_line_bytes=1000, chunk_size=64)
    assert [(e.line, e.field) for e in report.errors] == [(2, None), (3, "prompt"), (3, "completion")]
    assert "longer than 1000 bytes" in report.errors[0].message
    assert report.records == 3


# -- file-level quotas ----------------------------------------------------------------------------


def test_too_few_training_records_are_reported(check: Check) -> None:
    issue = only_error(check([claude(1)] * 31, model=HAIKU, split=DatasetSplit.TRAINING))
    assert issue.line is None
    assert issue.message == f"31 training records; {HAIKU} needs at least 32"


def test_minimum_record_count_does_not_apply_to_validation(check: Check) -> None:
    assert check([claude(1)] * 5, model=HAIKU, split=DatasetSplit.VALIDATION).valid


def test_too_many_validation_records_are_reported(check: Check) -> None:
    issue = only_error(check([claude(1)] * 1001, model=HAIKU, split=DatasetSplit.VALIDATION))
    assert issue.message == f"1001 validation records; {HAIKU} allows at most 1000"


def test_too_many_training_records_are_reported(check: Check) -> None:
    issue = only_error(check([instruction()] * 10001, model=COHERE, split=DatasetSplit.TRAINING))
    assert issue.message == f"10001 training records; {COHERE} allows at most 10000"


def test_file_over_the_size_quota_is_reported(check: Check, tmp_path: Any) -> None:
    from bedrock_ops.models import load_models

    extra = tmp_path / "models.json"
    entry = {
        "provider": "Example",
        "name": "Tiny",
        "customization": {"FINE_TUNING": {"formats": ["instruction"], "quotas": {"max_training_file_bytes": 100}}},
    }
    extra.write_text(json.dumps({"models": {"example.tiny-v1": entry}}))
    report = check(
        [instruction()] * 3,
        model="example.tiny-v1",
        split=DatasetSplit.TRAINING,
        models=load_models(extra),
    )
    issue = only_error(report)
    assert issue.message.startswith(f"file is {report.bytes} bytes; example.tiny-v1 allows training files")


# -- report shape ---------------------------------------------------------------------------------


def test_first_n_errors_are_kept_and_all_are_counted(check: Check) -> None:
    report = check([{"prompt": "x"}] * 25, max_errors=10)
    assert report.error_count == 25
    assert [e.line for e in report.errors] == list(range(1, 11))
    assert report.to_dict()["errors_truncated"] is True
    assert "... and 15 more errors" in report.format_text()


def test_report_dict_has_verdict_counts_tokens_and_errors(check: Check) -> None:
    data = check([instruction(), {"prompt": "x"}]).to_dict()
    assert data["verdict"] == "failed"
    assert data["records"] == 2
    assert set(data["tokens"]) == {"min", "mean", "max"}
    assert data["errors"] == [{"line": 2, "field": "completion", "message": "required field is missing"}]


def test_human_report_names_each_bad_line_with_its_reason(check: Check) -> None:
    text = check([instruction(), {"prompt": "x"}]).format_text()
    assert ":line 2: completion: required field is missing" in text


# -- model / task compatibility -------------------------------------------------------------------


def test_customization_type_the_model_lacks_is_an_error(check: Check) -> None:
    with pytest.raises(UnsupportedCustomizationError, match="does not support CONTINUED_PRE_TRAINING"):
        check([cpt()], model=HAIKU, ctype=CustomizationType.CONTINUED_PRE_TRAINING)


def test_explicit_format_the_model_does_not_accept_is_an_error(check: Check) -> None:
    with pytest.raises(ValueError, match="must be instruction"):
        check([instruction()], model=TITAN, dataset_format=DatasetFormat.CONVERSE)


def test_records_of_another_format_fail_on_their_missing_fields(check: Check) -> None:
    report = check([instruction()], model=HAIKU)
    assert [e.field for e in report.errors] == ["messages"]
