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

import html
import json
import math
import random
import sys
import textwrap
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
    "format_text",
    "read_prompts",
    "read_reference_file",
    "render_html",
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
        pricing_as_of=pricing.as_of.isoformat(),
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


# ---------------------------------------------------------------------------------------------- text


def _money(value: float | None, currency: str) -> str:
    return "unpriced" if value is None else f"{value:.6f} {currency}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def _answer_line(answer: Answer, currency: str) -> str:
    if answer.status == "error":
        return f"ERROR ({answer.error})"
    parts = []
    if answer.status == "refused":
        parts.append(f"REFUSED ({answer.stop_reason})")
    parts.append(f"{_ms(answer.latency_ms)} (service {_ms(answer.service_latency_ms)})")
    parts.append(f"in {answer.input_tokens} / out {answer.output_tokens} tokens")
    parts.append(_money(answer.cost, currency))
    parts.extend(f"{m} {v:.4f}" if m != "bleu" else f"bleu {v:.2f}" for m, v in answer.scores.items())
    if answer.attempts > 1:
        parts.append(f"{answer.attempts} attempts")
    return "  ".join(parts)


def format_text(result: CompareResult, *, width: int = 100) -> str:
    """Prompt by prompt, each model's answer under the others, then a summary table."""
    out = [
        f"Compare: {len(result.prompts)} prompt(s) x {len(result.models)} models (Bedrock Converse; prices "
        f"{result.currency} as of {result.pricing_as_of}, {result.pricing_region})",
    ]
    name_width = max(len(m) for m in result.models)
    for i, (prompt, row) in enumerate(zip(result.prompts, result.answers, strict=True), start=1):
        out.append("")
        out.append(textwrap.shorten(f"[{i}] {prompt.prompt}", width=width, placeholder=" ..."))
        if prompt.reference:
            out.append("    " + textwrap.shorten(f"reference: {prompt.reference}", width=width - 4, placeholder=" ..."))
        for answer in row:
            out.append(f"  {answer.model.ljust(name_width)}  {_answer_line(answer, result.currency)}")
            if answer.text:
                out.extend(
                    textwrap.wrap(
                        answer.text, width=width, initial_indent="      ", subsequent_indent="      ", max_lines=6
                    )
                )
    out.append("")
    out.append("Summary")
    header = ["model", "answered", "refused", "errors", "latency", "service", "in tok", "out tok", "cost"]
    header += list(SCORE_METRICS) if any(s.scores for s in result.summaries) else []
    table = [header]
    for s in result.summaries:
        n = len(result.prompts)
        line = [
            s.model,
            f"{s.answered}/{n}",
            str(s.refused),
            str(s.errors),
            _ms(s.mean_latency_ms),
            _ms(s.mean_service_latency_ms),
            str(s.input_tokens),
            str(s.output_tokens),
            _money(s.cost, result.currency),
        ]
        if len(header) > 9:
            line += [
                f"{s.scores.get(m, float('nan')):.4f}" if m != "bleu" else f"{s.scores.get(m, 0):.2f}"
                for m in SCORE_METRICS
            ]
        table.append(line)
    widths = [max(len(r[c]) for r in table) for c in range(len(header))]
    for r in table:
        out.append(
            "  " + "  ".join(cell.ljust(widths[c]) if c == 0 else cell.rjust(widths[c]) for c, cell in enumerate(r))
        )
    total = f"total cost: {result.total_cost:.6f} {result.currency}"
    if result.cost_partial:
        unpriced = [s for s in result.summaries if s.cost is None]
        total += " (partial: unpriced " + "; ".join(f"{s.model}: {s.unpriced_reason}" for s in unpriced) + ")"
    out.append(total)
    out.append(
        "latency: mean per answered or refused call, measured around the call; service = Converse metrics.latencyMs"
    )
    if result.score_note:
        out.append(result.score_note)
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------- HTML

