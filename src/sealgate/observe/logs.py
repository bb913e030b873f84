"""Logging with a level and a format: text for a terminal, JSON (one object a line) for a
collector.

Each event is one line. A JSON line has `time`, `level`, `logger`, `event` and the ids the
event concerns (`submission_id`, `message_id`, `recipient_id`, `job_id`, passed as
`extra=log_ids(...)`), plus `pid` when several processes share one log. Nothing here adds
content: callers log ids, codes and names, never subjects, bodies, codes or passwords.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from sealgate.config import LogSettings

IDS = ("submission_id", "message_id", "recipient_id", "job_id")
# aiosmtpd's own logger echoes session data at DEBUG/INFO; httpx logs each URL it asks
# (the SMS API's): never below WARNING.
QUIET = {"mail.log": logging.WARNING, "httpx": logging.WARNING, "httpcore": logging.WARNING}


def log_ids(**ids: str | None) -> dict[str, str]:
    """`extra=` for a log call: the ids that are set, by their field names (IDS)."""
    unknown = set(ids) - set(IDS)
    if unknown:
        raise ValueError(f"not a log id: {', '.join(sorted(unknown))}")
    return {name: value for name, value in ids.items() if value}


class JsonFormatter(logging.Formatter):
    """One JSON object per event, on one line (newlines in the text are escaped)."""

    def __init__(self, *, with_pid: bool = False) -> None:
        super().__init__()
        self.with_pid = with_pid

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        if self.with_pid:
            event["pid"] = record.process
        for name in IDS:
            value = getattr(record, name, None)
            if value:
                event[name] = value
        for name in ("method", "route", "status", "duration_ms"):
            if hasattr(record, name):
                event[name] = getattr(record, name)
        if record.exc_info:
            event["exc"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time level logger message key=value…`: the ids after the message, on one line."""

    def __init__(self, *, with_pid: bool = False) -> None:
        name = "%(name)s[%(process)d]" if with_pid else "%(name)s"
        super().__init__(f"%(asctime)s %(levelname)s {name} %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = " ".join(f"{n}={getattr(record, n)}" for n in IDS if getattr(record, n, None))
        text = f"{text} {ids}" if ids else text
        return text.replace("\n", "\\n")


def configure_logging(settings: LogSettings | None = None, *, with_pid: bool = False) -> None:
    """Send every sealgate event to stderr at [log] level, in [log] format (replaces any
    handler set before: `serve` calls this again once it has read the configuration)."""
    settings = settings or LogSettings()
    handler = logging.StreamHandler(sys.stderr)
    formatter: logging.Formatter = (
        JsonFormatter(with_pid=with_pid)
        if settings.format == "json"
        else TextFormatter(with_pid=with_pid)
    )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.level.upper())
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(level)
