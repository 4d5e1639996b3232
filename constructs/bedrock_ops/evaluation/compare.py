"""Send the same prompts to several models through the Converse API and compare the answers.

What the Bedrock playground's "compare" mode shows, as code: for each prompt, each model's answer, its
latency (measured here around the call, and Converse's own ``metrics.latencyMs``), its tokens
(``usage.inputTokens``/``outputTokens``) and its cost from the dated pricing table
(:func:`bedrock_ops.cost.pricing.load_pricing_table`); with references, ROUGE-L and BLEU from the project's
scorer (:mod:`bedrock_ops.evaluation.scoring`).

Facts this relies on (botocore 1.44 bedrock-runtime service model, as of 2026-11; API
runtime_Converse, https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html):

- ``converse(modelId, messages=[{"role": "user", "content": [{"text": ...}]}], system=[{"text": ...}],
  inferenceConfig={"maxTokens", "temperature"})``; ``modelId`` takes a base model id, an inference
  profile id or ARN, a provisioned throughput ARN or a custom model deployment ARN.
- The response has ``output.message.content[].text``, ``stopReason`` (``end_turn``, ``max_tokens``,
  ``content_filtered``, ``guardrail_intervened``, ...), ``usage`` and ``metrics.latencyMs``. A model that
  refuses (``content_filtered``/``guardrail_intervened``) is a *refusal*, not an error.
- Errors: ``ThrottlingException``, ``ServiceUnavailableException``, ``ModelNotReadyException``,
  ``InternalServerException`` and ``ModelTimeoutException`` are retried here with exponential backoff and
  full jitter (bounded by ``RetryPolicy``); the others are recorded as the answer's error.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bedrock_ops.cost.pricing import ModelPrice, PricingTable
from bedrock_ops.evaluation import scoring
from bedrock_ops.evaluation._model_ids import ModelTarget, TargetKind

__all__ = [
    "REFUSAL_STOP_REASONS",
    "RETRYABLE_ERRORS",
    "Answer",
    "CompareError",
    "ComparePrompt",
    "CompareResult",
    "ModelSummary",
    "RetryPolicy",
    "compare",
    "read_prompts",
    "read_reference_file",
]

#: Converse stop reasons that mean the model (or a guardrail) refused to answer.
REFUSAL_STOP_REASONS = frozenset({"content_filtered", "guardrail_intervened"})
#: Error codes retried with backoff (throttling and transient service errors).
RETRYABLE_ERRORS = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "InternalServerException",
        "ModelTimeoutException",
    }
)
#: The scores shown: ROUGE-L F-measure and corpus BLEU (sacrebleu's 0-100 scale).
SCORE_METRICS: tuple[str, ...] = ("rougeL", "bleu")
_MAX_REPORTED = 20


class CompareError(ValueError):
    """A problem the user fixes (bad prompt file, unknown model, no credentials): one line, exit status 2."""


# ---------------------------------------------------------------------------------------------- input


@dataclass(frozen=True)
class ComparePrompt:
    """One prompt: its line in the file (1-based; 0 for ``--prompt``) and optional reference answer."""

    line: int
    prompt: str
    reference: str | None = None
    category: str | None = None


def _bad_lines(source: str, problems: Sequence[str]) -> CompareError:
    shown = "; ".join(problems[:_MAX_REPORTED])
    more = f" (and {len(problems) - _MAX_REPORTED} more)" if len(problems) > _MAX_REPORTED else ""
    return CompareError(f"{source}: {len(problems)} bad line(s): {shown}{more}")


def read_prompts(path: str | Path) -> list[ComparePrompt]:
    """Read a prompts file: JSONL in the evaluation prompt dataset format (``{"prompt", "referenceResponse"?,
    "category"?}``, checked by :func:`bedrock_ops.evaluation.dataset.validate_prompt_dataset`) when its first
    non-blank line starts with ``{``, else plain text, one prompt per non-blank line.

    Raises ``CompareError`` naming the file and every bad line (the first 20 shown, all counted).
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise CompareError(f"{p}: cannot read the prompts file: {exc.strerror}") from None
    lines = raw.split(b"\n")
    problems: list[str] = []
    texts: list[tuple[int, str]] = []
    for number, chunk in enumerate(lines, start=1):
        try:
            texts.append((number, chunk.decode("utf-8").removesuffix("\r")))
        except UnicodeDecodeError as exc:
            problems.append(f"line {number}: not valid UTF-8 (byte {exc.start + 1} of the line)")
    if problems:
        raise _bad_lines(str(p), problems)
    first = next((text for _, text in texts if text.strip()), None)
    if first is None:
        raise CompareError(f"{p}: no prompts (the file is empty); give one prompt per line or JSONL with 'prompt'")
    if first.lstrip().lstrip("\ufeff").startswith("{"):
        return _read_jsonl_prompts(p)
    return [ComparePrompt(number, text.strip()) for number, text in texts if text.strip()]


def _read_jsonl_prompts(path: Path) -> list[ComparePrompt]:
    from bedrock_ops.evaluation.dataset import validate_prompt_dataset

    report = validate_prompt_dataset(path, max_prompts=sys.maxsize)
    if not report.valid:
        raise _bad_lines(str(path), [str(issue) for issue in report.errors])
    prompts: list[ComparePrompt] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        record = json.loads(text)
        prompts.append(ComparePrompt(number, record["prompt"], record.get("referenceResponse"), record.get("category")))
    return prompts


def read_reference_file(path: str | Path, prompts: Sequence[ComparePrompt]) -> list[ComparePrompt]:
    """The prompts with the references of ``path`` (JSONL; record N is the reference of prompt N; the text is
    found as ``bedrock-ops score`` finds it: ``referenceResponse``, ``reference``, ...)."""
    try:
        records = scoring.read_references(path)
    except scoring.ScoringError as exc:
        raise CompareError(str(exc)) from None
    if len(records) != len(prompts):
        raise CompareError(
            f"{path}: {len(records)} references for {len(prompts)} prompts; give one reference per prompt, in order"
        )
    return [
        ComparePrompt(p.line, p.prompt, r.texts[0] if r.texts else None, p.category)
        for p, r in zip(prompts, records, strict=True)
    ]


# ---------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: at most ``max_attempts`` calls, sleeping ``uniform(0, min(max_delay, base_delay *
    2**(attempt-1)))`` seconds between them (exponential backoff with full jitter)."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= 20:
            raise ValueError(f"max_attempts must be 1-20, got {self.max_attempts}")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError(f"delays must not be negative, got {self.base_delay}, {self.max_delay}")

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to sleep after failed attempt number ``attempt`` (1-based)."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class Answer:
    """One model's answer to one prompt. ``status`` is ``answered``, ``refused`` or ``error``."""

    model: str
    status: str
    text: str = ""
    stop_reason: str | None = None
    latency_ms: float | None = None
    service_latency_ms: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost: float | None = None
    attempts: int = 1
    error: str | None = None
    scores: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "status": self.status,
            "text": self.text,
            "stop_reason": self.stop_reason,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "service_latency_ms": self.service_latency_ms,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost": self.cost,
            "attempts": self.attempts,
            "error": self.error,
            "scores": dict(self.scores),
        }


