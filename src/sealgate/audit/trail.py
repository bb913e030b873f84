"""The audit trail in the database: append an entry, read entries back, verify, prune.

Every append first moves the one `audit_head` row (`UPDATE … SET seq = seq + 1 …
RETURNING`), so appends from any number of processes queue on that row's lock (PostgreSQL)
or on the database's write lock (SQLite) and form one unbroken chain. The lock is held to
the end of the caller's transaction: call `record` as the transaction's last step, so that
the entry commits (or rolls back) with the thing it records and the lock is short.
The hashing itself is pure and lives in chain.py.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from sealgate.audit.chain import (
    GENESIS_HASH,
    AuditEntry,
    canonical_details,
    entry_hash,
    first_broken,
)
from sealgate.store import AuditEntryRow, AuditHead, insert_missing, utcnow

# "token:<id>" is an API token (admin/tokens.py).
ACTOR_KINDS = ("cli", "account", "guest", "system", "token")
OUTCOMES = ("ok", "denied", "failed")
# Detail keys that would carry message content; `record` refuses them outright.
CONTENT_KEYS = frozenset({"subject", "body", "text", "html", "filename", "attachment"})
_HEAD_ID = 1
_BATCH = 1000


class AuditError(Exception):
    """The audit trail refused an entry or an operation."""


def format_at(at: datetime) -> str:
    """The one text form of an entry's time (naive UTC, microseconds) that is hashed."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_actor(actor: str) -> tuple[str, str]:
    """ "cli:root" → ("cli", "root"); "system" → ("system", ""). Unknown kinds are refused."""
    kind, _, who = actor.partition(":")
    if kind not in ACTOR_KINDS or (kind != "system" and not who):
        raise AuditError(f"not an audit actor: {actor!r}")
    return kind, who


def format_actor(kind: str, who: str) -> str:
    return f"{kind}:{who}" if who else kind


def _take_head(session: Session) -> tuple[int, str]:
    """Move the head one on, under its lock: (this entry's seq, the previous entry's hash)."""
    statement = (
        update(AuditHead)
        .where(AuditHead.id == _HEAD_ID)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash)
        .execution_options(synchronize_session=False)
    )
    taken = session.execute(statement).first()
    if taken is None:
        # A database built without the migration's row: make it once, whoever comes first.
        insert_missing(
            session,
            AuditHead,
            id=_HEAD_ID,
            seq=0,
            hash=GENESIS_HASH,
            anchor_seq=0,
            anchor_hash=GENESIS_HASH,
        )
        taken = session.execute(statement).one()
    return int(taken[0]), str(taken[1])


def record(
    session: Session,
    action: str,
    actor: str,
    *,
    organisation: str | None = None,
    target: str | None = None,
    client: str | None = None,
    outcome: str = "ok",
    details: Mapping[str, object] | None = None,
) -> AuditEntry:
    """Append one entry in `session`'s transaction; it commits or rolls back with it.

    `actor` is "cli:<os user>", "account:<email>", "guest:<address>" or "system"; `target`
    the id(s) acted on; `details` ids and flags as JSON, never message content.
    """
    kind, who = parse_actor(actor)
    if outcome not in OUTCOMES:
        raise AuditError(f"not an audit outcome: {outcome!r}")
    if details and CONTENT_KEYS & set(details):
        raise AuditError(
            f"audit details may not hold content: {sorted(CONTENT_KEYS & set(details))}"
        )
    seq, prev = _take_head(session)
    # The time is read under the lock, so times rise with seq (on one clock).
    at = utcnow()
    fields = {
        "seq": seq,
        "at": format_at(at),
        "actor_kind": kind,
        "actor_id": who,
        "action": action,
        "organisation": organisation,
        "object_id": target,
        "outcome": outcome,
        "prev_hash": prev,
        "client": client,
        "details": canonical_details(details),
    }
    digest = entry_hash(**fields)
    row = {**fields, "at": at, "hash": digest}
    session.execute(insert(AuditEntryRow).values(**row))
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == _HEAD_ID)
        .values(hash=digest)
        .execution_options(synchronize_session=False)
    )
    return AuditEntry(entry_hash=digest, **fields)  # type: ignore[arg-type]


def to_entry(row: AuditEntryRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=format_at(row.at),
        actor_kind=row.actor_kind,
        actor_id=row.actor_id,
        action=row.action,
        organisation=row.organisation,
        object_id=row.object_id,
        outcome=row.outcome,
        prev_hash=row.prev_hash,
        entry_hash=row.hash,
        client=row.client,
        details=row.details,
    )


