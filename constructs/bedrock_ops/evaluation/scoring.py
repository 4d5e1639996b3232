"""Offline scoring of model outputs against references: ROUGE-N, ROUGE-L, BLEU, BERTScore, perplexity.

The metrics come from the established libraries, not from a copy of their formulas:

- ROUGE-1/2/L from ``rouge-score`` (Google's reference implementation), F-measure per record, the corpus
  figure is the mean over records (as ``rouge_score.scoring.BootstrapAggregator`` reports its mid value).
- BLEU from ``sacrebleu``: the corpus figure is ``BLEU.corpus_score`` (not a mean of sentence scores), the
  per-record figure ``BLEU(effective_order=True).sentence_score``; both on sacrebleu's 0-100 scale.
- BERTScore from ``bert-score`` when it is installed (it downloads a model on first use).
- Perplexity from per-token natural-log probabilities given with the candidates:
  ``exp(-mean(logprobs))`` per record, ``exp(-sum / total tokens)`` for the corpus.

``rouge-score`` and ``sacrebleu`` are the optional extra ``scoring``
(``pip install 'cdk-bedrock-ops[scoring]'``); ``bert-score`` is installed separately.

Inputs are JSONL files, one record per line: a JSON object holding the text (field chosen by name or a
dotted path such as ``modelResponses.0.response``, or found among common names), or a bare JSON string.
The references file may be an evaluation prompt dataset (``referenceResponse``) and the candidates file a
Bedrock evaluation job's output (``modelResponses.0.response``); a reference may be a list of strings
(several references for one record).
"""

from __future__ import annotations

import functools
import importlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "ScoreReport",
    "ScoringError",
    "TextRecord",
    "format_table",
    "parse_metrics",
    "read_candidates",
    "read_references",
    "score_files",
    "score_records",
]

#: Every metric the scorer knows, in display order.
METRICS: tuple[str, ...] = ("rouge1", "rouge2", "rougeL", "bleu", "bertscore", "perplexity")
#: What ``bedrock-ops score`` computes when ``--metrics`` is not given (plus perplexity when the
#: candidates carry log-probabilities).
DEFAULT_METRICS: tuple[str, ...] = ("rouge1", "rouge2", "rougeL", "bleu")

_ROUGE_METRICS = ("rouge1", "rouge2", "rougeL")

#: Field paths tried, in order, when no field is named.
REFERENCE_FIELDS: tuple[str, ...] = (
    "referenceResponse",
    "reference",
    "references",
    "target",
    "completion",
    "inputRecord.referenceResponse",
    "text",
)
CANDIDATE_FIELDS: tuple[str, ...] = (
    "candidate",
    "response",
    "output",
    "generation",
    "completion",
    "modelResponses.0.response",
    "text",
)
LOGPROB_FIELDS: tuple[str, ...] = ("tokenLogprobs", "token_logprobs", "logprobs.token_logprobs", "logprobs")

_SCORING_EXTRA = "pip install 'cdk-bedrock-ops[scoring]'"


class ScoringError(ValueError):
    """Bad input or an unavailable metric; the message names the file and line where one applies."""


@dataclass(frozen=True)
class TextRecord:
    """One line of an input file: its text(s) and, for candidates, optional per-token log-probabilities."""

    line: int
    texts: tuple[str, ...]
    record_id: str | None = None
    logprobs: tuple[float, ...] | None = None


@dataclass(frozen=True)
class RecordScore:
    """The scores of one record, keyed by metric (plus ``<rouge>_precision``/``_recall`` details)."""

    line: int
    record_id: str | None
    scores: dict[str, float]


