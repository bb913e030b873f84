"""Account log-in attempts, counted per typed address in the database, and the lockout.

Every log-in step (a password, a second-factor code) takes an attempt for the email address
typed (or the account's own address at the second step) BEFORE it is judged: one conditional
UPDATE of the address's `login_attempts` row that passes only while fewer than
`LOGIN_MAX_FAILURES` are counted in the current window, and its row count decides. The
attempt that fills the window locks the address for `LOGIN_LOCKOUT`; no password is checked
and no code is tried until it ends. Fifty parallel guesses therefore get at most ten
judgements, in any number of portal processes, and a restart forgets nothing.

A right password gives its attempt back; only a complete login (password and second factor)
clears the count, so knowing the password does not buy more guesses at the second factor.
Unknown addresses are counted exactly like real ones, so a lockout says nothing about whether
an account exists. Rows whose window and lock are over are deleted when a new address comes.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.orm import Session

from sealgate.mail import address_key
from sealgate.store import LoginAttempt, insert_missing

LOGIN_MAX_FAILURES = 10
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_LOCKOUT = timedelta(minutes=15)


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def take_login_attempt(session: Session, address: str, now: datetime) -> int:
    """Count one attempt for `address`; 0: counted, judge it; else seconds it stays locked."""
    key = address_key(address)
    # A second round only when another request pruned the row between insert and update.
    for _ in range(2):
        if insert_missing(session, LoginAttempt, address=key, attempts=0, window_started_at=now):
            _forget_old(session, now, keep=key)
        if _count(session, key, now):
            return 0
        if wait := locked_for(session, key, now):
            return wait
    return whole_seconds(LOGIN_LOCKOUT)


def _count(session: Session, key: str, now: datetime) -> bool:
    """The conditional UPDATE: one more attempt, if the window has room (or starts anew)."""
    row = LoginAttempt
    # A new window starts once the lock is over, or (without a lock) the window is.
    new_window = or_(
        row.locked_until <= now,
        and_(row.locked_until.is_(None), row.window_started_at <= now - LOGIN_WINDOW),
    )
    attempts = case((new_window, 1), else_=row.attempts + 1)
    counted = session.execute(
        update(row)
        .where(
            row.address == key,
            or_(new_window, and_(row.locked_until.is_(None), row.attempts < LOGIN_MAX_FAILURES)),
        )
        .values(
            attempts=attempts,
            window_started_at=case((new_window, now), else_=row.window_started_at),
            locked_until=case((attempts >= LOGIN_MAX_FAILURES, now + LOGIN_LOCKOUT), else_=None),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(_rowcount(counted))


def locked_for(session: Session, address: str, now: datetime) -> int:
    """Seconds the address stays locked (0: not locked); a wrong guess that filled the
    window is answered as a lockout."""
    locked_until = session.scalar(
        select(LoginAttempt.locked_until).where(LoginAttempt.address == address_key(address))
    )
    if locked_until is None or locked_until <= now:
        return 0
    return whole_seconds(locked_until - now)


def give_back_login_attempt(session: Session, address: str) -> None:
    """A right password: its attempt does not count (and cannot have locked the address)."""
    row = LoginAttempt
    session.execute(
        update(row)
        .where(row.address == address_key(address), row.attempts > 0)
        .values(attempts=row.attempts - 1, locked_until=None)
        .execution_options(synchronize_session=False)
    )


def clear_login_attempts(session: Session, address: str) -> None:
    """A complete login: the address starts afresh."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.address == address_key(address)))


def _forget_old(session: Session, now: datetime, keep: str) -> None:
    stale = now - LOGIN_WINDOW
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.address != keep,
            LoginAttempt.window_started_at <= stale,
            or_(LoginAttempt.locked_until.is_(None), LoginAttempt.locked_until <= now),
        )
    )


def whole_seconds(delta: timedelta) -> int:
    """Seconds to wait, rounded up and at least 1."""
    return max(1, math.ceil(round(delta.total_seconds(), 3)))
