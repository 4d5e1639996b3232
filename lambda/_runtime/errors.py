"""What a botocore ``ClientError`` says."""

from __future__ import annotations

from botocore.exceptions import ClientError


def error_code(exc: ClientError) -> str:
    """The service's error code (``ThrottlingException``, ``ResourceNotFoundException``, ...), or ``""``."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    """The service's error message, or the exception's text when the response carries none."""
    return str(exc.response.get("Error", {}).get("Message", str(exc)))
