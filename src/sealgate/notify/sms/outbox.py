"""The outbox SMS provider: append each SMS as a JSON line to <data_dir>/sms-outbox.jsonl.

The default provider. Nothing leaves the machine: the demo shows the file to whoever plays
the recipient, and tests read codes back from it. The file holds live codes, so it is created
readable by its owner only.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from sealgate.notify.sms.provider import SmsError

OUTBOX_NAME = "sms-outbox.jsonl"


class OutboxSmsProvider:
    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / OUTBOX_NAME
        # One write per line keeps lines whole across processes (O_APPEND); the lock keeps
        # this process's threads from interleaving partial writes.
        self._lock = threading.Lock()

    def send(self, to_e164: str, text: str) -> None:
        line = {"to": to_e164, "text": text, "at": datetime.now(UTC).isoformat()}
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        try:
            with self._lock:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, data)
                finally:
                    os.close(fd)
        except OSError as error:
            raise SmsError(f"outbox: cannot write {self.path.name}: {error.strerror}") from None


def read_outbox(data_dir: str | Path) -> list[dict[str, str]]:
    """Every SMS in the outbox, oldest first (for the demo and for tests)."""
    path = Path(data_dir) / OUTBOX_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