@dataclass(frozen=True)
class ModelSummary:
    """One model over all prompts."""

    model: str
    kind: str
    base_model_id: str | None
    answered: int
    refused: int
    errors: int
    mean_latency_ms: float | None
    mean_service_latency_ms: float | None
    input_tokens: int
    output_tokens: int
    cost: float | None
    """Sum of the answers' costs; None when the model is unpriced."""
    unpriced_reason: str | None
    scores: Mapping[str, float]
    """Corpus scores over the prompts with a reference (refused and failed answers count as empty)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "model": self.model,
            "kind": self.kind,
            "base_model_id": self.base_model_id,
            "answered": self.answered,
            "refused": self.refused,
            "errors": self.errors,
            "mean_latency_ms": _round(self.mean_latency_ms, 1),
            "mean_service_latency_ms": _round(self.mean_service_latency_ms, 1),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost": self.cost,
            "priced": self.unpriced_reason is None,
            "unpriced_reason": self.unpriced_reason,
            "scores": dict(self.scores),
        }


@dataclass(frozen=True)
class CompareResult:
    """Every answer, per prompt and model, and each model's summary."""

    prompts: tuple[ComparePrompt, ...]
    models: tuple[str, ...]
    answers: tuple[tuple[Answer, ...], ...]
    """``answers[i][j]``: model ``j``'s answer to prompt ``i``."""
    summaries: tuple[ModelSummary, ...]
    currency: str
    pricing_as_of: str
    pricing_region: str
    pricing_source: str
    score_note: str | None = None

    @property
    def total_cost(self) -> float:
        """Sum over the priced models."""
        return math.fsum(s.cost for s in self.summaries if s.cost is not None)

    @property
    def cost_partial(self) -> bool:
        """True when some model is unpriced, so ``total_cost`` leaves it out."""
        return any(s.cost is None for s in self.summaries)

    @property
    def has_errors(self) -> bool:
        """True when some call failed (not counting refusals)."""
        return any(s.errors for s in self.summaries)

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable result (``bedrock-ops compare --json``)."""
        return {
            "models": [s.to_dict() for s in self.summaries],
            "prompts": [
                {
                    "index": i + 1,
                    "line": p.line,
                    "prompt": p.prompt,
                    "reference": p.reference,
                    "category": p.category,
                    "answers": {a.model: a.to_dict() for a in row},
                }
                for i, (p, row) in enumerate(zip(self.prompts, self.answers, strict=True))
            ],
            "total": {
                "cost": self.total_cost,
                "cost_partial": self.cost_partial,
                "unpriced_models": [s.model for s in self.summaries if s.cost is None],
                "currency": self.currency,
            },
            "pricing": {"as_of": self.pricing_as_of, "region": self.pricing_region, "source": self.pricing_source},
            "scores": {
                "metrics": list(SCORE_METRICS),
                "prompts_with_reference": sum(1 for p in self.prompts if p.reference),
                "note": self.score_note,
            },
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# ---------------------------------------------------------------------------------------------- calling


def _oldest_price_date(prices: Sequence[tuple[ModelPrice | None, str | None]], pricing: PricingTable) -> str:
    """The oldest ``as_of`` of the on-demand prices used (each price is dated on its own; the table's date is the
    day it was last revised), or the table's date when none is priced."""
    dates = [p.source_of("on_demand").as_of for p, _ in prices if p is not None]
    known = [d for d in dates if d is not None]
    return (min(known) if known else pricing.as_of).isoformat()


