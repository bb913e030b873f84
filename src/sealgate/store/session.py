"""The one session factory, and the schema's Alembic revision: migrated on request only.

Only `sealgate migrate` (and `init`/`demo`, which make a fresh install) upgrade the schema;
every other command checks that the database is at the newest revision and refuses to work
on an older or empty one (`SchemaOutdated`), so an upgrade is always a step the operator
takes on purpose, with a backup in hand.

SQLite has one writer at a time. Left to itself, a second writer gets SQLITE_BUSY and
sleeps and retries (busy_timeout), and a transaction that read before another one committed
cannot write at all (SQLITE_BUSY_SNAPSHOT: "database is locked", no retry). So on SQLite the
threads of a process queue for one writer lock (`WriterLock`) instead: a unit of work takes
it at its first write (a flush or an INSERT/UPDATE/DELETE), or at its start with
`begin(write=True)`, the form for read-then-write work such as claims, and holds it to
its commit or rollback. Readers that never write never wait (WAL). PostgreSQL needs none
of this: its row locks and SKIP LOCKED let writers run side by side.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def utcnow() -> datetime:
    """Naive UTC: the one clock format in the database (SQLite keeps no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_id() -> str:
    """A random 128-bit id, hex: queue ids, message ids, recipient ids."""
    return secrets.token_hex(16)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _create_private_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (0600), if it is missing.

    SQLite gives its -wal and -shm files the mode of the database file, so they are private
    too; the database holds hashes, sealed values and addresses, never for other users.
    """
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:") or os.path.exists(path):
        return
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class SchemaOutdated(ValueError):
    """The database is not at the newest schema revision: the one line says what to run."""

    def __init__(self, current: str | None, head: str) -> None:
        self.current, self.head = current, head
        where = f"at revision {current}" if current else "empty (no schema)"
        super().__init__(
            f"the database schema is {where}, this sealgate needs {head}: "
            "run 'sealgate migrate' first"
        )


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_schema(engine: Engine, revision: str) -> None:
    """Upgrade the schema to `revision` in one transaction on a connection of its own.

    The migration runs with SQLite's foreign keys off (env.py); SQLite ignores the pragma
    inside a transaction, so only once it has committed can the connection, back in the pool
    for the rest of the process, enforce them again."""
    config = _alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        with connection.begin():
            command.upgrade(config, revision)
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def head_revision() -> str:
    """The newest revision this code knows (several heads, after a bad merge, are joined)."""
    return ",".join(sorted(ScriptDirectory.from_config(_alembic_config()).get_heads()))


_HOLDS_WRITER_LOCK = "sealgate.writer_lock"
# Longer than this, and a waiter goes ahead without the lock, as before it existed (SQLite's
# busy_timeout then decides): a slow writer must never turn into a hang.
WRITER_LOCK_WAIT = 10.0
log = logging.getLogger("sealgate.store")


class WriterLock:
    """The process's one SQLite writer: sessions take it at their first write, in turn.

    Re-entrant per thread, so a unit of work that opens another in the same thread (a
    read of a cache, say) does not wait for itself.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._lock = threading.RLock()
        event.listen(sessions, "before_flush", self._before_flush)
        event.listen(sessions, "do_orm_execute", self._on_execute)
        event.listen(sessions, "after_transaction_end", self._after_transaction_end)

    def take(self, session: Session) -> None:
        """Hold the lock for the rest of `session`'s transaction (idempotent).

        The session's pooled connection is checked out first: a lock holder still waiting
        for a connection would wait on the sessions that hold the connections and wait
        for the lock (a deadlock until WRITER_LOCK_WAIT, seen with 50 parallel log-ins).
        """
        if session.info.get(_HOLDS_WRITER_LOCK):
            return
        session.connection()
        if self._lock.acquire(timeout=WRITER_LOCK_WAIT):
            session.info[_HOLDS_WRITER_LOCK] = True
        else:
            log.warning("SQLite writer lock busy for %.0f s; writing without it", WRITER_LOCK_WAIT)

    def _before_flush(self, session: Session, *_: object) -> None:
        if session.new or session.dirty or session.deleted:
            self.take(session)

    def _on_execute(self, state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            self.take(state.session)

    def _after_transaction_end(self, session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None and session.info.pop(_HOLDS_WRITER_LOCK, False):
            self._lock.release()


class Database:
    """An engine and its session factory; `begin()` is a unit of work that commits or rolls back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _create_private_file(url)
            self.engine: Engine = create_engine(url, connect_args={"timeout": 10})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.writer_lock = WriterLock(self.sessions) if self.is_sqlite else None

    @contextmanager
    def begin(self, *, write: bool = False) -> Iterator[Session]:
        """A unit of work. `write=True` says it will write after it reads (a claim, a
        read-modify-write): on SQLite it then waits for the writer lock before its first
        read, so that no other writer of this process commits in between."""
        with self.sessions.begin() as session:
            if write and self.writer_lock is not None:
                self.writer_lock.take(session)
            yield session

    def revision(self) -> str | None:
        """The schema's current Alembic revision, None for an empty database."""
        logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines say nothing
        with self.engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
        return ",".join(sorted(heads)) or None

    def check_schema(self) -> None:
        """Raise SchemaOutdated unless the schema is at the newest revision."""
        current, head = self.revision(), head_revision()
        if current != head:
            raise SchemaOutdated(current, head)

    def migrate(self) -> tuple[str | None, str]:
        """Bring the schema to the newest Alembic revision; (revision before, after)."""
        logging.getLogger("alembic").setLevel(logging.WARNING)
        before = self.revision()
        upgrade_schema(self.engine, "head")
        return before, self.revision() or head_revision()

    def dispose(self) -> None:
        self.engine.dispose()
