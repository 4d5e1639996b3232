"""One place where the gates put stand-ins behind a handler's clients (the handler runtime's test seam)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any


@contextmanager
def install(handler: ModuleType, **clients: Any) -> Iterator[None]:
    """Serve ``handler``'s boto3 clients (by service name, e.g. ``bedrock=fake``) from the given objects, with
    retries' sleeps off, for the duration of the block."""
    runtime = handler.clients
    saved_sleep = runtime.retry.sleep
    runtime.retry.sleep = lambda _seconds: None
    for service, client in clients.items():
        runtime.override(service, client)
    try:
        yield
    finally:
        runtime.clear()
        runtime.retry.sleep = saved_sleep
