"""Wake-ups: a runner waiting for rows of a table wakes as soon as a transaction writes them.

Runners claim rows from a table (their *channel*, named after the table). Without wake-ups
they poll every `[delivery] poll_interval`, so each hand-off between stages costs up to a
poll interval. With them:

    waiter = rt.wakeups.waiter("outbound_jobs")    # once per runner loop
    while not stop.is_set():
        work()
        await waiter.wait(poll_interval, stop)      # returns at once when a commit wrote
                                                    # outbound_jobs (or when `stop` is set)

In this process: the session's `after_flush` and `do_orm_execute` events collect the tables a
transaction inserts into, updates or deletes from; `after_commit` wakes their waiters
(thread-safe, through `call_soon_threadsafe`, since commits happen in worker threads). A
rolled-back transaction wakes nobody.

Across processes (PostgreSQL only): `pg_notify('<schema>:<channel>', '')` runs in the same
transaction, just before the commit, so a notification is delivered only if the rows are; one
LISTEN thread per process turns notifications into the same local wake-ups.

A wake-up is a hint, never the only signal: runners still poll at their interval, so a
lost notification (a LISTEN connection that dropped, SQLite across processes) costs latency,
never work. Wakes carry no payload (ids and content stay in the rows).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

if TYPE_CHECKING:
    from sealgate.store.session import Database

log = logging.getLogger("sealgate.store.wakeup")

# The tables runners claim from: the only channels for which PostgreSQL sends notifications
# (a commit that touches other tables costs no extra round trip).
QUEUE_TABLES = frozenset({"submissions", "recipients", "probe_requests", "outbound_jobs"})

_WRITTEN = "sealgate.wakeup.written"
# How long the LISTEN thread blocks before it looks for new channels or a close.
_LISTEN_SLICE = 0.5


class Waiter:
    """One runner's wait for one channel; create it once, then `wait` between passes."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._pending = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def wake(self) -> None:
        """Called from any thread: the next (or the current) `wait` returns at once."""
        if self._pending:
            return  # a wake-up is on its way already: spare the loop another self-pipe write
        self._pending = True
        loop, woken = self._loop, self._event
        if loop is not None and woken is not None:
            # A loop that has closed has nobody left to wake.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(woken.set)

    async def wait(self, timeout: float, stop: asyncio.Event) -> bool:
        """Sleep until a commit wrote this channel's table, `stop` is set or `timeout` passed.

        True when woken by a commit. A commit that happened since the previous `wait`
        returned counts: no wake-up is lost between passes.
        """
        if self._event is None:
            self._loop, self._event = asyncio.get_running_loop(), asyncio.Event()
        woken = self._event
        if not self._pending and not stop.is_set():
            tasks = {asyncio.ensure_future(woken.wait()), asyncio.ensure_future(stop.wait())}
            _, pending = await asyncio.wait(tasks, timeout=timeout, return_when="FIRST_COMPLETED")
            for task in pending:
                task.cancel()
        was_woken = self._pending
        self._pending = False
        woken.clear()
        return was_woken


