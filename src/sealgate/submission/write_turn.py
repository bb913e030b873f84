"""Turns at writing a SQLite database, for the group committers of several processes.

SQLite serialises writers from different processes by itself, but a writer that finds the
database locked sleeps and polls (busy_timeout: 1, 2, 5, 10 … ms between tries), so two
listener processes committing side by side wait far longer than the other's commit takes.
An flock on a file next to the database queues them instead: the kernel wakes the next
committer the moment the lock is released. Writers that do not take it (AUTH counters, the
other stages) still meet SQLite's own lock as before: the turn is a fast path, never what
makes a write safe. PostgreSQL (row locks, no database lock) needs none of this.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import make_url


def lock_path(database_url: str) -> str | None:
    """The lock file of a SQLite database file, or None (PostgreSQL, in-memory)."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite"):
        return None
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return f"{path}-writer.lock"


class WriteTurn:
    """An exclusive turn at writing, shared by the threads and processes that take it."""

    def __init__(self, database_url: str) -> None:
        self.path = lock_path(database_url)
        self._threads = threading.Lock()
        self._fd: int | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the turn for the block (at once when there is no file to lock)."""
        if self.path is None:
            yield
            return
        with self._threads:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._threads:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