def price_of(target: ModelTarget, pricing: PricingTable) -> tuple[ModelPrice | None, str | None]:
    """The on-demand token prices of ``target`` and, when there are none, why."""
    if target.kind is TargetKind.PROVISIONED_MODEL:
        return None, "provisioned throughput is billed per model unit-hour, not per token"
    if target.base_model_id is None:
        return None, f"a {target.kind.value} ARN: its base model is not in the identifier"
    price = pricing.price(target.base_model_id)
    if price is None or price.input_per_1k_tokens is None or price.output_per_1k_tokens is None:
        return (
            None,
            f"{target.base_model_id} has no on-demand token prices in the pricing table (as of {pricing.as_of})",
        )
    return price, None


def _cost(price: ModelPrice | None, input_tokens: int | None, output_tokens: int | None) -> float | None:
    if price is None or input_tokens is None or output_tokens is None:
        return None
    assert price.input_per_1k_tokens is not None and price.output_per_1k_tokens is not None
    return input_tokens / 1000 * price.input_per_1k_tokens + output_tokens / 1000 * price.output_per_1k_tokens


def converse_request(
    model: str, prompt: str, *, system: str | None, max_tokens: int | None, temperature: float | None
) -> dict[str, Any]:
    """The Converse request for one prompt."""
    request: dict[str, Any] = {"modelId": model, "messages": [{"role": "user", "content": [{"text": prompt}]}]}
    if system:
        request["system"] = [{"text": system}]
    config: dict[str, Any] = {}
    if max_tokens is not None:
        config["maxTokens"] = max_tokens
    if temperature is not None:
        config["temperature"] = temperature
    if config:
        request["inferenceConfig"] = config
    return request


