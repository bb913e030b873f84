"""Failed AUTH attempts counted in the database, so that every process and a restart agree.

Three keys are counted for each attempt, each with its own limit ([submission] settings):
- (client, username): `auth_max_failures`; one user's typos, or a guesser at one credential;
- username from any client: `auth_max_failures_per_username`; a guesser spread over many
  addresses;
- client with any username: `auth_max_failures_per_client`; a guesser trying many usernames.
  Higher than the first, so a colleague behind the same NAT whose own credential is right
  is not locked out by somebody else's typos.

An attempt must claim a slot under all three keys before its password is checked: one
conditional UPDATE per key (`failures < limit`, or the window has passed), and the row count
decides, in one transaction, so that parallel attempts cannot all be judged against the same
stale count (the claims of a refused attempt roll back together). A check that succeeds
gives its slots back; a failed one leaves them as the failures they are. A window starts at a
key's first counted failure and lasts `auth_lockout_seconds`; a key at its limit is locked
until its window ends.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sealgate.store import AuthFailure


@dataclass(frozen=True)
class FailureKey:
    """One counter: which scope it is (for logs and replies), its hashed key, its limit."""

    scope: str
    key: str
    limit: int


def failure_keys(
    client: str, username: str, *, per_client_username: int, per_username: int, per_client: int
) -> tuple[FailureKey, ...]:
    """The three counters an attempt is judged by, always in this order (no deadlocks)."""
    pair = _hash("client+username", client, username)
    return (
        FailureKey("client+username", pair, per_client_username),
        FailureKey("username", _hash("username", "", username), per_username),
        FailureKey("client", _hash("client", client, ""), per_client),
    )


def client_failure_key(client: str, limit: int) -> FailureKey:
    return FailureKey("client", _hash("client", client, ""), limit)


def _hash(scope: str, client: str, username: str) -> str:
    material = "\0".join((scope, client, username)).encode("utf-8", errors="surrogateescape")
    return hashlib.sha256(material).hexdigest()


def claim(
    session: Session, keys: tuple[FailureKey, ...], now: datetime, window: timedelta
) -> FailureKey | None:
    """Claim a slot under every key; the key that is at its limit, or None when all claimed.

    The caller's transaction must roll back when a key is returned (its earlier claims
    then vanish with it).
    """
    expired = now - window
    for key in keys:
        _ensure_row(session, key.key, now)
        window_over = AuthFailure.window_start <= expired
        statement = (
            update(AuthFailure)
            .where(AuthFailure.key == key.key, or_(window_over, AuthFailure.failures < key.limit))
            .values(
                failures=case((window_over, 1), else_=AuthFailure.failures + 1),
                window_start=case((window_over, now), else_=AuthFailure.window_start),
            )
            .execution_options(synchronize_session=False)
        )
        if session.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
            return key
    return None


def give_back(
    session: Session, keys: tuple[FailureKey, ...], now: datetime, window: timedelta
) -> None:
    """Return the slots of an attempt whose credentials were right."""
    for key in keys:
        session.execute(
            update(AuthFailure)
            .where(
                AuthFailure.key == key.key,
                AuthFailure.failures > 0,
                AuthFailure.window_start > now - window,
            )
            .values(failures=AuthFailure.failures - 1)
            .execution_options(synchronize_session=False)
        )


def failures(session: Session, key: FailureKey, now: datetime, window: timedelta) -> int:
    """The failures counted under `key` in its current window (for the delay and a pre-check)."""
    count = session.scalar(
        select(AuthFailure.failures).where(
            AuthFailure.key == key.key, AuthFailure.window_start > now - window
        )
    )
    return int(count or 0)


def purge(session: Session, now: datetime, window: timedelta) -> int:
    """Delete counters whose window has passed; returns how many."""
    result = session.execute(
        delete(AuthFailure)
        .where(AuthFailure.window_start <= now - window)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _ensure_row(session: Session, key: str, now: datetime) -> None:
    values = {"key": key, "failures": 0, "window_start": now}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(AuthFailure).values(values).on_conflict_do_nothing())
    else:
        session.execute(sqlite.insert(AuthFailure).values(values).on_conflict_do_nothing())
