"""Lazy boto3 clients, one per service, created on first use (so that moto's ``mock_aws`` sees them)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config


class Clients:
    """The handler's boto3 clients; ``max_attempts`` hands retries to botocore's standard retry mode
    (default: botocore's default configuration). Tests replace a client with :meth:`override`."""

    def __init__(self, *, max_attempts: int | None = None) -> None:
        self._config = Config(retries={"mode": "standard", "max_attempts": max_attempts}) if max_attempts else None
        self._clients: dict[str, Any] = {}

    def get(self, service: str) -> Any:
        """The client of ``service`` (``"bedrock"``, ``"s3"``, ...), created on first use; ``"bedrock@us-west-2"``
        is the service's client in another Region (e.g. for APIs that run in a destination Region)."""
        if service not in self._clients:
            name, _, region = service.partition("@")
            self._clients[service] = boto3.client(name, region_name=region or None, config=self._config)
        return self._clients[service]

    def override(self, service: str, client: Any) -> None:
        """Use ``client`` for ``service`` (tests: a client with a Stubber, or one made inside ``mock_aws``)."""
        self._clients[service] = client

    def clear(self) -> None:
        """Forget every client (the next :meth:`get` creates a new one)."""
        self._clients.clear()
