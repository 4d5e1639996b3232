"""Handler tests never reach AWS (load handlers with ``tests.support.load_handler``)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach AWS: fake credentials and a fixed Region for boto3, moto and Stubber."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"


@pytest.fixture
def sleeps() -> list[float]:
    """The sleeps a handler's retries asked for (``stubbed`` records them instead of sleeping)."""
    return []
