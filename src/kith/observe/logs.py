"""Logging: readable text by default, or one JSON object a line (``log_format = "json"``).

In JSON every record is one line with ``ts``, ``level``, ``logger`` and ``message``; a record logged
while an HTTP request is being answered carries that request's ``request_id``; the per-request
line (logger ``kith.access``) adds ``method``, ``route``, ``path``, ``status`` and ``duration_ms``.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import time
from typing import Any

import msgspec

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# the id of the HTTP request being answered in this task, if any
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("kith_request_id", default=None)

_encode = msgspec.json.Encoder().encode


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON; what a caller passes as ``extra={"fields": {...}}`` is merged in."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            entry["request_id"] = rid
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return _encode(entry).decode()


def configure(level: str, fmt: str) -> None:
    """Set up the root logger once, at the start of a command."""
    if fmt not in FORMATS:
        raise ValueError(f"log_format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
