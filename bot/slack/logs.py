"""Log lines: plain text by default, one JSON object per line with WALKAWAY_LOG_FORMAT=json.

A JSON line always has `time`, `level`, `logger` and `message`, and, when known, `ref` (the
reference id a person was given for a failure, bot/slack/errors.py), `team`, `kind` (the
request's or job's kind), `duration_ms`, `status`, and `traceback`. `team` and `kind` come from
the request or job being handled (`log_context`, set by the HTTP edge and the worker), so every
line written while handling it carries them without each caller passing them along.

`configure_logging` is the one place the format is chosen, at the start of `serve`, `worker`
and each worker process.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
FIELDS = ("ref", "team", "kind", "duration_ms", "status", "job")
"""Extra fields a JSON line carries when a caller (`extra=`) or the context set them."""

_CONTEXT: ContextVar[Mapping[str, Any] | None] = ContextVar("walkaway_log_context", default=None)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add `fields` (team, kind, …) to every line logged in this thread until the block ends."""
    token = _CONTEXT.set(
        {**(_CONTEXT.get() or {}), **{k: v for k, v in fields.items() if v is not None}}
    )
    try:
        yield
    finally:
        _CONTEXT.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (a traceback is a field, its newlines escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_CONTEXT.get() or {})
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["traceback"] = record.exc_text
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(log_format: str = "text", *, level: int = logging.INFO) -> None:
    """Send the app's logs to standard error, as text or JSON lines (WALKAWAY_LOG_FORMAT).

    Like logging.basicConfig, it leaves a root logger that already has handlers alone (a host
    that configured logging itself, or pytest capturing it).
    """
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])


def team_of(body: Mapping[str, Any]) -> str | None:
    """The workspace a Slack body belongs to, in any of the shapes Slack sends."""
    team = body.get("team")
    if isinstance(team, dict) and isinstance(team.get("id"), str):
        return str(team["id"])
    for field in ("team_id", "team"):
        value = body.get(field)
        if isinstance(value, str) and value:
            return value
    event = body.get("event")
    if isinstance(event, dict) and isinstance(event.get("team"), str):
        return str(event["team"])
    return None
