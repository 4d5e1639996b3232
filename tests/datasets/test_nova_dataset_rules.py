"""Nova datasets (Nova user guide, fine-tune-prepare-data-understanding): one media modality per dataset, at most
one video per record, media in the dataset's bucket, reserved keywords in user and system prompts (defect 9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bedrock_ops.data.validation import DatasetSplit, ValidationReport, validate_stream
from bedrock_ops.models import CustomizationType, ModelKnowledgeBase

from .conftest import NOVA, converse, jsonl, only_error

Check = Callable[..., ValidationReport]
NOVA_RESERVED = ["User:", "Bot:", "Assistant:", "System:", "<image>", "<video>", "[EOS]"]


def _medium(kind: str, uri: str) -> dict[str, Any]:
    return {kind: {"format": "png" if kind == "image" else "mp4", "source": {"s3Location": {"uri": uri}}}}


def _with_media(*media: tuple[str, str]) -> dict[str, Any]:
    record = converse(1)
    record["messages"][0]["content"] += [_medium(kind, uri) for kind, uri in media]
    return record


def test_nova_record_may_hold_several_images(check: Check) -> None:
    record = _with_media(("image", "s3://data/media/a.png"), ("image", "s3://data/media/b.png"))

    assert check([record], model=NOVA).valid


def test_nova_record_with_two_videos_fails(check: Check) -> None:
    record = _with_media(("video", "s3://data/media/a.mp4"), ("video", "s3://data/media/b.mp4"))

    error = only_error(check([record], model=NOVA))
    assert (error.line, error.field) == (1, "messages[0].content[2].video")
    assert error.message == "amazon.nova-micro-v1:0 takes at most 1 video per record"


def test_nova_dataset_mixing_images_and_videos_fails(check: Check) -> None:
    images = _with_media(("image", "s3://data/media/a.png"))
    video = _with_media(("video", "s3://data/media/a.mp4"))

    error = only_error(check([images, converse(1), video], model=NOVA))
    assert error.line == 3
    assert error.message == "amazon.nova-micro-v1:0 takes images or videos in a dataset, not both (first medium: image)"


def test_nova_media_outside_the_dataset_bucket_fail(models: ModelKnowledgeBase) -> None:
    record = _with_media(("image", "s3://other-bucket/media/a.png"))

    report = validate_stream(
        [jsonl([record]).encode()],
        spec=models.resolve(NOVA),
        split=DatasetSplit.VALIDATION,
        source="s3://data/training/train.jsonl",
    )
    error = only_error(report)
    assert error.field == "messages[0].content[1].image"
    assert error.message == (
        "amazon.nova-micro-v1:0 takes media from the dataset's bucket 'data' only, got 'other-bucket'"
    )


def test_nova_media_in_any_prefix_of_the_dataset_bucket_pass(models: ModelKnowledgeBase) -> None:
    record = _with_media(("image", "s3://data/anywhere/else/a.png"))

    report = validate_stream(
        [jsonl([record]).encode()],
        spec=models.resolve(NOVA),
        split=DatasetSplit.VALIDATION,
        source="s3://data/training/train.jsonl",
    )
    assert report.valid, report.format_text()


def test_nova_local_dataset_with_media_in_two_buckets_fails(check: Check) -> None:
    first = _with_media(("image", "s3://data/media/a.png"))
    second = _with_media(("image", "s3://elsewhere/media/b.png"))

    error = only_error(check([first, second], model=NOVA))
    assert error.line == 2
    assert "takes media from the dataset's bucket 'data' only, got 'elsewhere'" in error.message


@pytest.mark.parametrize("keyword", NOVA_RESERVED)
def test_nova_reserved_keyword_in_a_user_prompt_fails(check: Check, keyword: str) -> None:
    record = converse(1)
    record["messages"][0]["content"][0]["text"] = f"Please answer. {keyword} what now?"

    error = only_error(check([record], model=NOVA))
    assert error.field == "messages[0].content[0].text"
    assert f"contains the reserved string {keyword!r}, which amazon.nova-micro-v1:0 rejects" in error.message


@pytest.mark.parametrize("keyword", ["System:", "[EOS]"])
def test_nova_reserved_keyword_in_the_system_prompt_fails(check: Check, keyword: str) -> None:
    record = converse(1)
    record["system"][0]["text"] = f"{keyword} be concise"

    assert only_error(check([record], model=NOVA)).field == "system[0].text"


def test_nova_reserved_keyword_in_an_answer_passes(check: Check) -> None:
    record = converse(1)
    record["messages"][1]["content"][0]["text"] = "The transcript reads 'User: hello'."

    assert check([record], model=NOVA).valid


def test_nova_reserved_keyword_in_a_distillation_prompt_fails(check: Check) -> None:
    record = converse(1, final_user=True)
    record["messages"][0]["content"][0]["text"] = "<video> describe it"

    report = check([record], model=NOVA, ctype=CustomizationType.DISTILLATION)
    assert "reserved string '<video>'" in only_error(report).message


def test_titan_has_no_nova_media_or_keyword_rules(models: ModelKnowledgeBase) -> None:
    titan = models.resolve("amazon.titan-text-express-v1")

    assert (titan.single_modality, titan.max_videos_per_record, titan.media_in_dataset_bucket) == (
        False,
        None,
        False,
    )
    assert not titan.reserved_strings


def test_nova_media_and_keyword_rules_cite_the_nova_data_preparation_page(models: ModelKnowledgeBase) -> None:
    document = models.document
    for model_id in ("amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0"):
        dataset = document["models"][model_id]["dataset"]
        assert "nova-fine-tune-prepare-data" in dataset["source"], model_id
        assert dataset["reserved_strings"] == NOVA_RESERVED
    source = document["sources"]["nova-fine-tune-prepare-data"]
    assert (
        source["url"] == "https://docs.aws.amazon.com/nova/latest/userguide/fine-tune-prepare-data-understanding.html"
    )
