"""Portable table snapshots: every row of every table as JSON lines, and back.

A snapshot is read in one read transaction (REPEATABLE READ on PostgreSQL, one deferred
transaction on SQLite, which in WAL mode is a snapshot too), so rows that point at each other
are taken at the same instant. Values are written by the kind of their column, not by the
dialect's own types, so a snapshot from SQLite loads into PostgreSQL and back:

    datetime -> ISO 8601 text (naive UTC, as the store keeps it); bytes -> base64;
    int, str, bool, JSON -> themselves.

The tables are those in the database (reflected), at the Alembic revision the snapshot
records; loading one builds that revision's schema first, so a snapshot taken by an older
release still loads, and is then migrated.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    func,
    select,
    text,
)
from sqlalchemy.types import TypeEngine

from sealgate.store.session import MIGRATIONS, Database

VERSION_TABLE = "alembic_version"
BATCH = 500
Kind = str  # "datetime", "bytes", "int", "bool", "json" or "str"


class SnapshotError(Exception):
    """A snapshot cannot be taken or loaded."""


def _alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def code_revisions() -> list[str]:
    """The revisions this code knows, oldest first; the last one is the code's head."""
    script = ScriptDirectory.from_config(_alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def database_revision(connection: Connection) -> str | None:
    """The Alembic revision the database is at, None when it has no schema yet."""
    return MigrationContext.configure(connection).get_current_revision()


def column_kind(column_type: TypeEngine[Any]) -> Kind:
    """How a column's values are written to a snapshot (see the module docstring)."""
    if isinstance(column_type, DateTime):
        return "datetime"
    if isinstance(column_type, LargeBinary):
        return "bytes"
    if isinstance(column_type, JSON):
        return "json"
    if isinstance(column_type, Boolean):
        return "bool"
    if isinstance(column_type, Integer):
        return "int"
    return "str"


def encode(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(value).decode()
    if kind == "bool":
        return bool(value)
    return value


def decode(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value, validate=True)
    return value


def reflect(connection: Connection) -> list[Table]:
    """The database's tables in dependency order (a table after those it references)."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    return [table for table in metadata.sorted_tables if table.name != VERSION_TABLE]


@contextmanager
def read_snapshot(db: Database) -> Iterator[Connection]:
    """A connection whose reads all see one instant of the database, and never write."""
    with db.engine.connect() as connection:
        if db.is_sqlite:
            # pysqlite opens no transaction for a SELECT: drive BEGIN/ROLLBACK ourselves, with
            # the driver's own transaction handling off (AUTOCOMMIT), so every read is in one.
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("BEGIN DEFERRED")
            try:
                yield connection
            finally:
                connection.exec_driver_sql("ROLLBACK")
            return
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin() as transaction:
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            yield connection
            transaction.rollback()


def table_kinds(table: Table) -> dict[str, Kind]:
    return {column.name: column_kind(column.type) for column in table.columns}


def dump_rows(connection: Connection, table: Table) -> Iterator[dict[str, Any]]:
    """The rows of `table`, encoded for JSON, streamed from a server-side cursor."""
    kinds = table_kinds(table)
    order = list(table.primary_key.columns) or list(table.columns)
    result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(
        select(table).order_by(*order)
    )
    for row in result.mappings():
        yield {name: encode(kinds[name], row[name]) for name in kinds}


# Tables whose rows a migration writes (audit_head's one row): a new schema already has them,
# so they say nothing about whether a database holds data.
SEEDED_TABLES = frozenset({"audit_head"})


def count_rows(connection: Connection, tables: Iterable[Table]) -> int:
    """Rows of the tables that hold data (not SEEDED_TABLES)."""
    total = 0
    for table in tables:
        if table.name in SEEDED_TABLES:
            continue
        total += int(connection.execute(select(func.count()).select_from(table)).scalar_one())
    return total


def drop_schema(connection: Connection) -> None:
    """Drop every sealgate table and the Alembic version: a forced restore starts bare."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    metadata.drop_all(bind=connection)


def load_rows(
    connection: Connection,
    table: Table,
    kinds: dict[str, Kind],
    lines: Iterable[str],
    on_row: Callable[[], None] | None = None,
) -> int:
    """Insert the rows of JSON `lines` into `table`, in batches; how many."""
    missing = set(kinds) - {column.name for column in table.columns}
    if missing:
        raise SnapshotError(f"table {table.name} has no column {sorted(missing)[0]}")
    batch: list[dict[str, Any]] = []
    loaded = 0
    for line in lines:
        row = json.loads(line)
        batch.append({name: decode(kinds[name], value) for name, value in row.items()})
        if len(batch) >= BATCH:
            connection.execute(table.insert(), batch)
            loaded, batch = loaded + len(batch), []
    if batch:
        connection.execute(table.insert(), batch)
        loaded += len(batch)
    return loaded


def reset_sequences(connection: Connection, tables: Iterable[Table]) -> None:
    """On PostgreSQL, move each serial id's sequence past the ids that were loaded."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar()
            if sequence:
                highest = connection.execute(select(func.max(column))).scalar()
                connection.execute(
                    text("SELECT setval(:sequence, :value, :called)"),
                    {"sequence": sequence, "value": highest or 1, "called": highest is not None},
                )
