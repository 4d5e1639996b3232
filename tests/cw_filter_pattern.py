"""An evaluator for the subset of CloudWatch Logs JSON filter patterns this project uses.

moto's logs backend ignores JSON filter patterns (``filter_log_events`` returns every event) and does not
implement ``TestMetricFilter``, so it is no evidence that a metric filter matches. This evaluator follows
the documented semantics ("Using filter patterns to match terms in JSON log events", CloudWatch Logs user
guide) for:

- ``{ <expr> }`` with ``&&`` (binding tighter) and ``||``, parentheses;
- selectors ``$.a.b``, array elements ``$.a[0].b``;
- ``=`` / ``!=`` against a quoted or bare string (``*`` is a wildcard; comparison is case-sensitive and
  exact otherwise), and ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` against numbers;
- a selector that does not resolve (missing key, index out of range, wrong type) never matches.

Anything outside that subset raises ``PatternSyntaxError``: a pattern change that needs more must extend
(and test) this evaluator first.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<brace>[{}])
      | (?P<paren>[()])
      | (?P<logic>&&|\|\|)
      | (?P<op>!=|<=|>=|=|<|>)
      | (?P<selector>\$(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])+)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
      | (?P<bare>[A-Za-z0-9_*.:/-]+)
    )""",
    re.VERBOSE,
)
_MISSING = object()


class PatternSyntaxError(ValueError):
    """The pattern is outside the supported subset or malformed."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokenize(pattern: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    stripped = pattern.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None or match.end() == position:
            raise PatternSyntaxError(f"unsupported text at {position}: {stripped[position : position + 20]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append(_Token(kind, match.group(kind)))
        position = match.end()
    return tokens


def _resolve(event: Any, selector: str) -> Any:
    value = event
    for name, index in re.findall(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]", selector[1:]):
        if name:
            if not isinstance(value, dict) or name not in value:
                return _MISSING
            value = value[name]
        else:
            position = int(index)
            if not isinstance(value, list) or position >= len(value):
                return _MISSING
            value = value[position]
    return value


def _compare(actual: Any, op: str, expected: _Token) -> bool:
    if actual is _MISSING:
        return False
    if expected.kind == "number":
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            return False
        number = float(expected.text)
        return {
            "=": actual == number,
            "!=": actual != number,
            "<": actual < number,
            "<=": actual <= number,
            ">": actual > number,
            ">=": actual >= number,
        }[op]
    if op not in {"=", "!="}:
        raise PatternSyntaxError(f"operator {op} needs a number, got {expected.text}")
    text = json.loads(expected.text) if expected.kind == "string" else expected.text
    if not isinstance(actual, str):
        return False
    matched = fnmatch.fnmatchcase(actual, text) if "*" in text else actual == text
    return matched if op == "=" else not matched


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, kind: str, text: str | None = None) -> _Token:
        token = self.peek()
        if token is None or token.kind != kind or (text is not None and token.text != text):
            raise PatternSyntaxError(f"expected {text or kind} at token {self.position}, got {token}")
        self.position += 1
        return token

    def parse(self) -> Any:
        self.take("brace", "{")
        node = self.expr()
        self.take("brace", "}")
        if self.peek() is not None:
            raise PatternSyntaxError(f"unexpected {self.peek()} after the closing brace")
        return node

    def expr(self) -> Any:
        node = self.conjunction()
        while (token := self.peek()) is not None and token.text == "||":
            self.position += 1
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self) -> Any:
        node = self.atom()
        while (token := self.peek()) is not None and token.text == "&&":
            self.position += 1
            node = ("and", node, self.atom())
        return node

    def atom(self) -> Any:
        token = self.peek()
        if token is not None and token.text == "(":
            self.position += 1
            node = self.expr()
            self.take("paren", ")")
            return node
        selector = self.take("selector")
        op = self.take("op")
        value = self.peek()
        if value is None or value.kind not in {"string", "number", "bare"}:
            raise PatternSyntaxError(f"expected a value after {selector.text} {op.text}, got {value}")
        self.position += 1
        return ("cmp", selector.text, op.text, value)


def _evaluate(node: Any, event: Any) -> bool:
    if node[0] == "or":
        return _evaluate(node[1], event) or _evaluate(node[2], event)
    if node[0] == "and":
        return _evaluate(node[1], event) and _evaluate(node[2], event)
    _, selector, op, value = node
    return _compare(_resolve(event, selector), op, value)


def matches(pattern: str, message: str) -> bool:
    """True when the log event ``message`` (a JSON string) matches the JSON filter ``pattern``.

    A message that is not a JSON object never matches a JSON pattern (as in CloudWatch Logs).
    """
    tree = _Parser(_tokenize(pattern)).parse()
    try:
        event = json.loads(message)
    except json.JSONDecodeError:
        return False
    return isinstance(event, dict) and _evaluate(tree, event)
