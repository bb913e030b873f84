"""Rows that hold a vault envelope of their own (a queued mail sealed in its job's row).

A key rotation re-wraps their data keys as it does a blob's: one batch of rows per
transaction, so an interrupted rotation leaves each row whole, under the old key or the new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import select, update

from sealgate.store.schema import OutboundJob
from sealgate.store.session import Database

BATCH = 200


def rewrap_sealed_rows(db: Database, rewrap: Callable[[str, bytes], bytes | None]) -> int:
    """Replace each sealed mail by `rewrap(job id, sealed)` unless that returns None (it is
    already under the new key); how many rows changed. Ids are walked in order, in batches."""
    changed, after = 0, ""
    while True:
        with db.begin(write=True) as session:
            rows = session.execute(
                select(OutboundJob.id, OutboundJob.sealed_mail)
                .where(OutboundJob.sealed_mail.is_not(None), OutboundJob.id > after)
                .order_by(OutboundJob.id)
                .limit(BATCH)
            ).all()
            for job_id, sealed in rows:
                replaced = rewrap(job_id, sealed) if sealed is not None else None
                if replaced is not None:
                    session.execute(
                        update(OutboundJob)
                        .where(OutboundJob.id == job_id)
                        .values(sealed_mail=replaced)
                    )
                    changed += 1
        if len(rows) < BATCH:
            return changed
        after = rows[-1][0]


def sealed_mails(db: Database) -> Iterator[tuple[str, bytes]]:
    """Every (job id, sealed mail), read a batch per transaction, in id order."""
    after = ""
    while True:
        with db.begin() as session:
            rows = session.execute(
                select(OutboundJob.id, OutboundJob.sealed_mail)
                .where(OutboundJob.sealed_mail.is_not(None), OutboundJob.id > after)
                .order_by(OutboundJob.id)
                .limit(BATCH)
            ).all()
        yield from ((job_id, sealed) for job_id, sealed in rows if sealed is not None)
        if len(rows) < BATCH:
            return
        after = rows[-1][0]
