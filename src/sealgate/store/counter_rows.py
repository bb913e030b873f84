"""Counter rows that may not exist yet: make them without a race, on SQLite and PostgreSQL.

A limit that holds under parallel requests is one conditional UPDATE (`… SET n = n + 1 WHERE
… AND n < :limit`, the row count decides). That needs the row to exist first; two requests
that both find it missing must not both insert it, nor fail. `INSERT … ON CONFLICT DO
NOTHING` (both databases speak it) makes the row once, whoever comes first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sealgate.store.schema import Base


def insert_missing(
    session: Session, model: type[Base], *, unique: tuple[str, ...] = (), **values: Any
) -> bool:
    """Insert the row unless one with the same key exists; True if this call made it.

    The key is the primary key, or the columns of a unique constraint named in `unique`.
    """
    table = model.__table__
    keys = list(unique) or [column.name for column in table.primary_key.columns]  # type: ignore[attr-defined]
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    statement = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=keys)
        .returning(*[table.c[key] for key in keys])  # type: ignore[attr-defined]
    )
    # RETURNING, not the row count: drivers differ in what rowcount says here.
    return session.execute(statement).first() is not None