@dataclass(frozen=True)
class ScoreReport:
    """Corpus and per-record scores."""

    metrics: tuple[str, ...]
    corpus: dict[str, float]
    records: tuple[RecordScore, ...]
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (what ``bedrock-ops score --json`` prints)."""
        return {
            "metrics": list(self.metrics),
            "records_scored": len(self.records),
            "corpus": self.corpus,
            "details": self.details,
            "records": [
                {"line": r.line, **({"id": r.record_id} if r.record_id is not None else {}), **r.scores}
                for r in self.records
            ],
        }


# ---------------------------------------------------------------------------------------------- reading


def _lookup(obj: Any, path: str) -> Any:
    """The value at a dotted path (integer segments index lists), or None when any step is missing."""
    current = obj
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def _read_json_lines(path: Path) -> list[tuple[int, Any]]:
    """Parse a JSONL file strictly: UTF-8, no blank lines, one JSON value per line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScoringError(f"{path}: file not found") from None
    except OSError as exc:
        raise ScoringError(f"{path}: cannot read: {exc.strerror}") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last line
    if not lines:
        raise ScoringError(f"{path}: the file is empty; expected one JSON record per line")
    values: list[tuple[int, Any]] = []
    for number, chunk in enumerate(lines, start=1):
        data = chunk.removesuffix(b"\r")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScoringError(
                f"{path}:{number}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {exc.start + 1}); "
                "save the file as UTF-8"
            ) from None
        if not text.strip():
            raise ScoringError(f"{path}:{number}: empty line; every line must hold one JSON record")
        try:
            values.append((number, json.loads(text)))
        except json.JSONDecodeError as exc:
            raise ScoringError(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    return values


def _text_of(path: Path, number: int, value: Any, field_name: str | None, tried: Sequence[str]) -> Any:
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        raise ScoringError(f"{path}:{number}: expected a JSON object or string, got {type(value).__name__}")
    if field_name is not None:
        found = _lookup(value, field_name)
        if found is None:
            raise ScoringError(f"{path}:{number}: field {field_name!r} not found")
        return found
    for candidate in tried:
        found = _lookup(value, candidate)
        if found is not None:
            return found
    raise ScoringError(
        f"{path}:{number}: none of the fields {', '.join(tried)} found (keys: {', '.join(map(str, value))}); "
        "name the field with --reference-field/--candidate-field"
    )


def _record_id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        for key in ("id", "recordId", "key"):
            if isinstance(value.get(key), (str, int)) and not isinstance(value.get(key), bool):
                return str(value[key])
    return None


def read_references(path: str | Path, *, field_name: str | None = None) -> list[TextRecord]:
    """Read a references JSONL file; a reference is a string or a non-empty list of strings."""
    p = Path(path)
    records = []
    for number, value in _read_json_lines(p):
        text = _text_of(p, number, value, field_name, REFERENCE_FIELDS)
        if isinstance(text, str):
            texts: tuple[str, ...] = (text,)
        elif isinstance(text, list) and text and all(isinstance(t, str) for t in text):
            texts = tuple(text)
        else:
            raise ScoringError(
                f"{p}:{number}: the reference must be a string or a non-empty list of strings, "
                f"got {json.dumps(text)[:80]}"
            )
        records.append(TextRecord(line=number, texts=texts, record_id=_record_id(value)))
    return records


def read_candidates(
    path: str | Path, *, field_name: str | None = None, logprobs_field: str | None = None
) -> list[TextRecord]:
    """Read a candidates JSONL file: a string per record, with optional per-token log-probabilities."""
    p = Path(path)
    records = []
    for number, value in _read_json_lines(p):
        text = _text_of(p, number, value, field_name, CANDIDATE_FIELDS)
        if not isinstance(text, str):
            raise ScoringError(f"{p}:{number}: the candidate must be a string, got {json.dumps(text)[:80]}")
        records.append(
            TextRecord(
                line=number,
                texts=(text,),
                record_id=_record_id(value),
                logprobs=_logprobs_of(p, number, value, logprobs_field),
            )
        )
    return records


def _logprobs_of(path: Path, number: int, value: Any, field_name: str | None) -> tuple[float, ...] | None:
    if not isinstance(value, Mapping):
        return None
    found: Any = None
    name = field_name
    if field_name is not None:
        found = _lookup(value, field_name)
        if found is None:
            raise ScoringError(f"{path}:{number}: log-probability field {field_name!r} not found")
    else:
        for candidate in LOGPROB_FIELDS:
            found = _lookup(value, candidate)
            if isinstance(found, list):
                name = candidate
                break
        else:
            return None
    if (
        not isinstance(found, list)
        or not found
        or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in found)
    ):
        raise ScoringError(f"{path}:{number}: {name!r} must be a non-empty list of numbers (log-probabilities)")
    bad = [x for x in found if not math.isfinite(x) or x > 0]
    if bad:
        raise ScoringError(f"{path}:{number}: {name!r} holds {bad[0]!r}; natural-log probabilities are finite and <= 0")
    return tuple(float(x) for x in found)


# ---------------------------------------------------------------------------------------------- scoring


