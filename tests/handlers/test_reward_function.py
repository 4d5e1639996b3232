"""The reward function handler: the Bedrock grader contract, and every template on good, bad and malformed input."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.support import load_handler

reward = load_handler("reward_function")


def sample(response: Any, reference: Any = "42", *, sample_id: str = "s-1", **fields: Any) -> dict[str, Any]:
    """A sample as the Bedrock user guide documents it: the record's fields under ``metadata``."""
    return {
        "id": sample_id,
        "messages": [{"role": "user", "content": "What is 6 * 7?"}, {"role": "assistant", "content": response}],
        "metadata": {"reference_answer": reference, **fields},
    }


def run(template: str, samples: Any, monkeypatch: pytest.MonkeyPatch, **config: Any) -> list[dict[str, Any]]:
    monkeypatch.setenv("REWARD_TEMPLATE", template)
    monkeypatch.setenv("REWARD_CONFIG", json.dumps(config))
    result: list[dict[str, Any]] = reward.lambda_handler(samples, None)
    return result


def scores(results: list[dict[str, Any]]) -> list[float]:
    return [r["aggregate_reward_score"] for r in results]


# ------------------------------------------------------------------------------------------ contract


def test_answers_one_result_per_sample_with_id_score_and_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    results = run("exact", [sample("42", sample_id="a"), sample("41", sample_id="b")], monkeypatch)
    assert results == [
        {"id": "a", "aggregate_reward_score": 1.0, "metrics_list": [{"name": "exact", "value": 1.0, "type": "Reward"}]},
        {"id": "b", "aggregate_reward_score": 0.0, "metrics_list": [{"name": "exact", "value": 0.0, "type": "Reward"}]},
    ]


def test_reads_the_reference_answer_at_the_top_level_too(monkeypatch: pytest.MonkeyPatch) -> None:
    top_level = {"id": "x", "messages": sample("42")["messages"], "reference_answer": "42"}
    assert scores(run("exact", [top_level], monkeypatch)) == [1.0]


def test_accepts_a_single_sample_object_and_content_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    one = sample("ignored")
    one["messages"][-1]["content"] = [{"text": "4"}, {"text": "2"}]
    assert scores(run("exact", one, monkeypatch)) == [1.0]


def test_a_sample_without_a_response_scores_zero_with_a_malformed_metric(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = {"id": "m", "messages": [{"role": "user", "content": "hi"}], "metadata": {"reference_answer": "x"}}
    assert run("exact", [broken, "not a sample"], monkeypatch)[0] == {
        "id": "m",
        "aggregate_reward_score": 0.0,
        "metrics_list": [{"name": "malformed", "value": 1.0, "type": "Metric"}],
    }


def test_an_unknown_template_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match=r"REWARD_TEMPLATE must be one of .* got 'fuzzy'"):
        run("fuzzy", [sample("42")], monkeypatch)


def test_reference_key_picks_the_field_of_an_object_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    results = run(
        "exact", [sample("No", {"compliant": "No", "explanation": "..."})], monkeypatch, reference_key="compliant"
    )
    assert scores(results) == [1.0]


# ----------------------------------------------------------------------------------------- templates


@pytest.mark.parametrize(
    ("response", "expected"), [("42", 1.0), ("  42\n", 1.0), ("42.", 0.0), ("forty-two", 0.0), ("", 0.0)]
)
def test_exact_match(response: str, expected: float, monkeypatch: pytest.MonkeyPatch) -> None:
    assert scores(run("exact", [sample(response)], monkeypatch)) == [expected]


@pytest.mark.parametrize(
    ("response", "expected"), [("Paris.", 1.0), ("  paris ", 1.0), ("PARIS!", 1.0), ("Lyon", 0.0), ("", 0.0)]
)
def test_normalized_match(response: str, expected: float, monkeypatch: pytest.MonkeyPatch) -> None:
    assert scores(run("normalized", [sample(response, "Paris")], monkeypatch)) == [expected]


SCHEMA = {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "integer", "minimum": 0}}}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ('{"answer": 42}', 1.0),
        ('Here you go:\n```json\n{"answer": 7}\n```', 1.0),
        ('{"answer": -1}', 0.0),
        ('{"answer": "42"}', 0.0),
        ('{"result": 42}', 0.0),
        ('{"answer": 42', 0.0),
        ("not json", 0.0),
    ],
)
def test_json_schema_check(response: str, expected: float, monkeypatch: pytest.MonkeyPatch) -> None:
    assert scores(run("json", [sample(response)], monkeypatch, schema=SCHEMA)) == [expected]


