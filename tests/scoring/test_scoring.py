"""bedrock_ops.evaluation.scoring reproduces rouge-score and sacrebleu, and rejects bad input naming file and line."""

from __future__ import annotations

import json
import math
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from bedrock_ops.evaluation import scoring

# The `scoring` extra; skipped (visibly) until requirements.lock carries it.
sacrebleu = pytest.importorskip("sacrebleu", reason="install cdk-bedrock-ops[scoring]")
rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer", reason="install cdk-bedrock-ops[scoring]")

REFERENCES = [
    "The cat sat on the mat.",
    "Amazon Bedrock offers foundation models through a single API.",
    "Provisioned throughput is billed per model unit and hour.",
    "Evaluation jobs write their results to Amazon S3.",
]
CANDIDATES = [
    "The cat is sitting on the mat.",
    "Bedrock gives access to foundation models with one API.",
    "Provisioned throughput is charged per model unit per hour.",
    "Results of evaluation jobs are written to S3.",
]
LOGPROBS = [[-0.1, -0.2, -0.3], [-1.0, -0.5], [-0.05], [-2.0, -0.1, -0.4, -0.3]]


def _write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("corpus")
    refs = _write_jsonl(d / "refs.jsonl", [{"prompt": "p", "referenceResponse": r} for r in REFERENCES])
    cands = _write_jsonl(
        d / "cands.jsonl",
        [{"response": c, "tokenLogprobs": lp} for c, lp in zip(CANDIDATES, LOGPROBS, strict=True)],
    )
    return refs, cands


@pytest.fixture(scope="module")
def report(corpus: tuple[Path, Path]) -> scoring.ScoreReport:
    return scoring.score_files(*corpus)


def test_rouge_per_record_equals_rouge_score_library(report: scoring.ScoreReport) -> None:
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    for record, ref, cand in zip(report.records, REFERENCES, CANDIDATES, strict=True):
        expected = scorer.score(ref, cand)
        for name in ("rouge1", "rouge2", "rougeL"):
            assert record.scores[name] == pytest.approx(expected[name].fmeasure, abs=1e-12)
            assert record.scores[f"{name}_recall"] == pytest.approx(expected[name].recall, abs=1e-12)


def test_rouge_corpus_is_mean_of_library_fmeasures(report: scoring.ScoreReport) -> None:
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    fs = [scorer.score(r, c)["rougeL"].fmeasure for r, c in zip(REFERENCES, CANDIDATES, strict=True)]
    assert report.corpus["rougeL"] == pytest.approx(sum(fs) / len(fs), abs=1e-12)


def test_corpus_bleu_equals_sacrebleu_corpus_bleu(report: scoring.ScoreReport) -> None:
    expected = sacrebleu.corpus_bleu(CANDIDATES, [REFERENCES]).score
    assert report.corpus["bleu"] == pytest.approx(expected, abs=1e-9)
    assert 0 < report.corpus["bleu"] < 100


def test_sentence_bleu_equals_sacrebleu_sentence_bleu(report: scoring.ScoreReport) -> None:
    for record, ref, cand in zip(report.records, REFERENCES, CANDIDATES, strict=True):
        assert record.scores["bleu"] == pytest.approx(sacrebleu.sentence_bleu(cand, [ref]).score, abs=1e-9)


def test_perplexity_is_computed_when_candidates_carry_logprobs(report: scoring.ScoreReport) -> None:
    assert "perplexity" in report.metrics
    assert report.records[0].scores["perplexity"] == pytest.approx(math.exp(0.2))
    flat = [x for lp in LOGPROBS for x in lp]
    assert report.corpus["perplexity"] == pytest.approx(math.exp(-sum(flat) / len(flat)))


def test_identical_texts_score_perfectly(tmp_path: Path) -> None:
    refs = _write_jsonl(tmp_path / "r.jsonl", REFERENCES)
    rep = scoring.score_files(refs, refs, metrics=["rouge1", "rougeL", "bleu"])
    assert rep.corpus["rouge1"] == pytest.approx(1.0)
    assert rep.corpus["bleu"] == pytest.approx(100.0)


def test_multiple_references_match_the_libraries_multi_reference_scores(tmp_path: Path) -> None:
    refs = _write_jsonl(tmp_path / "r.jsonl", [{"references": ["a dog runs", "the cat sat on the mat"]}, "x y z"])
    cands = _write_jsonl(tmp_path / "c.jsonl", ["the cat sat on a mat", "x y"])
    rep = scoring.score_files(refs, cands, metrics=["rouge1", "bleu"])
    expected_rouge = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True).score_multi(
        ["a dog runs", "the cat sat on the mat"], "the cat sat on a mat"
    )
    assert rep.records[0].scores["rouge1"] == pytest.approx(expected_rouge["rouge1"].fmeasure)
    streams: list[Any] = [["a dog runs", "x y z"], ["the cat sat on the mat", None]]
    expected_bleu = sacrebleu.corpus_bleu(["the cat sat on a mat", "x y"], streams)
    assert rep.corpus["bleu"] == pytest.approx(expected_bleu.score)


def test_default_metrics_skip_perplexity_without_logprobs(tmp_path: Path) -> None:
    f = _write_jsonl(tmp_path / "r.jsonl", ["a b c"])
    assert scoring.score_files(f, f).metrics == scoring.DEFAULT_METRICS


