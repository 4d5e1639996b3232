"""The record-rule options of the validator core's entry points (typing only: not staged into the Lambda)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from bedrock_ops.models.facts import BatchLimits

__all__ = ["RecordOptions"]


class RecordOptions(TypedDict, total=False):
    """Options of ``validate_stream`` / ``validate_file`` that apply to one dataset format each.

    ``require_reference`` (default False) and ``max_prompts`` (default 1000): evaluation prompts;
    ``required_fields`` (default none) and ``max_prompt_tokens`` (default: not checked): RFT prompts;
    ``body_format`` (default: any non-empty ``modelInput``) and ``batch_limits`` (default: none checked): batch input.
    """

    require_reference: bool
    max_prompts: int
    required_fields: Sequence[str]
    max_prompt_tokens: int | None
    body_format: str | None
    batch_limits: BatchLimits | None