def _fatal_model_error(code: str, message: str) -> bool:
    """Errors that mean the model itself is wrong (not this prompt): stop and say so."""
    return code == "ResourceNotFoundException" or (
        code == "ValidationException" and "model identifier" in message.lower()
    )


def ask(
    client: Any,
    target: ModelTarget,
    prompt: str,
    *,
    price: ModelPrice | None,
    system: str | None = None,
    max_tokens: int | None = 512,
    temperature: float | None = None,
    retry: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.perf_counter,
    rng: random.Random | None = None,
) -> Answer:
    """One Converse call with bounded retries; refusals are answers with ``status="refused"``.

    Raises ``CompareError`` when there are no credentials or Bedrock says the model does not exist.
    """
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

    rng = rng or random.Random()
    request = converse_request(target.identifier, prompt, system=system, max_tokens=max_tokens, temperature=temperature)
    model = target.identifier
    for attempt in range(1, retry.max_attempts + 1):
        started = clock()
        try:
            response = client.converse(**request)
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise CompareError(
                f"no AWS credentials for bedrock-runtime ({exc}); configure them (AWS_PROFILE, aws sso login, "
                "environment variables) or use --batch --dry-run, which needs none"
            ) from None
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = str(error.get("Code", "")), str(error.get("Message", ""))
            if code in RETRYABLE_ERRORS and attempt < retry.max_attempts:
                sleep(retry.delay(attempt, rng))
                continue
            if _fatal_model_error(code, message):
                raise CompareError(f"--models {model!r}: Bedrock rejects the model: {code}: {message}") from None
            suffix = f" after {attempt} attempts" if code in RETRYABLE_ERRORS else ""
            return Answer(model, "error", attempts=attempt, error=f"{code}: {message}{suffix}")
        except BotoCoreError as exc:
            return Answer(model, "error", attempts=attempt, error=f"{type(exc).__name__}: {exc}")
        elapsed_ms = (clock() - started) * 1000
        return _answer(model, response, elapsed_ms, attempt, price)
    raise AssertionError("unreachable: the loop returns or raises on its last attempt")  # pragma: no cover


def _answer(
    model: str, response: Mapping[str, Any], elapsed_ms: float, attempt: int, price: ModelPrice | None
) -> Answer:
    content = response.get("output", {}).get("message", {}).get("content", [])
    text = "".join(block.get("text", "") for block in content if isinstance(block, Mapping))
    usage = response.get("usage", {})
    input_tokens, output_tokens = usage.get("inputTokens"), usage.get("outputTokens")
    stop = response.get("stopReason")
    return Answer(
        model=model,
        status="refused" if stop in REFUSAL_STOP_REASONS else "answered",
        text=text,
        stop_reason=stop,
        latency_ms=elapsed_ms,
        service_latency_ms=response.get("metrics", {}).get("latencyMs"),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost=_cost(price, input_tokens, output_tokens),
        attempts=attempt,
    )


