"""The README's "Compare models" output is what ``bedrock-ops compare`` prints for the stubbed run below."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from botocore.stub import Stubber

from bedrock_ops.cost.pricing import load_pricing_table
from bedrock_ops.evaluation import compare as cmp
from bedrock_ops.evaluation import compare_report
from bedrock_ops.evaluation._model_ids import parse_model_identifier

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("amazon.nova-micro-v1:0", "us.anthropic.claude-3-haiku-20240307-v1:0")
# (text, input tokens, output tokens, Converse latencyMs, stopReason) per prompt, per model
ANSWERS: tuple[tuple[tuple[str, int, int, int, str], ...], ...] = (
    (
        ("Sign out of the VPN client, then sign in again with your new password.", 24, 16, 412, "end_turn"),
        (
            "Quit the VPN client and sign in again with the new password so it stops using the old one.",
            31,
            22,
            655,
            "end_turn",
        ),
    ),
    (
        ("Open a hardware request in the service portal and choose Monitor.", 18, 14, 388, "end_turn"),
        ("", 25, 0, 201, "content_filtered"),
    ),
)


def stubbed_result() -> cmp.CompareResult:
    client = boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    stubber = Stubber(client)
    for row in ANSWERS:
        for text, tokens_in, tokens_out, latency, stop in row:
            response: dict[str, Any] = {
                "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                "stopReason": stop,
                "usage": {"inputTokens": tokens_in, "outputTokens": tokens_out, "totalTokens": tokens_in + tokens_out},
                "metrics": {"latencyMs": latency},
            }
            stubber.add_response("converse", response)
    # client-side latency from a fixed clock (start, end of each call), so the output is reproducible
    ticks = iter((0.0, 0.482, 1.0, 1.731, 2.0, 2.447, 3.0, 3.263))
    prompts = cmp.read_prompts(ROOT / "examples" / "evaluation" / "prompts.jsonl")[:2]
    with stubber:
        return cmp.compare(
            client,
            [parse_model_identifier(m) for m in MODELS],
            prompts,
            load_pricing_table(),
            clock=lambda: next(ticks),
        )


def _readme_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Compare models", 1)[1]
    return section.split("```text\n", 1)[1].split("```", 1)[0].rstrip("\n")


def test_readme_shows_what_the_tool_prints() -> None:
    assert _readme_block() == compare_report.format_text(stubbed_result())


def test_json_of_the_same_run_is_serialisable() -> None:
    assert json.loads(json.dumps(stubbed_result().to_dict()))["total"]["cost_partial"] is False
