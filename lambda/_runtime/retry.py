"""Retry with exponential backoff and jitter on throttling and transient service errors.

The loop is the handler's own, not botocore's retry handler: botocore's Stubber answers before that handler
runs, so only a loop of our own can be exercised by the tests (which replace ``sleep``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from _runtime.clients import Clients
from _runtime.errors import error_code
from _runtime.logs import log

#: The error code of an absent resource in most AWS APIs.
NOT_FOUND = frozenset({"ResourceNotFoundException"})
#: Error codes that mean "try again later".
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceUnavailableException",
        "InternalServerException",
    }
)

T = TypeVar("T")


@dataclass
class Retry:
    """At most ``max_attempts`` calls; before attempt ``n + 1`` it waits
    ``min(max_delay, base_delay * 2 ** (n - 1))`` seconds, times a factor drawn from [0.5, 1) with ``jitter``.

    ``sleep`` and ``rand`` are seams for tests.
    """

    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 20.0
    jitter: bool = True
    codes: frozenset[str] = RETRYABLE_CODES
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return backoff * (0.5 + self.rand() / 2) if self.jitter else backoff

    def call(self, fn: Callable[..., T], /, *args: Any, retry_codes: frozenset[str] | None = None, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)``, retried on a ``ClientError`` whose code is in ``retry_codes`` (default:
        ``codes``); any other error, or the last attempt's, is raised."""
        codes = self.codes if retry_codes is None else retry_codes
        for attempt in range(1, self.max_attempts + 1):
            try:
                return fn(*args, **kwargs)
            except ClientError as exc:
                code = error_code(exc)
                if code not in codes or attempt == self.max_attempts:
                    raise
                delay = self.delay(attempt)
                operation = getattr(fn, "__name__", "")
                log.warning("retrying", operation=operation, code=code, attempt=attempt, delay=delay)
                self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


class RetryingClients(Clients):
    """:class:`Clients` whose :meth:`call` retries as ``retry`` says (default: ``Retry()``)."""

    def __init__(self, *, retry: Retry | None = None) -> None:
        super().__init__()
        self.retry = retry or Retry()

    def call(self, service: str, operation: str, /, *, retry_codes: frozenset[str] | None = None, **params: Any) -> Any:
        """``operation`` of ``service`` with ``params``."""
        return self.retry.call(getattr(self.get(service), operation), retry_codes=retry_codes, **params)

    def items(
        self,
        service: str,
        operation: str,
        key: str,
        /,
        *,
        token: str = "nextToken",
        next_token: str = "nextToken",
        **params: Any,
    ) -> Iterator[Any]:
        """Every item under ``key`` of every page of ``operation``: the next page is asked for with ``token`` set
        to the page's ``next_token`` (Bedrock: ``nextToken`` both; S3 ListObjectsV2: ``ContinuationToken`` /
        ``NextContinuationToken``) until a page has none."""
        while True:
            page = self.call(service, operation, **params)
            yield from page.get(key) or ()
            marker = page.get(next_token)
            if not marker:
                return
            params = {**params, token: marker}

    def find(self, service: str, operation: str, /, *, missing: frozenset[str] = NOT_FOUND, **params: Any) -> Any:
        """Like :meth:`call`, but ``None`` when the service answers with an error code in ``missing``."""
        try:
            return self.call(service, operation, **params)
        except ClientError as exc:
            if error_code(exc) in missing:
                return None
            raise