def _require(module: str, package: str, install: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ScoringError(f"this metric needs the package {package!r}, which is not installed: {install}") from None


def parse_metrics(spec: str | Sequence[str]) -> tuple[str, ...]:
    """Split and check a metric list (``"rouge1,bleu"``); raises ScoringError naming unknown metrics."""
    names = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    if not names:
        raise ScoringError(f"metrics: no metric given; choose from {', '.join(METRICS)}")
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise ScoringError(f"metrics: unknown metric {unknown[0]!r}; choose from {', '.join(METRICS)}")
    return tuple(m for m in METRICS if m in names)


def score_records(
    references: Sequence[TextRecord],
    candidates: Sequence[TextRecord],
    *,
    metrics: Sequence[str] | None = None,
    use_stemmer: bool = True,
    bleu_tokenize: str = "13a",
    bertscore_lang: str = "en",
    bertscore_model: str | None = None,
    references_name: str = "references",
    candidates_name: str = "candidates",
) -> ScoreReport:
    """Score candidates against references, record by record (same order, same count).

    ``metrics`` defaults to ROUGE-1/2/L and BLEU, plus perplexity when every candidate has
    log-probabilities; naming ``perplexity`` requires them on every candidate.
    """
    if len(references) != len(candidates):
        raise ScoringError(
            f"{references_name} has {len(references)} records but {candidates_name} has {len(candidates)}; "
            "record N of one file is scored against record N of the other"
        )
    if not references:
        raise ScoringError(f"{references_name}: no records to score")
    if metrics is None:
        chosen = DEFAULT_METRICS
        if all(c.logprobs is not None for c in candidates):
            chosen = (*chosen, "perplexity")
    else:
        chosen = parse_metrics(metrics)

    refs = [r.texts for r in references]
    hyps = [c.texts[0] for c in candidates]
    per_record: list[dict[str, float]] = [{} for _ in candidates]
    corpus: dict[str, float] = {}
    details: dict[str, Any] = {}
    rouge_types = [m for m in chosen if m in _ROUGE_METRICS]
    if rouge_types:
        details["rouge"] = _score_rouge(rouge_types, refs, hyps, per_record, corpus, use_stemmer=use_stemmer)
    if "bleu" in chosen:
        details["bleu"] = _score_bleu(refs, hyps, per_record, corpus, tokenize=bleu_tokenize)
    if "bertscore" in chosen:
        details["bertscore"] = _score_bertscore(
            refs, hyps, per_record, corpus, lang=bertscore_lang, model=bertscore_model
        )
    if "perplexity" in chosen:
        details["perplexity"] = _score_perplexity(candidates, per_record, corpus, candidates_name)

    records = tuple(
        RecordScore(line=c.line, record_id=c.record_id or r.record_id, scores=s)
        for r, c, s in zip(references, candidates, per_record, strict=True)
    )
    return ScoreReport(metrics=chosen, corpus=corpus, records=records, details=details)


def _memoized_rouge_tokenizer(use_stemmer: bool) -> Any:
    """rouge-score's own DefaultTokenizer, with its Porter stemmer's results cached per word.

    Stemming is ~70% of ROUGE's time and deterministic, so caching changes the speed, not the scores
    (the tests compare with ``RougeScorer(use_stemmer=True)``)."""
    tokenizers = _require("rouge_score.tokenizers", "rouge-score", _SCORING_EXTRA)
    tokenizer = tokenizers.DefaultTokenizer(use_stemmer=use_stemmer)
    stemmer = getattr(tokenizer, "_stemmer", None)
    if stemmer is not None:
        stem = functools.lru_cache(maxsize=1 << 16)(stemmer.stem)

        class _CachedStemmer:
            def stem(self, word: str) -> str:
                return str(stem(word))

        tokenizer._stemmer = _CachedStemmer()
    return tokenizer


def _score_rouge(
    rouge_types: list[str],
    refs: list[tuple[str, ...]],
    hyps: list[str],
    per_record: list[dict[str, float]],
    corpus: dict[str, float],
    *,
    use_stemmer: bool,
) -> dict[str, Any]:
    rouge_scorer = _require("rouge_score.rouge_scorer", "rouge-score", _SCORING_EXTRA)
    scorer = rouge_scorer.RougeScorer(rouge_types, tokenizer=_memoized_rouge_tokenizer(use_stemmer))
    for scores, ref, hyp in zip(per_record, refs, hyps, strict=True):
        result = scorer.score(ref[0], hyp) if len(ref) == 1 else scorer.score_multi(list(ref), hyp)
        for rouge_type in rouge_types:
            s = result[rouge_type]
            scores[rouge_type] = float(s.fmeasure)
            scores[f"{rouge_type}_precision"] = float(s.precision)
            scores[f"{rouge_type}_recall"] = float(s.recall)
    for rouge_type in rouge_types:
        for part in ("", "_precision", "_recall"):
            key = f"{rouge_type}{part}"
            corpus[key] = math.fsum(s[key] for s in per_record) / len(per_record)
    return {"use_stemmer": use_stemmer, "corpus": "mean of per-record scores"}


def _score_bleu(
    refs: list[tuple[str, ...]],
    hyps: list[str],
    per_record: list[dict[str, float]],
    corpus: dict[str, float],
    *,
    tokenize: str,
) -> dict[str, Any]:
    bleu_module = _require("sacrebleu.metrics", "sacrebleu", _SCORING_EXTRA)
    try:
        corpus_metric = bleu_module.BLEU(tokenize=tokenize)
        sentence_metric = bleu_module.BLEU(tokenize=tokenize, effective_order=True)
    except KeyError:
        raise ScoringError(f"bleu tokenizer {tokenize!r} unknown to sacrebleu (try 13a, intl, char, none)") from None
    width = max(len(r) for r in refs)
    # sacrebleu takes reference streams; None pads the records that have fewer references.
    streams = [[r[i] if i < len(r) else None for r in refs] for i in range(width)]
    corpus["bleu"] = float(corpus_metric.corpus_score(hyps, streams).score)
    for scores, ref, hyp in zip(per_record, refs, hyps, strict=True):
        scores["bleu"] = float(sentence_metric.sentence_score(hyp, list(ref)).score)
    return {"signature": str(corpus_metric.get_signature()), "scale": "0-100"}


def _score_bertscore(
    refs: list[tuple[str, ...]],
    hyps: list[str],
    per_record: list[dict[str, float]],
    corpus: dict[str, float],
    *,
    lang: str,
    model: str | None,
) -> dict[str, Any]:
    bert_score = _require("bert_score", "bert-score", "pip install bert-score")
    kwargs: dict[str, Any] = {"verbose": False}
    if model:
        kwargs["model_type"] = model
    else:
        kwargs["lang"] = lang
    ref_arg: list[Any] = [r[0] if len(r) == 1 else list(r) for r in refs]
    _precision, _recall, f1 = bert_score.score(hyps, ref_arg, **kwargs)
    values = [float(v) for v in f1.tolist()]
    for scores, value in zip(per_record, values, strict=True):
        scores["bertscore"] = value
    corpus["bertscore"] = math.fsum(values) / len(values)
    return {"model": model or f"bert-score default for lang={lang}", "score": "F1"}


def _score_perplexity(
    candidates: Sequence[TextRecord],
    per_record: list[dict[str, float]],
    corpus: dict[str, float],
    candidates_name: str,
) -> dict[str, Any]:
    total, tokens = 0.0, 0
    for scores, cand in zip(per_record, candidates, strict=True):
        if cand.logprobs is None:
            raise ScoringError(
                f"{candidates_name}:{cand.line}: perplexity needs per-token log-probabilities "
                f"(one of the fields {', '.join(LOGPROB_FIELDS)})"
            )
        scores["perplexity"] = math.exp(-math.fsum(cand.logprobs) / len(cand.logprobs))
        total += math.fsum(cand.logprobs)
        tokens += len(cand.logprobs)
    corpus["perplexity"] = math.exp(-total / tokens)
    return {"tokens": tokens, "corpus": "exp(-sum of log-probabilities / tokens)"}


def score_files(
    references: str | Path,
    candidates: str | Path,
    *,
    metrics: Sequence[str] | None = None,
    reference_field: str | None = None,
    candidate_field: str | None = None,
    logprobs_field: str | None = None,
    **options: Any,
) -> ScoreReport:
    """Read both JSONL files and score them (see ``score_records`` for the options)."""
    chosen = parse_metrics(metrics) if metrics is not None else None
    refs = read_references(references, field_name=reference_field)
    cands = read_candidates(candidates, field_name=candidate_field, logprobs_field=logprobs_field)
    return score_records(
        refs,
        cands,
        metrics=chosen,
        references_name=str(references),
        candidates_name=str(candidates),
        **options,
    )


def format_table(report: ScoreReport, *, per_record: bool = True) -> str:
    """A plain-text table: one row per record (unless ``per_record`` is False) and a corpus row."""
    header = ["record", *report.metrics]
    rows: list[list[str]] = []
    if per_record:
        for rec in report.records:
            label = f"{rec.line}" if rec.record_id is None else f"{rec.line} ({rec.record_id})"
            rows.append([label, *(f"{rec.scores[m]:.4f}" for m in report.metrics)])
    rows.append(["corpus", *(f"{report.corpus[m]:.4f}" for m in report.metrics)])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(header), "  ".join("-" * w for w in widths)]
    out.extend(line(r) for r in rows[:-1])
    if per_record:
        out.append("  ".join("-" * w for w in widths))
    out.append(line(rows[-1]))
    notes = []
    if "bleu" in report.details:
        notes.append(f"BLEU on a 0-100 scale ({report.details['bleu']['signature']})")
    if "rouge" in report.details:
        notes.append("ROUGE F-measure; corpus = mean over records")
    if notes:
        out.append("")
        out.extend(notes)
    return "\n".join(out)
