"""The CloudWatch Logs JSON filter pattern evaluator used as evidence for the metric filter patterns."""

from __future__ import annotations

import json

import pytest

from tests.cw_filter_pattern import PatternSyntaxError, matches

EVENT = json.dumps(
    {
        "eventType": "UpdateTrail",
        "sourceIPAddress": "123.123.123.123",
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "latency": 250,
        "flag": True,
        "nested": {"key": "my-value"},
    }
)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.eventType = "UpdateTrail" }', True),
        ("{ $.eventType = UpdateTrail }", True),
        ('{ $.eventType = "updatetrail" }', False),
        ('{ $.eventType = "Update" }', False),
        ('{ $.eventType = "Update*" }', True),
        ('{ $.eventType != "UpdateTrail" }', False),
        ('{ $.eventType != "DeleteTrail" }', True),
        ('{ $.arrayKey[0] = "value" }', True),
        ('{ $.arrayKey[1] = "value" }', False),
        ('{ $.arrayKey[5] = "value" }', False),
        ('{ $.objectList[1].name = "b" }', True),
        ("{ $.objectList[1].id = 2 }", True),
        ('{ $.nested.key = "my-value" }', True),
        ('{ $.missing = "x" }', False),
        ('{ $.missing != "x" }', False),
        ("{ $.latency > 200 }", True),
        ("{ $.latency >= 251 }", False),
        ('{ $.latency = "250" }', False),
        ('{ ($.eventType = "DeleteTrail") || ($.sourceIPAddress = "123.123.123.123") }', True),
        ('{ ($.eventType = "DeleteTrail") || ($.sourceIPAddress = "1.1.1.1") }', False),
        ('{ ($.eventType = "UpdateTrail") && ($.latency < 100) }', False),
        ('{ $.eventType = "X" || $.eventType = "UpdateTrail" && $.latency = 250 }', True),
        ('{ ($.eventType = "X" || $.eventType = "UpdateTrail") && $.latency = 1 }', False),
    ],
)
def test_pattern_evaluates_like_cloudwatch_logs(pattern: str, expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


def test_a_message_that_is_not_json_never_matches() -> None:
    assert matches('{ $.eventType = "UpdateTrail" }', "UpdateTrail happened") is False


@pytest.mark.parametrize(
    "pattern",
    ['$.eventType = "x"', '{ $.eventType ~ "x" }', '{ ($.eventType = "x" }', '{ $.a = "x" } extra', "{ }"],
)
def test_patterns_outside_the_subset_are_rejected(pattern: str) -> None:
    with pytest.raises(PatternSyntaxError):
        matches(pattern, EVENT)
