"""``bedrock-ops compare``: Converse calls through botocore's Stubber (it validates every request against the
bedrock-runtime service model), throttling, refusals, errors, the text/JSON/HTML outputs and the exit codes."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bedrock_ops._cli import compare as cli_compare
from bedrock_ops.cli import main
from bedrock_ops.cost.pricing import load_pricing_table
from bedrock_ops.evaluation import compare as cmp
from bedrock_ops.evaluation import compare_report
from bedrock_ops.evaluation._model_ids import TargetKind, UnknownModelIdentifier, parse_model_identifier

ROOT = Path(__file__).resolve().parents[2]
NOVA = "amazon.nova-micro-v1:0"
HAIKU = "us.anthropic.claude-3-haiku-20240307-v1:0"
PT_ARN = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefghijkl"


def reply(text: str, tokens_in: int, tokens_out: int, latency: int, stop: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {"inputTokens": tokens_in, "outputTokens": tokens_out, "totalTokens": tokens_in + tokens_out},
        "metrics": {"latencyMs": latency},
    }


def expected(model: str, prompt: str, max_tokens: int = 512) -> dict[str, Any]:
    return {
        "modelId": model,
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": {"maxTokens": max_tokens},
    }


@pytest.fixture
def runtime() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def cli_client(runtime: tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch) -> Stubber:
    client, stubber = runtime
    monkeypatch.setattr(cli_compare, "make_client", lambda service, region: client)
    monkeypatch.setattr(cmp.RetryPolicy, "delay", lambda self, attempt, rng: 0.0)
    return stubber


@pytest.fixture
def prompts_file(tmp_path: Path) -> Path:
    path = tmp_path / "prompts.jsonl"
    path.write_text(
        json.dumps({"prompt": "How do I reset my VPN password?", "referenceResponse": "Use the self-service portal."})
        + "\n"
        + json.dumps({"prompt": "Who approves a second monitor?", "referenceResponse": "Your manager approves it."})
        + "\n",
        encoding="utf-8",
    )
    return path


def _targets(*models: str) -> list[Any]:
    return [parse_model_identifier(m) for m in models]


# ---------------------------------------------------------------------------------------------- model identifiers


def test_identifiers_resolve_to_their_kind_and_base_model() -> None:
    assert parse_model_identifier(NOVA).kind is TargetKind.FOUNDATION_MODEL
    profile = parse_model_identifier(HAIKU)
    assert (profile.kind, profile.base_model_id) == (TargetKind.INFERENCE_PROFILE, HAIKU.removeprefix("us."))
    pt = parse_model_identifier(PT_ARN)
    assert (pt.kind, pt.base_model_id, pt.batch_supported) == (TargetKind.PROVISIONED_MODEL, None, False)
    deployment = parse_model_identifier("arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abcdefghijkl")
    assert deployment.kind is TargetKind.CUSTOM_MODEL_DEPLOYMENT


def test_unknown_model_gets_did_you_mean() -> None:
    with pytest.raises(UnknownModelIdentifier, match=r"--models 'amazon.nova-micro-v2:0'.*did you mean"):
        parse_model_identifier("amazon.nova-micro-v2:0")


# ---------------------------------------------------------------------------------------------- prompts file


def test_plain_text_prompts_one_per_line(tmp_path: Path) -> None:
    path = tmp_path / "prompts.txt"
    path.write_text("first prompt\n\nsecond prompt\r\n", encoding="utf-8")
    assert [(p.line, p.prompt) for p in cmp.read_prompts(path)] == [(1, "first prompt"), (3, "second prompt")]


def test_jsonl_bad_lines_are_reported_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_text('{"prompt": "ok"}\n{"prompt": ""}\nnot json\n{"referenceResponse": "x"}\n', encoding="utf-8")
    with pytest.raises(cmp.CompareError) as error:
        cmp.read_prompts(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    for line in (2, 3, 4):
        assert f"line {line}" in message
    assert "line 1" not in message


def test_invalid_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "prompts.txt"
    path.write_bytes(b"fine\nbad \xff byte\n")
    with pytest.raises(cmp.CompareError, match=r"line 2: not valid UTF-8"):
        cmp.read_prompts(path)


# ---------------------------------------------------------------------------------------------- Converse calls


def test_throttling_is_retried_then_succeeds(runtime: tuple[Any, Stubber]) -> None:
    client, stubber = runtime
    stubber.add_client_error(
        "converse", "ThrottlingException", "Rate exceeded", 429, expected_params=expected(NOVA, "hi")
    )
    stubber.add_client_error(
        "converse", "ThrottlingException", "Rate exceeded", 429, expected_params=expected(NOVA, "hi")
    )
    stubber.add_response("converse", reply("hello", 3, 1, 120), expected_params=expected(NOVA, "hi"))
    sleeps: list[float] = []
    answer = cmp.ask(client, parse_model_identifier(NOVA), "hi", price=None, sleep=sleeps.append, rng=random.Random(7))
    assert (answer.status, answer.text, answer.attempts) == ("answered", "hello", 3)
    assert len(sleeps) == 2
    # full jitter within the exponential bound: attempt 1 <= 0.5 s, attempt 2 <= 1 s
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0


def test_throttling_gives_up_after_max_attempts(runtime: tuple[Any, Stubber]) -> None:
    client, stubber = runtime
    for _ in range(3):
        stubber.add_client_error("converse", "ThrottlingException", "Rate exceeded", 429)
    answer = cmp.ask(
        client,
        parse_model_identifier(NOVA),
        "hi",
        price=None,
        retry=cmp.RetryPolicy(max_attempts=3),
        sleep=lambda s: None,
    )
    assert answer.status == "error"
    assert answer.error == "ThrottlingException: Rate exceeded after 3 attempts"


def test_refusal_is_shown_as_refused_not_error(runtime: tuple[Any, Stubber]) -> None:
    client, stubber = runtime
    stubber.add_response("converse", reply("", 9, 0, 80, stop="guardrail_intervened"))
    answer = cmp.ask(client, parse_model_identifier(NOVA), "hi", price=None)
    assert (answer.status, answer.stop_reason, answer.error) == ("refused", "guardrail_intervened", None)


def test_client_error_is_recorded_without_retry(runtime: tuple[Any, Stubber]) -> None:
    client, stubber = runtime
    stubber.add_client_error("converse", "AccessDeniedException", "not authorized to invoke", 403)
    answer = cmp.ask(client, parse_model_identifier(NOVA), "hi", price=None, sleep=lambda s: pytest.fail("slept"))
    assert (answer.status, answer.attempts) == ("error", 1)
    assert answer.error == "AccessDeniedException: not authorized to invoke"


def test_cost_uses_the_pricing_table_and_unpriced_makes_total_partial(runtime: tuple[Any, Stubber]) -> None:
    client, stubber = runtime
    stubber.add_response("converse", reply("a", 1000, 2000, 50))
    stubber.add_response("converse", reply("b", 1000, 2000, 60))
    pricing = load_pricing_table()
    result = cmp.compare(client, _targets(NOVA, PT_ARN), [cmp.ComparePrompt(1, "p")], pricing)
    nova_price = pricing.price(NOVA)
    assert nova_price is not None and nova_price.input_per_1k_tokens and nova_price.output_per_1k_tokens
    assert result.summaries[0].cost == pytest.approx(
        nova_price.input_per_1k_tokens + 2 * nova_price.output_per_1k_tokens
    )
    assert result.summaries[1].cost is None
    assert "model unit-hour" in (result.summaries[1].unpriced_reason or "")
    assert result.cost_partial and result.total_cost == pytest.approx(result.summaries[0].cost)
    assert "partial: unpriced" in compare_report.format_text(result)


# ---------------------------------------------------------------------------------------------- CLI


def _stub_two_prompts(stubber: Stubber) -> None:
    stubber.add_response(
        "converse", reply("Use the self-service portal.", 12, 6, 300), expected(NOVA, "How do I reset my VPN password?")
    )
    stubber.add_client_error("converse", "ThrottlingException", "slow down", 429)
    stubber.add_response(
        "converse",
        reply("Go to the self-service portal.", 14, 7, 500),
        expected(HAIKU, "How do I reset my VPN password?"),
    )
    stubber.add_response(
        "converse", reply("Your manager approves it.", 10, 5, 280), expected(NOVA, "Who approves a second monitor?")
    )
    stubber.add_response(
        "converse", reply("", 11, 0, 90, stop="content_filtered"), expected(HAIKU, "Who approves a second monitor?")
    )


def test_cli_json_output_shape(cli_client: Stubber, prompts_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _stub_two_prompts(cli_client)
    assert main(["compare", "--models", f"{NOVA},{HAIKU}", "--prompts", str(prompts_file), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"models", "prompts", "total", "pricing", "scores"}
    assert [m["model"] for m in data["models"]] == [NOVA, HAIKU]
    nova, haiku = data["models"]
    assert (nova["answered"], nova["refused"], nova["errors"], nova["input_tokens"]) == (2, 0, 0, 22)
    assert (haiku["answered"], haiku["refused"], haiku["mean_service_latency_ms"]) == (1, 1, 295.0)
    assert nova["priced"] and set(nova["scores"]) == {"rougeL", "bleu"}
    first = data["prompts"][0]
    assert first["reference"] == "Use the self-service portal."
    assert first["answers"][HAIKU]["attempts"] == 2
    assert data["prompts"][1]["answers"][HAIKU]["status"] == "refused"
    assert data["total"]["cost_partial"] is False and data["total"]["currency"] == "USD"
    # the oldest date of the prices used: Haiku's on-demand rates (2025-03-01) are older than Nova's (2026-09-01)
    assert data["pricing"]["as_of"] == "2025-03-01" != load_pricing_table().as_of.isoformat()


def test_cli_text_output_shows_refusal_and_summary(
    cli_client: Stubber, prompts_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stub_two_prompts(cli_client)
    assert main(["compare", "--models", f"{NOVA},{HAIKU}", "--prompts", str(prompts_file)]) == 0
    out = capsys.readouterr().out
    assert "REFUSED (content_filtered)" in out
    assert "Summary" in out and "total cost:" in out and "partial" not in out


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_report_is_self_contained_and_complete(
    cli_client: Stubber, prompts_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stub_two_prompts(cli_client)
    report = tmp_path / "report.html"
    assert main(["compare", "--models", f"{NOVA},{HAIKU}", "--prompts", str(prompts_file), "--html", str(report)]) == 0
    assert f"HTML report: {report}" in capsys.readouterr().out
    page = _Page()
    source = report.read_text(encoding="utf-8")
    page.feed(source)
    text = " ".join(page.text)
    for needle in (
        "How do I reset my VPN password?",
        "Who approves a second monitor?",
        NOVA,
        HAIKU,
        "Use the self-service portal.",
        "refused (content_filtered)",
        "300 ms",
        "12 in / 6 out tokens",
        "ROUGE-L",
        "BLEU",
    ):
        assert needle in text, needle
    tags = {tag for tag, _ in page.tags}
    assert {"svg", "rect", "table", "style"} <= tags
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    for _, attrs in page.tags:
        for name, value in attrs.items():
            assert name not in {"src", "href", "srcset"} and not name.startswith("on"), (name, value)
    assert "url(" not in source and "@import" not in source and "http" not in source


def test_cli_unknown_model_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--models", f"{NOVA},amazon.nova-mikro-v1:0", "--prompt", "hi"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("bedrock-ops compare: error: --models 'amazon.nova-mikro-v1:0'")
    assert "did you mean 'amazon.nova-micro-v1:0'" in err


def test_cli_model_bedrock_rejects_is_exit_2(cli_client: Stubber, capsys: pytest.CaptureFixture[str]) -> None:
    cli_client.add_client_error("converse", "ValidationException", "The provided model identifier is invalid.", 400)
    assert main(["compare", "--models", f"{NOVA},{HAIKU}", "--prompt", "hi"]) == 2
    assert "Bedrock rejects the model: ValidationException" in capsys.readouterr().err


def test_cli_failed_calls_exit_1(cli_client: Stubber, capsys: pytest.CaptureFixture[str]) -> None:
    cli_client.add_response("converse", reply("ok", 1, 1, 10))
    cli_client.add_client_error("converse", "AccessDeniedException", "denied", 403)
    assert main(["compare", "--models", f"{NOVA},{HAIKU}", "--prompt", "hi"]) == 1
    assert "ERROR (AccessDeniedException: denied)" in capsys.readouterr().out


def test_cli_bad_prompt_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "ok"}\n{"prompt": 3}\n', encoding="utf-8")
    assert main(["compare", "--models", f"{NOVA},{HAIKU}", "--prompts", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: 1 bad line(s): line 2" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--models", NOVA, "--prompt", "hi"], "--models needs 2-5 comma-separated models, got 1"),
        (["--models", f"{NOVA},{NOVA}", "--prompt", "hi"], "lists 'amazon.nova-micro-v1:0' twice"),
        (["--models", f"{NOVA},{HAIKU}", "--prompt", "hi", "--temperature", "3"], "--temperature must be 0-1, got 3.0"),
        (["--models", f"{NOVA},{HAIKU}", "--prompt", "hi", "--dry-run"], "--dry-run applies to --batch"),
        (["--models", f"{NOVA},{HAIKU}", "--prompt", "hi", "--batch"], "--batch needs --bucket and --role-arn"),
    ],
)
def test_cli_usage_errors_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", *args]) == 2
    assert message in capsys.readouterr().err


def test_cli_without_credentials_is_one_line_exit_2(tmp_path: Path) -> None:
    """The real client path, no Stubber: botocore raises NoCredentialsError while signing, before sending."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
        PYTHONPATH=str(ROOT / "constructs"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "bedrock_ops.cli", "compare", "--models", f"{NOVA},{HAIKU}", "--prompt", "hi"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("bedrock-ops compare: error: no AWS credentials")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_cli_without_region_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert main(["compare", "--models", f"{NOVA},{HAIKU}", "--prompt", "hi"]) == 2
    assert capsys.readouterr().err == (
        "bedrock-ops compare: error: no AWS Region: pass --region or set AWS_DEFAULT_REGION (or a profile's region)\n"
    )


# ---------------------------------------------------------------------------------------------- --batch --dry-run


def test_batch_dry_run_writes_native_inputs_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli_compare, "make_client", lambda *a: pytest.fail("a client was created in a dry run"))
    prompts = tmp_path / "p.txt"
    prompts.write_text("one\ntwo\n", encoding="utf-8")
    out = tmp_path / "batch"
    argv = ["compare", "--models", f"{NOVA},{HAIKU}", "--prompts", str(prompts), "--batch", "--dry-run"]
    assert (
        main([*argv, "--bucket", "my-bucket", "--out-dir", str(out), "--max-tokens", "64", "--min-records", "100"]) == 0
    )
    captured = capsys.readouterr()
    assert "dry run: nothing uploaded" in captured.out
    assert f"warning: {NOVA}: 2 records; a job needs at least 100 across its files" in captured.err
    nova = [json.loads(line) for line in (out / "amazon.nova-micro-v1-0" / "records.jsonl").read_text().splitlines()]
    assert nova[0] == {
        "recordId": "P0000000000",
        "modelInput": {
            "schemaVersion": "messages-v1",
            "messages": [{"role": "user", "content": [{"text": "one"}]}],
            "inferenceConfig": {"maxTokens": 64},
        },
    }
    haiku_dir = out / "us.anthropic.claude-3-haiku-20240307-v1-0"
    haiku = [json.loads(line) for line in (haiku_dir / "records.jsonl").read_text().splitlines()]
    assert haiku[1]["modelInput"]["anthropic_version"] == "bedrock-2023-05-31"
    assert haiku[1]["modelInput"]["messages"][0]["content"] == [{"type": "text", "text": "two"}]
    requests = [json.loads(line.split(" ", 1)[1]) for line in captured.out.splitlines() if line.startswith("Create")]
    assert [r["modelId"] for r in requests] == [NOVA, HAIKU]
    assert requests[0]["inputDataConfig"]["s3InputDataConfig"]["s3Uri"].startswith("s3://my-bucket/bedrock-ops/batch/")
    assert requests[0]["roleArn"] == "<role-arn>"


