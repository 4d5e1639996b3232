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
    runtime = getattr(handler, "clients", None)
    if runtime is not None:
        saved_sleep = runtime.retry.sleep
        runtime.retry.sleep = lambda _seconds: None
        for service, client in clients.items():
            runtime.override(service, client)
        try:
            yield
        finally:
            runtime.clear()
            runtime.retry.sleep = saved_sleep
        return
    # The per-handler seams of the handlers not yet on the runtime: `_<service>` and `_sleep`.
    saved = {name: getattr(handler, name) for name in (*(f"_{s}" for s in clients), "_sleep")}
    for service, client in clients.items():
        setattr(handler, f"_{service}", client)
    handler._sleep = lambda _seconds: None
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(handler, name, value)
