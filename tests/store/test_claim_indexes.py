"""Every claim query reads its state's partial index: no table scan, no sort (0009)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.delivery.queue import claim
from sealgate.directory import create_org
from sealgate.intake.runner import _claim
from sealgate.store import OutboundJob, Submission, new_id, utcnow

# Rows so that PostgreSQL's planner has a table worth an index (with enable_seqscan off too).
ROWS = 2000


@contextmanager
def _selects(session: Session) -> Iterator[list[tuple[str, Any]]]:
    """The SELECT statements (SQL text and parameters) run on `session` meanwhile."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _plan(session: Session, statement: str, parameters: Any) -> str:
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in rows)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(str(row[0]) for row in rows)


def _plans_of(rt: Runtime, run: Callable[[Session], object]) -> list[str]:
    with rt.db.begin() as session:
        with _selects(session) as seen:
            run(session)
        plans = [_plan(session, statement, parameters) for statement, parameters in seen]
        session.rollback()
    return plans


def _fill(rt: Runtime) -> None:
    now = utcnow()
    with rt.db.begin() as session:
        org_id = create_org(session, "Hospital", ["hospital.example"]).id
        session.execute(
            insert(Submission),
            [
                {
                    "id": new_id(),
                    "org_id": org_id,
                    "mail_from": "",
                    "rcpt_to": [],
                    "blob_id": "none",
                    "size": 1,
                    "state": "incoming" if n % 10 == 0 else "done",
                    "received_at": now - timedelta(seconds=n),
                }
                for n in range(ROWS)
            ],
        )
        states = ("done", "done", "done", "incoming", "deferred", "active")
        session.execute(
            insert(OutboundJob),
            [
                {
                    "id": new_id(),
                    "kind": "notification",
                    "mail_from": "",
                    "rcpt_to": "bob@example.org",
                    "blob_id": "none",
                    "state": states[n % len(states)],
                    "next_attempt_at": now - timedelta(seconds=n),
                    "lease_until": now - timedelta(seconds=n) if n % 6 == 5 else None,
                    "expires_at": now + timedelta(days=1),
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(ROWS)
            ],
        )
    if not rt.db.is_sqlite:
        with rt.db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE submissions")
            connection.exec_driver_sql("ANALYZE outbound_jobs")
            connection.commit()


def _uses(plan: str, index: str) -> bool:
    return index in plan and "TEMP B-TREE" not in plan and "Sort" not in plan


def test_the_intake_claim_reads_ix_submissions_incoming(runtime: Runtime) -> None:
    _fill(runtime)
    [plan] = _plans_of(runtime, lambda session: _claim(session, runtime, set(), []))
    assert _uses(plan, "ix_submissions_incoming"), plan


def test_each_delivery_claim_source_reads_its_partial_index(runtime: Runtime) -> None:
    _fill(runtime)
    plans = _plans_of(runtime, lambda s: claim(s, utcnow(), 32, timedelta(minutes=5)))
    # The three sources, in turn; the last SELECT loads the claimed rows by primary key.
    incoming, deferred, active = plans[:3]
    assert _uses(incoming, "ix_outbound_incoming"), incoming
    assert _uses(deferred, "ix_outbound_deferred"), deferred
    assert _uses(active, "ix_outbound_active"), active


@pytest.mark.parametrize("state", ["incoming", "deferred", "active"])
def test_a_claim_index_holds_only_its_state(runtime: Runtime, state: str) -> None:
    """The index is partial: rows that are done never enter it (checked on the catalogue)."""
    with runtime.db.engine.connect() as connection:
        if runtime.db.is_sqlite:
            sql = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = ?", (f"ix_outbound_{state}",)
            ).scalar_one()
        else:
            sql = connection.exec_driver_sql(
                # Every test process has a schema of its own: look in this one only.
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s"
                " AND schemaname = current_schema()",
                (f"ix_outbound_{state}",),
            ).scalar_one()
    assert f"'{state}'" in sql and "WHERE" in sql.upper()