def test_batch_refuses_provisioned_throughput(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "compare",
        "--models",
        f"{NOVA},{PT_ARN}",
        "--prompt",
        "x",
        "--batch",
        "--dry-run",
        "--out-dir",
        str(tmp_path),
    ]
    assert main(argv) == 2
    assert "batch inference does not run on a provisioned-model" in capsys.readouterr().err


def test_batch_submits_one_job_per_model_through_stubbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    creds = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    s3, bedrock = boto3.client("s3", **creds), boto3.client("bedrock", **creds)
    clients = {"s3": s3, "bedrock": bedrock}
    monkeypatch.setattr(cli_compare, "make_client", lambda service, region: clients[service])
    role = "arn:aws:iam::123456789012:role/batch"
    with Stubber(s3) as s3_stub, Stubber(bedrock) as bedrock_stub:
        for n in range(2):
            s3_stub.add_response("put_object", {"ETag": f'"etag{n}"'})
            bedrock_stub.add_response(
                "create_model_invocation_job",
                {"jobArn": f"arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghijk{n}"},
            )
        argv = ["compare", "--models", f"{NOVA},anthropic.claude-3-haiku-20240307-v1:0", "--prompt", "hello"]
        argv += ["--batch", "--bucket", "data-bucket", "--role-arn", role, "--out-dir", str(tmp_path)]
        assert main([*argv, "--prefix", "runs/one", "--timeout-hours", "48"]) == 0
        s3_stub.assert_no_pending_responses()
        bedrock_stub.assert_no_pending_responses()
    out = capsys.readouterr().out
    assert "started arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghijk0" in out
    assert "aws bedrock get-model-invocation-job" in out
    assert "aws s3 cp --recursive s3://data-bucket/runs/one/amazon.nova-micro-v1-0/output/abcdefghijk0/" in out


def test_batch_dry_run_takes_the_record_quotas_from_the_knowledge_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = tmp_path / "p.txt"
    prompts.write_text("one\ntwo\n", encoding="utf-8")
    argv = ["compare", "--models", f"{NOVA},{HAIKU}", "--prompts", str(prompts), "--batch", "--dry-run"]
    argv += ["--bucket", "my-bucket", "--out-dir", str(tmp_path / "batch")]
    assert main(argv) == 0
    assert "warning" not in capsys.readouterr().err  # the packaged quotas are unconfirmed: none is checked
    models_file = tmp_path / "models.json"
    plain = HAIKU.removeprefix("us.")
    models_file.write_text(json.dumps({"models": {plain: {"batch_inference": {"min_records": 1000}}}}))
    assert main([*argv, "--models-file", str(models_file)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {HAIKU}: 2 records; a job needs at least 1000 across its files" in err
    assert NOVA not in err
