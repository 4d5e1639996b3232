"""Run a reward function locally over an RFT dataset before a job is bought (``bedrock-ops grade``, synth dry run).

Each record becomes the sample Bedrock sends (``lambda/reward_function/index.py`` holds the contract): its
messages plus an assistant turn with the response to grade, and its own fields under ``metadata``. The response
is the one given for that line (``--responses``), or the record's reference answer (a sanity check: a grader
that does not score its own reference answers high is probably wrong). Every call's output is checked against
the contract (a list with one ``{id, aggregate_reward_score: finite number}``); exceptions and contract
violations are failures with their line number, never tracebacks. Standard library only.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from bedrock_ops._core.assets import lambda_code_path

__all__ = ["GradeFailure", "GradeReport", "RewardFunctionError", "grade_dataset", "load_reward_function"]

HANDLER = "reward_function"
USER_MODULE = "user_reward"
Handler = Callable[[Any, Any], Any]


class RftRecord:
    """One parsed line of an RFT dataset: its 1-based ``line`` and the ``record`` object (or ``error``)."""

    __slots__ = ("error", "line", "record")

    def __init__(self, line: int, record: dict[str, Any] | None, error: str | None = None) -> None:
        self.line = line
        self.record = record
        self.error = error


def read_rft_records(path: str | Path) -> Iterator[RftRecord]:
    """Each line of ``path`` parsed: a record, or the reason it is not a JSON object (never raises on content;
    ``OSError`` when the file cannot be read). The records' rules are the validator core's
    (``bedrock_ops.data.rft_records``); grading only needs each record's messages and fields."""
    with open(path, "rb") as stream:
        for number, raw in enumerate(stream, start=1):
            text = raw.rstrip(b"\r\n")
            if not text.strip():
                yield RftRecord(number, None, "blank line (one JSON object per line)")
                continue
            try:
                value = json.loads(text.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield RftRecord(number, None, f"not valid UTF-8 (byte {exc.start} of the line)")
                continue
            except ValueError as exc:
                yield RftRecord(number, None, f"not valid JSON: {exc}")
                continue
            if not isinstance(value, dict):
                yield RftRecord(number, None, f"expected a JSON object, got {type(value).__name__}")
                continue
            yield RftRecord(number, value)


class RewardFunctionError(ValueError):
    """The reward function cannot be loaded (the message names the path and the reason)."""


@dataclass(frozen=True)
class GradeFailure:
    """A record that could not be graded: its line and why."""

    line: int
    message: str


@dataclass
class GradeReport:
    """Scores, failures and timing of one local grading run."""

    source: str
    against: str
    scores: list[float] = field(default_factory=list)
    failures: list[GradeFailure] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every record was graded within the contract."""
        return not self.failures and bool(self.scores)

    def distribution(self) -> dict[str, Any]:
        """min, mean, median, max and a ten-bucket histogram of the scores in [0, 1] (others counted apart)."""
        if not self.scores:
            return {"count": 0}
        buckets = [0] * 10
        outside = 0
        for score in self.scores:
            if 0.0 <= score <= 1.0:
                buckets[min(int(score * 10), 9)] += 1
            else:
                outside += 1
        return {
            "count": len(self.scores),
            "min": min(self.scores),
            "mean": round(statistics.fmean(self.scores), 4),
            "median": statistics.median(self.scores),
            "max": max(self.scores),
            "histogram": {f"{i / 10:.1f}-{(i + 1) / 10:.1f}": n for i, n in enumerate(buckets)},
            "outside_0_1": outside,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form of the report."""
        timing = (
            {"mean_ms": round(statistics.fmean(self.seconds) * 1000, 3), "max_ms": round(max(self.seconds) * 1000, 3)}
            if self.seconds
            else {}
        )
        return {
            "ok": self.ok,
            "source": self.source,
            "against": self.against,
            "scores": self.distribution(),
            "failures": [{"line": f.line, "message": f.message} for f in self.failures],
            "time_per_call": timing,
        }

    def format_text(self) -> str:
        """A verdict line, the distribution, the timing and one line per failure."""
        d = self.distribution()
        head = f"{self.source}: {'OK' if self.ok else 'FAILED'} ({d['count']} graded against {self.against}, "
        head += f"{len(self.failures)} failures)"
        lines = [head]
        if d["count"]:
            lines.append(f"scores: min {d['min']} mean {d['mean']} median {d['median']} max {d['max']}")
            lines.append("histogram: " + " ".join(f"{k}:{v}" for k, v in d["histogram"].items() if v))
            timing = self.to_dict()["time_per_call"]
            lines.append(f"time per call: mean {timing['mean_ms']} ms, max {timing['max_ms']} ms")
        lines.extend(f"{self.source}:line {f.line}: {f.message}" for f in self.failures)
        return "\n".join(lines)


def _load(name: str, path: Path) -> ModuleType:
    target = path / "__init__.py" if path.is_dir() else path
    spec = importlib.util.spec_from_file_location(
        name, target, submodule_search_locations=[str(path)] if path.is_dir() else None
    )
    if spec is None or spec.loader is None or not target.is_file():
        raise RewardFunctionError(f"reward function {path}: expected a .py file or a folder with __init__.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's code: any error is reported, not raised as a traceback
        del sys.modules[name]
        raise RewardFunctionError(f"reward function {path}: cannot import it: {type(exc).__name__}: {exc}") from None
    return module


def load_reward_function(code: str | Path | None = None) -> Handler:
    """The handler Bedrock would invoke: the project's ``reward_function`` handler (templates; with ``code``, the
    user's module as ``user_reward``). ``code``: a ``.py`` file or a package folder defining ``reward(response,
    sample)`` or ``lambda_handler(event, context)``."""
    if code is not None:
        path = Path(code)
        if not path.exists():
            raise RewardFunctionError(f"reward function {path}: no such file or folder")
        module = _load(USER_MODULE, path)
        if not hasattr(module, "reward") and not hasattr(module, "lambda_handler"):
            raise RewardFunctionError(
                f"reward function {path}: defines neither reward(response, sample) nor lambda_handler(event, context)"
            )
    root = str(Path(lambda_code_path(HANDLER)).parent)
    if root not in sys.path:
        sys.path.insert(0, root)  # the handler imports _runtime from beside it, as in its asset
    index = _load("bedrock_ops_reward_function_index", Path(lambda_code_path(HANDLER)) / "index.py")
    handler: Handler = index.lambda_handler
    return handler


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _as_text(value: Any) -> str:
    if isinstance(value, dict) and "answer" in value:
        value = value["answer"]
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def read_responses(path: str | Path) -> list[str]:
    """Responses, one per dataset line: a JSONL file of ``{"response": str}`` objects or JSON strings
    (raises ``ValueError`` naming the line)."""
    responses = []
    with open(path, encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            try:
                value = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}:line {number}: not valid JSON: {exc}") from None
            if isinstance(value, dict):
                value = value.get("response")
            if not isinstance(value, str):
                raise ValueError(f'{path}:line {number}: expected {{"response": str}} or a JSON string')
            responses.append(value)
    return responses


def _check_output(result: Any, sample_id: str) -> str | None:
    if not isinstance(result, list) or len(result) != 1 or not isinstance(result[0], dict):
        return f"the reward function must return a list with one result per sample, got {result!r}"[:300]
    item = result[0]
    if str(item.get("id")) != sample_id:
        return f"result id {item.get('id')!r} does not match the sample id {sample_id!r}"
    score = item.get("aggregate_reward_score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        return f"aggregate_reward_score must be a finite number, got {score!r}"
    return None


def grade_dataset(
    dataset: str | Path,
    handler: Handler,
    *,
    environment: Mapping[str, str] | None = None,
    responses: Sequence[str] | None = None,
    limit: int | None = None,
) -> GradeReport:
    """Grade the first ``limit`` records (default: all) of ``dataset`` with ``handler`` (``OSError`` when the
    dataset cannot be read)."""
    report = GradeReport(str(dataset), "the given responses" if responses is not None else "the reference answers")
    with _environment(environment or {}):
        for index, item in enumerate(read_rft_records(dataset)):
            if limit is not None and index >= limit:
                break
            if item.record is None:
                report.failures.append(GradeFailure(item.line, item.error or "unreadable"))
                continue
            record = item.record
            if responses is not None:
                if index >= len(responses):
                    report.failures.append(GradeFailure(item.line, "no response given for this line"))
                    continue
                response = responses[index]
            elif record.get("reference_answer") is None:
                report.failures.append(GradeFailure(item.line, "no reference_answer to grade as the response"))
                continue
            else:
                response = _as_text(record["reference_answer"])
            given = record.get("messages")
            messages: list[Any] = given if isinstance(given, list) else []
            sample_id = str(item.line)
            sample: dict[str, Any] = {
                "id": sample_id,
                "messages": [*messages, {"role": "assistant", "content": response}],
                "metadata": {k: v for k, v in record.items() if k != "messages"},
            }
            started = time.perf_counter()
            try:
                result = handler([sample], None)
            except Exception as exc:  # the user's code: reported with its line, not raised
                report.failures.append(
                    GradeFailure(item.line, f"the reward function raised {type(exc).__name__}: {exc}")
                )
                continue
            finally:
                report.seconds.append(time.perf_counter() - started)
            problem = _check_output(result, sample_id)
            if problem:
                report.failures.append(GradeFailure(item.line, problem))
            else:
                report.scores.append(float(result[0]["aggregate_reward_score"]))
    return report