def entries(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str | None = None,
    actor: str | None = None,
    after_seq: int = 0,
    through_seq: int | None = None,
    organisations: Collection[str] | None = None,
) -> Iterator[AuditEntry]:
    """Entries in seq order, read in batches (a trail of years does not fit in memory).

    `action` matches the name or a dotted prefix ("portal" matches "portal.open"); `actor`
    is "kind:who" exactly, or a bare kind ("guest"); `organisations` keeps the entries that
    name one of them (an organisation's auditor sees those).
    """
    while True:
        query = select(AuditEntryRow).where(AuditEntryRow.seq > after_seq)
        if through_seq is not None:
            query = query.where(AuditEntryRow.seq <= through_seq)
        if since is not None:
            query = query.where(AuditEntryRow.at >= since)
        if until is not None:
            query = query.where(AuditEntryRow.at < until)
        if action:
            query = query.where(
                (AuditEntryRow.action == action) | AuditEntryRow.action.startswith(f"{action}.")
            )
        if organisations is not None:
            query = query.where(AuditEntryRow.organisation.in_(list(organisations)))
        if actor:
            kind, _, who = actor.partition(":")
            query = query.where(AuditEntryRow.actor_kind == kind)
            if who:
                query = query.where(AuditEntryRow.actor_id == who)
        rows = session.scalars(query.order_by(AuditEntryRow.seq).limit(_BATCH)).all()
        yield from (to_entry(row) for row in rows)
        if len(rows) < _BATCH:
            return
        after_seq = rows[-1].seq


def newest(session: Session, limit: int, **filters: object) -> list[AuditEntry]:
    """The `limit` newest entries that match `filters` (as `entries`), oldest first."""
    found: list[AuditEntry] = []
    for entry in entries(session, **filters):  # type: ignore[arg-type]
        found.append(entry)
        if len(found) > limit:
            del found[0]
    return found


@dataclass(frozen=True)
class Verification:
    """The result of checking the whole chain from its anchor to the head."""

    entries: int
    head_seq: int
    head_hash: str
    anchor_seq: int
    broken_seq: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_seq is None

    def to_json(self) -> dict[str, object]:
        return {
            "intact": self.intact,
            "entries": self.entries,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "anchor_seq": self.anchor_seq,
            "broken_seq": self.broken_seq,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class _HeadState:
    seq: int = 0
    hash: str = GENESIS_HASH
    anchor_seq: int = 0
    anchor_hash: str = GENESIS_HASH


def _head(session: Session) -> _HeadState:
    """The head as stored now (read fresh, never from the session's identity map)."""
    row = session.execute(
        select(AuditHead.seq, AuditHead.hash, AuditHead.anchor_seq, AuditHead.anchor_hash).where(
            AuditHead.id == _HEAD_ID
        )
    ).first()
    return _HeadState() if row is None else _HeadState(*row)


def verify(session: Session) -> Verification:
    """Recompute every hash from the anchor on; name the first entry that does not match.

    Besides edits, this notices deleted entries (a gap in seq or a broken link), deleted
    newest entries (the head names a later entry than the last one stored) and deleted
    oldest entries (the first one stored is not the one after the anchor).
    """
    head = _head(session)
    counted = _Counting(entries(session))
    broken = first_broken(counted, anchor=head.anchor_hash, first_seq=head.anchor_seq + 1)
    result = {
        "entries": counted.count,
        "head_seq": head.seq,
        "head_hash": head.hash,
        "anchor_seq": head.anchor_seq,
    }
    if broken is not None:
        return Verification(**result, broken_seq=broken.seq, reason="hash or link does not match")  # type: ignore[arg-type]
    if counted.last_seq != head.seq or counted.last_hash != head.hash:
        missing = counted.last_seq + 1
        return Verification(**result, broken_seq=missing, reason="entry missing at the head")  # type: ignore[arg-type]
    return Verification(**result)  # type: ignore[arg-type]


class _Counting:
    """An iterator over entries that remembers how many went by, and the last one."""

    def __init__(self, source: Iterator[AuditEntry]) -> None:
        self._source = source
        self.count = 0
        self.last_seq = 0
        self.last_hash = GENESIS_HASH

    def __iter__(self) -> Iterator[AuditEntry]:
        for entry in self._source:
            self.count += 1
            self.last_seq, self.last_hash = entry.seq, entry.entry_hash
            yield entry


def prune(session: Session, before: datetime) -> int:
    """Delete the oldest entries written before `before`; the chain stays verifiable.

    Only a run from the anchor on is deleted (up to the first entry at or after `before`),
    and only after it verifies: pruning must never hide a tampered entry. The hash of the
    last deleted entry becomes the new anchor. Returns the number deleted.
    """
    # Hold the head's lock first, so no append or other prune runs alongside.
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == _HEAD_ID)
        .values(seq=AuditHead.seq)
        .execution_options(synchronize_session=False)
    )
    head = _head(session)
    keep_from = session.scalar(
        select(func.min(AuditEntryRow.seq)).where(AuditEntryRow.at >= before)
    )
    last = keep_from - 1 if keep_from is not None else head.seq
    if last <= head.anchor_seq:
        return 0
    doomed = _Counting(entries(session, after_seq=head.anchor_seq, through_seq=last))
    broken = first_broken(doomed, anchor=head.anchor_hash, first_seq=head.anchor_seq + 1)
    if broken is not None or doomed.last_seq != last:
        seq = broken.seq if broken is not None else doomed.last_seq + 1
        raise AuditError(f"audit trail broken at entry {seq}: not pruning")
    session.execute(delete(AuditEntryRow).where(AuditEntryRow.seq <= last))
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == _HEAD_ID)
        .values(anchor_seq=last, anchor_hash=doomed.last_hash)
        .execution_options(synchronize_session=False)
    )
    return doomed.count