def compare(
    client: Any,
    targets: Sequence[ModelTarget],
    prompts: Sequence[ComparePrompt],
    pricing: PricingTable,
    *,
    system: str | None = None,
    max_tokens: int | None = 512,
    temperature: float | None = None,
    retry: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.perf_counter,
    rng: random.Random | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CompareResult:
    """Ask every model every prompt (prompt by prompt, so a slow model does not delay the others' rows) and
    summarise. ``client`` is a ``bedrock-runtime`` client."""
    if not prompts:
        raise CompareError("no prompts to send")
    if not targets:
        raise CompareError("no models to compare")
    rng = rng or random.Random()
    prices = [price_of(t, pricing) for t in targets]
    rows: list[tuple[Answer, ...]] = []
    total = len(prompts) * len(targets)
    for i, prompt in enumerate(prompts):
        row = []
        for j, target in enumerate(targets):
            row.append(
                ask(
                    client,
                    target,
                    prompt.prompt,
                    price=prices[j][0],
                    system=system,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    retry=retry,
                    sleep=sleep,
                    clock=clock,
                    rng=rng,
                )
            )
            if progress is not None:
                progress(i * len(targets) + j + 1, total)
        rows.append(tuple(row))
    rows, per_model_scores, note = _score(prompts, targets, rows)
    summaries = tuple(
        _summary(target, [row[j] for row in rows], prices[j], per_model_scores[j]) for j, target in enumerate(targets)
    )
    return CompareResult(
        prompts=tuple(prompts),
        models=tuple(t.identifier for t in targets),
        answers=tuple(rows),
        summaries=summaries,
        currency=pricing.currency,
        pricing_as_of=_oldest_price_date(prices, pricing),
        pricing_region=pricing.region,
        pricing_source=pricing.source,
        score_note=note,
    )


def _score(
    prompts: Sequence[ComparePrompt], targets: Sequence[ModelTarget], rows: list[tuple[Answer, ...]]
) -> tuple[list[tuple[Answer, ...]], list[dict[str, float]], str | None]:
    """ROUGE-L and BLEU per model over the prompts that have a reference."""
    scored = [i for i, p in enumerate(prompts) if p.reference]
    if not scored:
        return rows, [{} for _ in targets], None
    refs = [scoring.TextRecord(line=prompts[i].line, texts=(prompts[i].reference or "",)) for i in scored]
    per_model: list[dict[str, float]] = []
    new_rows = [list(row) for row in rows]
    for j in range(len(targets)):
        candidates = [
            scoring.TextRecord(
                line=prompts[i].line, texts=(rows[i][j].text if rows[i][j].status == "answered" else "",)
            )
            for i in scored
        ]
        try:
            report = scoring.score_records(refs, candidates, metrics=SCORE_METRICS)
        except scoring.ScoringError as exc:
            return rows, [{} for _ in targets], f"scores unavailable: {exc}"
        per_model.append({m: report.corpus[m] for m in SCORE_METRICS})
        for k, i in enumerate(scored):
            record_scores = {m: report.records[k].scores[m] for m in SCORE_METRICS}
            new_rows[i][j] = _with_scores(new_rows[i][j], record_scores)
    note = (
        f"scores over {len(scored)} of {len(prompts)} prompts with a reference; "
        "refused or failed answers score as empty"
    )
    return [tuple(row) for row in new_rows], per_model, note


def _with_scores(answer: Answer, scores: Mapping[str, float]) -> Answer:
    from dataclasses import replace

    return replace(answer, scores=dict(scores))


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _summary(
    target: ModelTarget,
    answers: Sequence[Answer],
    price: tuple[ModelPrice | None, str | None],
    scores: Mapping[str, float],
) -> ModelSummary:
    done = [a for a in answers if a.status != "error"]
    costs = [a.cost for a in done]
    cost = None if price[0] is None or any(c is None for c in costs) else math.fsum(c for c in costs if c is not None)
    return ModelSummary(
        model=target.identifier,
        kind=target.kind.value,
        base_model_id=target.base_model_id,
        answered=sum(1 for a in answers if a.status == "answered"),
        refused=sum(1 for a in answers if a.status == "refused"),
        errors=sum(1 for a in answers if a.status == "error"),
        mean_latency_ms=_mean([a.latency_ms for a in done if a.latency_ms is not None]),
        mean_service_latency_ms=_mean([float(a.service_latency_ms) for a in done if a.service_latency_ms is not None]),
        input_tokens=sum(a.input_tokens or 0 for a in done),
        output_tokens=sum(a.output_tokens or 0 for a in done),
        cost=cost,
        unpriced_reason=price[1] if price[0] is None else (None if cost is not None else "usage missing"),
        scores=dict(scores),
    )