_COLORS = ("#2f6fb0", "#c8581d", "#3b8f4e", "#8a4fb0", "#b0304f")
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d232a;background:#fff}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border:1px solid #d4d9de;padding:.4rem .5rem;vertical-align:top;text-align:left}
th{background:#f2f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.prompt{background:#f7f9fb;padding:.6rem;border-left:4px solid #2f6fb0;white-space:pre-wrap}
.reference{color:#4a5560;white-space:pre-wrap}.answer{white-space:pre-wrap}
.meta{color:#4a5560;font-size:.85rem}.refused{color:#a05a00;font-weight:600}.error{color:#b0304f;font-weight:600}
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
""".strip()


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _bar_chart(title: str, labels: Sequence[str], values: Sequence[float | None], unit: str, y: int) -> tuple[str, int]:
    """A horizontal bar chart block of the SVG starting at ``y``; returns the markup and the next ``y``."""
    parts = [f'<text x="0" y="{y + 14}" font-size="13" font-weight="600">{_e(title)}</text>']
    y += 24
    known = [v for v in values if v is not None]
    top = max(known) if known and max(known) > 0 else 1.0
    for k, (label, value) in enumerate(zip(labels, values, strict=True)):
        color = _COLORS[k % len(_COLORS)]
        parts.append(f'<text x="0" y="{y + 13}" font-size="12">{_e(label)}</text>')
        if value is None:
            parts.append(f'<text x="330" y="{y + 13}" font-size="12" fill="#4a5560">n/a ({_e(unit)})</text>')
        else:
            bar = max(1.0, 300 * value / top)
            parts.append(f'<rect x="330" y="{y}" width="{bar:.1f}" height="16" fill="{color}"/>')
            parts.append(f'<text x="{336 + bar:.1f}" y="{y + 13}" font-size="12">{_e(_fmt_value(value, unit))}</text>')
        y += 22
    return "".join(parts), y + 10


def _fmt_value(value: float, unit: str) -> str:
    return f"{value:,.0f} ms" if unit == "ms" else f"{value:.6f} {unit}"


def render_html(result: CompareResult) -> str:
    """One self-contained HTML page: inline CSS and SVG, no scripts, fonts or external URLs."""
    models = result.models
    chart_latency, y = _bar_chart(
        "Mean latency (client-side)", models, [s.mean_latency_ms for s in result.summaries], "ms", 0
    )
    chart_cost, y = _bar_chart(
        f"Cost of this run ({result.currency})",
        models,
        [s.cost for s in result.summaries],
        result.currency,
        y,
    )
    svg = (
        f'<svg role="img" aria-label="latency and cost per model" width="760" height="{y}" '
        f'viewBox="0 0 760 {y}">{chart_latency}{chart_cost}</svg>'
    )
    head = [
        "Model",
        "Answered",
        "Refused",
        "Errors",
        "Mean latency",
        "Service latency",
        "Input tokens",
        "Output tokens",
        "Cost",
    ]
    scored = any(s.scores for s in result.summaries)
    if scored:
        head += ["ROUGE-L", "BLEU"]
    rows_html = []
    for k, s in enumerate(result.summaries):
        cells = [
            f'<td><span class="swatch" style="background:{_COLORS[k % len(_COLORS)]}"></span>{_e(s.model)}</td>',
            f'<td class="num">{s.answered}/{len(result.prompts)}</td>',
            f'<td class="num">{s.refused}</td>',
            f'<td class="num">{s.errors}</td>',
            f'<td class="num">{_e(_ms(s.mean_latency_ms))}</td>',
            f'<td class="num">{_e(_ms(s.mean_service_latency_ms))}</td>',
            f'<td class="num">{s.input_tokens}</td>',
            f'<td class="num">{s.output_tokens}</td>',
            f'<td class="num">{_e(_money(s.cost, result.currency))}'
            + (f'<div class="meta">{_e(s.unpriced_reason)}</div>' if s.unpriced_reason else "")
            + "</td>",
        ]
        if scored:
            cells.append(f'<td class="num">{s.scores.get("rougeL", float("nan")):.4f}</td>')
            cells.append(f'<td class="num">{s.scores.get("bleu", float("nan")):.2f}</td>')
        rows_html.append("<tr>" + "".join(cells) + "</tr>")
    total = f"Total cost: {_e(_money(result.total_cost, result.currency))}"
    if result.cost_partial:
        total += " (partial: some models are unpriced)"
    sections = []
    for i, (prompt, row) in enumerate(zip(result.prompts, result.answers, strict=True), start=1):
        answers = []
        for answer in row:
            if answer.status == "error":
                body = f'<div class="error">error</div><div class="meta">{_e(answer.error)}</div>'
            else:
                flag = (
                    f'<div class="refused">refused ({_e(answer.stop_reason)})</div>'
                    if answer.status == "refused"
                    else ""
                )
                scores = "".join(f" &middot; {_e(m)} {v:.4f}" for m, v in answer.scores.items())
                body = (
                    f'{flag}<div class="answer">{_e(answer.text)}</div><div class="meta">{_e(_ms(answer.latency_ms))}'
                    f" (service {_e(_ms(answer.service_latency_ms))}) &middot; {answer.input_tokens} in / "
                    f"{answer.output_tokens} out tokens &middot; "
                    f"{_e(_money(answer.cost, result.currency))}{scores}</div>"
                )
            answers.append(f"<td>{body}</td>")
        reference = f'<p class="reference"><b>Reference:</b> {_e(prompt.reference)}</p>' if prompt.reference else ""
        sections.append(
            f'<section><h2>Prompt {i}</h2><div class="prompt">{_e(prompt.prompt)}</div>{reference}'
            f"<table><tr>{''.join(f'<th>{_e(m)}</th>' for m in models)}</tr>"
            f"<tr>{''.join(answers)}</tr></table></section>"
        )
    note = f'<p class="meta">{_e(result.score_note)}</p>' if result.score_note else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>bedrock-ops compare: {_e(', '.join(models))}</title><style>{_CSS}</style></head><body>"
        f"<h1>Model comparison: {len(result.prompts)} prompt(s), {len(models)} models</h1>"
        f'<p class="meta">Bedrock Converse API. Prices: {_e(result.currency)} as of {_e(result.pricing_as_of)} '
        f"({_e(result.pricing_region)}, the packaged pricing table or yours); estimates.</p>"
        f"{svg}<h2>Summary</h2><table><tr>{''.join(f'<th>{_e(h)}</th>' for h in head)}</tr>{''.join(rows_html)}</table>"
        f"<p>{total}</p>{note}{''.join(sections)}</body></html>\n"
    )