@pytest.mark.parametrize(
    ("response", "reference", "expected"),
    [
        ("The answer is 42", "42", 1.0),
        ("3.1416", "3.14159", 0.0),
        ("1,000,000", "1000000", 1.0),
        ("-5", -5, 1.0),
        ("no number here", "42", 0.0),
        ("42", "not a number", 0.0),
    ],
)
def test_numeric_answer_within_tolerance(
    response: str, reference: Any, expected: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert scores(run("numeric", [sample(response, reference)], monkeypatch, tolerance=1e-6)) == [expected]


def test_numeric_relative_tolerance(monkeypatch: pytest.MonkeyPatch) -> None:
    results = run("numeric", [sample("101", "100"), sample("103", "100")], monkeypatch, relative_tolerance=0.02)
    assert scores(results) == [1.0, 0.0]


@pytest.mark.parametrize(("response", "expected"), [("ID-1234", 1.0), ("id-12", 0.0), ("", 0.0)])
def test_regular_expression(response: str, expected: float, monkeypatch: pytest.MonkeyPatch) -> None:
    assert scores(run("regex", [sample(response)], monkeypatch, pattern=r"^ID-\d{4}$")) == [expected]


def test_regular_expression_defaults_to_the_reference_as_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    assert scores(run("regex", [sample("order 77 shipped", r"\b77\b")], monkeypatch)) == [1.0]


@pytest.fixture
def judge(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    stubber = Stubber(client)
    reward.clients.override("bedrock-runtime", client)
    with stubber:
        yield stubber
    reward.clients.clear()


def converse_reply(text: str) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 10, "outputTokens": 3, "totalTokens": 13},
        "metrics": {"latencyMs": 5},
    }


def test_model_as_judge_scores_the_judges_grade_out_of_ten(judge: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    judge.add_response(
        "converse",
        converse_reply("SCORE: 8"),
        {
            "modelId": "amazon.nova-pro-v1:0",
            "messages": [{"role": "user", "content": [{"text": StubAny()}]}],
            "inferenceConfig": {"maxTokens": 20, "temperature": 0.0},
        },
    )
    results = run("judge", [sample("42")], monkeypatch, model_id="amazon.nova-pro-v1:0", rubric="exact products")
    assert scores(results) == [0.8]
    judge.assert_no_pending_responses()


def test_model_as_judge_reply_without_a_score_is_malformed(judge: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    judge.add_response("converse", converse_reply("Looks fine to me"))
    results = run("judge", [sample("42")], monkeypatch, model_id="amazon.nova-pro-v1:0")
    assert results[0]["metrics_list"] == [{"name": "malformed", "value": 1.0, "type": "Metric"}]


def test_model_as_judge_prompt_holds_rubric_question_reference_and_response() -> None:
    text = reward.JUDGE_PROMPT.format(rubric="R", question="Q", reference='"42"', response="A")
    assert all(part in text for part in ("R", "Q", '"42"', "A", "SCORE: <0-10>"))


class StubAny:
    """Matches any value in a Stubber expectation (the prompt text is checked by the test above)."""

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 0


# ------------------------------------------------------------------------------------------- custom


@pytest.fixture
def user_module() -> Iterator[types.ModuleType]:
    module = types.ModuleType("user_reward")
    sys.modules["user_reward"] = module
    yield module
    del sys.modules["user_reward"]


def test_custom_reward_is_adapted_to_the_contract_with_its_metrics(
    user_module: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_module.reward = lambda response, s: (0.5, {"length": float(len(response))})  # type: ignore[attr-defined]
    assert run("custom", [sample("abc")], monkeypatch) == [
        {
            "id": "s-1",
            "aggregate_reward_score": 0.5,
            "metrics_list": [{"name": "length", "value": 3.0, "type": "Reward"}],
        }
    ]


def test_custom_lambda_handler_answers_the_event_itself(
    user_module: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_module.lambda_handler = lambda event, context: [{"id": e["id"], "aggregate_reward_score": 1} for e in event]  # type: ignore[attr-defined]
    assert run("custom", [sample("x")], monkeypatch) == [{"id": "s-1", "aggregate_reward_score": 1}]


def test_a_non_finite_custom_score_becomes_zero(user_module: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    user_module.reward = lambda response, s: float("nan")  # type: ignore[attr-defined]
    assert scores(run("custom", [sample("x")], monkeypatch)) == [0.0]


def test_logs_are_json_lines(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    run("exact", [sample("42")], monkeypatch)
    assert any(
        json.loads(r.getMessage()).get("template") == "exact" for r in caplog.records if r.getMessage().startswith("{")
    )
