"""Structured logs: one JSON object per log line, ``{"message": ..., <fields>}`` with sorted keys."""

from __future__ import annotations

import json
import logging
import os
from typing import Any


class Log:
    """Writes each event as one JSON line through the logger ``name`` (level: ``LOG_LEVEL``, default INFO).

    The record propagates to the root logger, whose handler the Lambda runtime installs.
    """

    def __init__(self, name: str = "bedrock_ops") -> None:
        self.logger = logging.getLogger(name)
        self.logger.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())

    def __call__(self, level: int, message: str, /, **fields: Any) -> None:
        """Log ``message`` with ``fields`` (values that are not JSON are written with ``str``)."""
        if self.logger.isEnabledFor(level):
            line = json.dumps({**fields, "message": message}, default=str, sort_keys=True)
            self.logger.log(level, line)

    def info(self, message: str, /, **fields: Any) -> None:
        self(logging.INFO, message, **fields)

    def warning(self, message: str, /, **fields: Any) -> None:
        self(logging.WARNING, message, **fields)

    def error(self, message: str, /, **fields: Any) -> None:
        self(logging.ERROR, message, **fields)


#: The handlers' logger.
log = Log()
