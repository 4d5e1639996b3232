"""Reinforcement fine-tuning prompt datasets: the rules (``bedrock_ops.data.rft_records``) one per test, and the
validator core that applies them to files (``validate_file(..., customization_type=REINFORCEMENT_FINE_TUNING)``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bedrock_ops.data.rft_records import check_rft_record
from bedrock_ops.data.validation import ValidationReport, validate_file
from bedrock_ops.models import CustomizationType, DatasetFormat, UnsupportedCustomizationError, load_models
from bedrock_ops.models.facts import detect_format

NOVA2 = "amazon.nova-2-lite-v1:0"
RFT = CustomizationType.REINFORCEMENT_FINE_TUNING
SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "datasets" / "rft" / "train.jsonl"


def record(**override: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"}],
        "reference_answer": "4",
    }
    return {**base, **override}


def messages_of(errors: list[Any]) -> list[str]:
    return [f"{e.field}: {e.message}" for e in errors]


def validate_rft(path: Path, **options: Any) -> ValidationReport:
    return validate_file(path, base_model=NOVA2, customization_type=RFT, **options)


def write(tmp_path: Path, records: list[Any]) -> Path:
    path = tmp_path / "rft.jsonl"
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def test_a_prompt_with_a_reference_answer_is_valid() -> None:
    assert check_rft_record(record(), 1) == ([], [])


def test_extra_fields_for_the_grader_are_kept_without_complaint() -> None:
    assert check_rft_record(record(task_id="t-1", tests=["assert f(1) == 2"]), 1) == ([], [])


def test_messages_are_required() -> None:
    errors, _ = check_rft_record(record(messages=[]), 3)
    assert errors[0].line == 3 and errors[0].field == "messages"


def test_roles_are_system_user_or_assistant() -> None:
    errors, _ = check_rft_record(
        record(messages=[{"role": "tool", "content": "x"}, {"role": "user", "content": "q"}]), 1
    )
    assert messages_of(errors) == ["messages[0].role: must be one of system, user, assistant, got 'tool'"]


def test_a_system_message_only_comes_first() -> None:
    msgs = [{"role": "user", "content": "q"}, {"role": "system", "content": "s"}]
    errors, _ = check_rft_record(record(messages=msgs), 1)
    assert messages_of(errors) == ["messages[1].role: a system message may only be the first message"]


def test_content_is_a_non_empty_string() -> None:
    errors, _ = check_rft_record(record(messages=[{"role": "user", "content": [{"text": "q"}]}]), 1)
    assert errors[0].field == "messages[0].content"


def test_at_least_one_user_message() -> None:
    errors, _ = check_rft_record(record(messages=[{"role": "system", "content": "s"}]), 1)
    assert "needs at least one user message" in errors[0].message


def test_a_final_assistant_message_is_a_warning() -> None:
    msgs = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    errors, warnings = check_rft_record(record(messages=msgs), 1)
    assert errors == [] and "ends with an assistant message" in warnings[0].message


@pytest.mark.parametrize("reference", [None, "missing"])
def test_reference_answer_is_required_and_not_null(reference: Any) -> None:
    rec = record()
    if reference == "missing":
        del rec["reference_answer"]
    else:
        rec["reference_answer"] = None
    errors, _ = check_rft_record(rec, 1)
    assert [e.field for e in errors] == ["reference_answer"]


def test_reference_answer_may_be_any_json_value() -> None:
    assert check_rft_record(record(reference_answer={"compliant": "No", "explanation": "..."}), 1) == ([], [])


def test_required_fields_name_what_the_grader_reads() -> None:
    errors, _ = check_rft_record(record(), 1, required_fields=["task_id"])
    assert messages_of(errors) == ["task_id: required by the reward function (required_fields)"]


def test_file_lines_that_are_not_json_objects_are_errors_with_their_line(tmp_path: Path) -> None:
    report = validate_rft(write(tmp_path, [record(), "{oops", "[1]", ""]))
    assert [(e.line, e.message.split(":")[0]) for e in report.errors][:3] == [
        (2, "not valid JSON"),
        (3, "each line must be a JSON object, got a JSON array"),
        (4, "blank line"),
    ]


def test_a_bad_record_in_a_file_is_reported_with_its_line_and_field(tmp_path: Path) -> None:
    report = validate_rft(write(tmp_path, [record()] * 100 + [record(reference_answer=None)]))
    assert [(e.line, e.field) for e in report.errors] == [(101, "reference_answer")]
    assert report.dataset_format is DatasetFormat.RFT_PROMPTS


def test_an_empty_file_is_invalid(tmp_path: Path) -> None:
    report = validate_rft(write(tmp_path, []))
    assert not report.valid and report.errors[0].message == "file is empty"


def test_record_count_is_checked_against_the_knowledge_base(tmp_path: Path) -> None:
    nova2 = load_models().resolve(NOVA2)
    assert nova2.limits(RFT).min_training_records == 100
    report = validate_rft(write(tmp_path, [record()] * 99))
    assert report.errors[-1].message == "99 training records; amazon.nova-2-lite-v1:0 needs at least 100"


def test_prompts_longer_than_max_prompt_length_are_errors(tmp_path: Path) -> None:
    long = record(messages=[{"role": "user", "content": "x" * 400}])
    report = validate_rft(write(tmp_path, [long]), max_prompt_tokens=50)
    assert (report.errors[0].line, report.errors[0].field) == (1, "messages")
    assert "exceeds maxPromptLength 50" in report.errors[0].message


def test_fields_the_grader_requires_are_checked_in_files(tmp_path: Path) -> None:
    report = validate_rft(write(tmp_path, [record()] * 100), required_fields=["task_id"])
    assert report.error_count == 100 and report.errors[0].field == "task_id"


def test_a_final_assistant_turn_is_a_warning_in_the_report(tmp_path: Path) -> None:
    msgs = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    report = validate_rft(write(tmp_path, [record(messages=msgs)] * 100))
    assert report.valid and [(w.line, w.field) for w in report.warnings][:1] == [(1, "messages")]


def test_format_detection_recognises_rft_prompts() -> None:
    assert detect_format(record()) is DatasetFormat.RFT_PROMPTS


def test_a_model_without_rft_is_refused() -> None:
    with pytest.raises(UnsupportedCustomizationError, match="does not support REINFORCEMENT_FINE_TUNING"):
        validate_file(SAMPLE, base_model="amazon.nova-micro-v1:0", customization_type=RFT)


def test_the_sample_rft_dataset_is_valid_for_nova_2_lite() -> None:
    report = validate_rft(SAMPLE)
    assert (report.valid, report.records, report.warnings) == (True, 120, [])