class Wakeups:
    """The wake-up channels of one Database (built by the Runtime; see the module docstring)."""

    def __init__(self, db: Database, channels: Iterable[str] = QUEUE_TABLES) -> None:
        self._db = db
        self._channels = frozenset(channels)
        self._waiters: dict[str, list[Waiter]] = {}
        self._lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._closed = threading.Event()
        self._postgres = not db.is_sqlite
        event.listen(db.sessions, "after_flush", self._after_flush)
        event.listen(db.sessions, "do_orm_execute", self._on_execute)
        event.listen(db.sessions, "before_commit", self._before_commit)
        event.listen(db.sessions, "after_commit", self._after_commit)
        event.listen(db.sessions, "after_rollback", self._forget)

    def waiter(self, channel: str) -> Waiter:
        """A new Waiter for `channel` (a table runners claim from, e.g. "outbound_jobs")."""
        if channel not in self._channels:
            raise ValueError(f"no wake-ups for {channel!r}; channels: {sorted(self._channels)}")
        waiter = Waiter(channel)
        with self._lock:
            self._waiters.setdefault(channel, []).append(waiter)
            if self._postgres and self._listener is None:
                self._listener = threading.Thread(
                    target=self._listen, name="sealgate-listen", daemon=True
                )
                self._listener.start()
        return waiter

    def wake(self, channels: Iterable[str]) -> None:
        """Wake this process's waiters on `channels` (what a commit or a notification does)."""
        with self._lock:
            waiters = [w for channel in channels for w in self._waiters.get(channel, ())]
        for waiter in waiters:
            waiter.wake()

    def close(self) -> None:
        """Stop the LISTEN thread (within about half a second)."""
        self._closed.set()
        if self._listener is not None:
            self._listener.join(timeout=5)

    # Session events: collect the written tables, notify before and wake after the commit.

    def _written(self, session: Session) -> set[str]:
        written: set[str] = session.info.setdefault(_WRITTEN, set())
        return written

    def _after_flush(self, session: Session, _context: UOWTransaction) -> None:
        # Still the pre-flush lists here: what this flush inserted, changed or deleted.
        tables = {
            table
            for obj in (*session.new, *session.dirty, *session.deleted)
            if (table := getattr(getattr(obj, "__table__", None), "name", None)) in self._channels
        }
        if tables:
            self._written(session).update(tables)

    def _on_execute(self, state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            table = getattr(getattr(state.statement, "table", None), "name", None)
            if table in self._channels:
                self._written(state.session).add(table)

    def _before_commit(self, session: Session) -> None:
        if not self._postgres:
            return
        # The final flush happens after this event: flush now so that its tables count too.
        session.flush()
        channels = sorted(session.info.get(_WRITTEN, ()))
        if channels:
            session.execute(
                text(
                    "SELECT pg_notify(current_schema() || ':' || channel, '')"
                    " FROM unnest(CAST(:c AS text[])) AS channel"
                ),
                {"c": channels},
            )

    def _after_commit(self, session: Session) -> None:
        channels = session.info.pop(_WRITTEN, None)
        if channels:
            self.wake(channels)

    def _forget(self, session: Session) -> None:
        session.info.pop(_WRITTEN, None)

    # The LISTEN thread (PostgreSQL).

    def _listen(self) -> None:
        """Turn notifications into wake-ups until closed; reconnect after a failure."""
        while not self._closed.is_set():
            try:
                self._listen_once()
            except Exception as exc:  # the database went away: poll until it is back
                log.warning("wake-ups: LISTEN connection failed (%s)", type(exc).__name__)
                self._closed.wait(1.0)
            # Anything may have been written while no one listened.
            self.wake(self._channels)

    def _listen_once(self) -> None:
        from psycopg import sql

        raw = self._db.engine.raw_connection()
        try:
            connection: Any = raw.driver_connection
            # This connection only listens: take it out of the pool for good.
            raw.detach()
            connection.autocommit = True
            # Channels are database-wide; the schema in their names keeps two installations
            # that share a database (each in its own schema) from waking each other.
            prefix = connection.execute("SELECT current_schema()").fetchone()[0] + ":"
            listening: set[str] = set()
            while not self._closed.is_set():
                with self._lock:
                    wanted = set(self._waiters) - listening
                for channel in sorted(wanted):
                    listen = sql.SQL("LISTEN {}").format(sql.Identifier(prefix + channel))
                    connection.execute(listen)
                    listening.add(channel)
                # Listening only now: a commit just before LISTEN must not be missed.
                if wanted:
                    self.wake(wanted)
                for note in connection.notifies(timeout=_LISTEN_SLICE):
                    self.wake((note.channel.removeprefix(prefix),))
        finally:
            raw.close()
