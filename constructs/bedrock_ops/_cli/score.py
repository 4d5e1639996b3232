"""``bedrock-ops score``: offline ROUGE, BLEU, BERTScore and perplexity (logic in bedrock_ops.evaluation.scoring)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bedrock_ops.evaluation import scoring


def register(subparsers: Any) -> None:
    """Add the ``score`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "score",
        help="score model outputs against references (ROUGE, BLEU, BERTScore, perplexity)",
        description=(
            "Score candidates against references, record N against record N, from two JSONL files. "
            "ROUGE comes from rouge-score and BLEU from sacrebleu (pip install 'cdk-bedrock-ops[scoring]'); "
            "BERTScore needs bert-score. Perplexity is computed from per-token log-probabilities when the "
            "candidates carry them."
        ),
    )
    parser.add_argument("--references", required=True, metavar="FILE", help="JSONL file of reference texts")
    parser.add_argument("--candidates", required=True, metavar="FILE", help="JSONL file of model outputs")
    parser.add_argument(
        "--metrics",
        metavar="LIST",
        help=f"comma-separated, from {','.join(scoring.METRICS)} "
        f"(default: {','.join(scoring.DEFAULT_METRICS)}, plus perplexity when log-probabilities are present)",
    )
    parser.add_argument(
        "--reference-field",
        metavar="PATH",
        help=f"field (dotted path) holding the reference (default: first of {', '.join(scoring.REFERENCE_FIELDS)})",
    )
    parser.add_argument(
        "--candidate-field",
        metavar="PATH",
        help=f"field (dotted path) holding the output (default: first of {', '.join(scoring.CANDIDATE_FIELDS)})",
    )
    parser.add_argument(
        "--logprobs-field",
        metavar="PATH",
        help="field holding per-token natural-log probabilities (default: first of "
        f"{', '.join(scoring.LOGPROB_FIELDS)})",
    )
    parser.add_argument("--no-stemmer", action="store_true", help="ROUGE without the Porter stemmer")
    parser.add_argument("--bleu-tokenize", default="13a", help="sacrebleu tokenizer (default: 13a)")
    parser.add_argument("--bertscore-lang", default="en", help="BERTScore language (default: en)")
    parser.add_argument(
        "--bertscore-model",
        help="BERTScore model type (default: bert-score's choice for the language)",
    )
    parser.add_argument("--corpus-only", action="store_true", help="print only the corpus row")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; 0 when scored, 2 when the input or the options are wrong."""
    try:
        report = scoring.score_files(
            args.references,
            args.candidates,
            metrics=scoring.parse_metrics(args.metrics) if args.metrics is not None else None,
            reference_field=args.reference_field,
            candidate_field=args.candidate_field,
            logprobs_field=args.logprobs_field,
            use_stemmer=not args.no_stemmer,
            bleu_tokenize=args.bleu_tokenize,
            bertscore_lang=args.bertscore_lang,
            bertscore_model=args.bertscore_model,
        )
    except scoring.ScoringError as exc:
        print(f"bedrock-ops score: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        data = report.to_dict()
        if args.corpus_only:
            data.pop("records")
        print(json.dumps(data, indent=2))
    else:
        print(scoring.format_table(report, per_record=not args.corpus_only))
    return 0
