"""A botocore Stubber in place of a handler's Bedrock client."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import ModuleType

import boto3
import pytest
from botocore.stub import Stubber


@contextlib.contextmanager
def stubbed(
    module: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    sleeps: list[float] | None = None,
    *,
    region: str = "us-east-1",
    key: str = "bedrock",
) -> Iterator[Stubber]:
    """A botocore Stubber on the handler ``module``'s Bedrock client (``key``: ``bedrock`` or
    ``bedrock@<region>``): every request and answer is validated against the service model, the retries' sleeps
    go to ``sleeps`` (or nowhere), and every queued answer must have been used when the test ends."""
    client = boto3.client("bedrock", region_name=region)
    module.clients.override(key, client)
    monkeypatch.setattr(module.clients.retry, "sleep", sleeps.append if sleeps is not None else lambda _s: None)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()
    module.clients.clear()