def test_bedrock_evaluation_output_fields_are_found(tmp_path: Path) -> None:
    out = _write_jsonl(
        tmp_path / "out.jsonl",
        [
            {
                "inputRecord": {"prompt": "p", "referenceResponse": "a b c"},
                "modelResponses": [{"response": "a b"}],
            }
        ],
    )
    rep = scoring.score_files(out, out, metrics=["rouge1"])
    assert rep.records[0].scores["rouge1_precision"] == pytest.approx(1.0)
    assert rep.records[0].scores["rouge1_recall"] == pytest.approx(2 / 3)


def test_empty_line_is_rejected_naming_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "refs.jsonl"
    f.write_text('"a"\n\n"b"\n', encoding="utf-8")
    with pytest.raises(scoring.ScoringError, match=r"refs\.jsonl:2: empty line"):
        scoring.read_references(f)


def test_whitespace_only_line_is_rejected_as_empty(tmp_path: Path) -> None:
    f = tmp_path / "c.jsonl"
    f.write_text('"a"\n   \t\n', encoding="utf-8")
    with pytest.raises(scoring.ScoringError, match=r"c\.jsonl:2: empty line"):
        scoring.read_candidates(f)


def test_non_utf8_input_is_rejected_naming_file_line_and_byte(tmp_path: Path) -> None:
    f = tmp_path / "cands.jsonl"
    f.write_bytes(b'"ok"\n"caf\xe9"\n')
    with pytest.raises(scoring.ScoringError, match=r"cands\.jsonl:2: not valid UTF-8 \(byte 0xe9 at column 5\)"):
        scoring.read_candidates(f)


def test_unequal_file_lengths_are_rejected_with_both_counts(tmp_path: Path) -> None:
    refs = _write_jsonl(tmp_path / "refs.jsonl", ["a", "b", "c"])
    cands = _write_jsonl(tmp_path / "cands.jsonl", ["a", "b"])
    with pytest.raises(scoring.ScoringError, match=r"refs\.jsonl has 3 records but .*cands\.jsonl has 2"):
        scoring.score_files(refs, cands)


def test_invalid_json_is_rejected_naming_line(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text('"a"\n{"reference": \n', encoding="utf-8")
    with pytest.raises(scoring.ScoringError, match=r"r\.jsonl:2: not valid JSON"):
        scoring.read_references(f)


def test_missing_text_field_is_rejected_listing_fields_tried(tmp_path: Path) -> None:
    f = _write_jsonl(tmp_path / "c.jsonl", [{"answer": "x"}])
    with pytest.raises(scoring.ScoringError, match=r"c\.jsonl:1: none of the fields candidate, response"):
        scoring.read_candidates(f)


def test_named_field_is_used(tmp_path: Path) -> None:
    f = _write_jsonl(tmp_path / "c.jsonl", [{"answer": "x", "response": "y"}])
    assert scoring.read_candidates(f, field_name="answer")[0].texts == ("x",)


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text("", encoding="utf-8")
    with pytest.raises(scoring.ScoringError, match=r"r\.jsonl: the file is empty"):
        scoring.read_references(f)


def test_positive_logprob_is_rejected(tmp_path: Path) -> None:
    f = _write_jsonl(tmp_path / "c.jsonl", [{"response": "x", "tokenLogprobs": [-0.1, 0.5]}])
    with pytest.raises(scoring.ScoringError, match=r"c\.jsonl:1: 'tokenLogprobs' holds 0\.5"):
        scoring.read_candidates(f)


def test_perplexity_requested_without_logprobs_names_the_line(tmp_path: Path) -> None:
    refs = _write_jsonl(tmp_path / "r.jsonl", ["a", "b"])
    cands = _write_jsonl(tmp_path / "c.jsonl", [{"response": "a", "logprobs": [-1.0]}, {"response": "b"}])
    with pytest.raises(scoring.ScoringError, match=r"c\.jsonl:2: perplexity needs per-token log-probabilities"):
        scoring.score_files(refs, cands, metrics=["perplexity"])


def test_unknown_metric_is_rejected_listing_the_choices() -> None:
    with pytest.raises(scoring.ScoringError, match=r"unknown metric 'meteor'; choose from rouge1"):
        scoring.parse_metrics("rouge1,meteor")


def test_bertscore_without_package_names_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "bert_score", None)  # makes `import bert_score` raise ImportError
    f = _write_jsonl(tmp_path / "r.jsonl", ["a b"])
    with pytest.raises(scoring.ScoringError, match=r"'bert-score'.*pip install bert-score"):
        scoring.score_files(f, f, metrics=["bertscore"])


def test_bertscore_passes_texts_and_language_to_bert_score(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Any, dict[str, Any]]] = []

    class _Tensor:
        def __init__(self, values: list[float]) -> None:
            self.values = values

        def tolist(self) -> list[float]:
            return self.values

    def fake_score(cands: Any, refs: Any, **kwargs: Any) -> tuple[_Tensor, _Tensor, _Tensor]:
        calls.append((cands, refs, kwargs))
        return _Tensor([0.0]), _Tensor([0.0]), _Tensor([0.9, 0.7])

    monkeypatch.setitem(sys.modules, "bert_score", types.SimpleNamespace(score=fake_score))
    refs = _write_jsonl(tmp_path / "r.jsonl", ["a b", "c"])
    cands = _write_jsonl(tmp_path / "c.jsonl", ["a", "c d"])
    rep = scoring.score_files(refs, cands, metrics=["bertscore"], bertscore_lang="de")
    assert calls == [(["a", "c d"], ["a b", "c"], {"verbose": False, "lang": "de"})]
    assert rep.corpus["bertscore"] == pytest.approx(0.8)
