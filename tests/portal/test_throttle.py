"""The per-address login throttle in the database: ten attempts in the window, then a lock."""

from __future__ import annotations

from datetime import timedelta

from sealgate.bootstrap import Runtime
from sealgate.portal.throttle import (
    clear_login_attempts,
    give_back_login_attempt,
    take_login_attempt,
)
from sealgate.store import utcnow


def take(rt: Runtime, address: str, now) -> int:  # type: ignore[no-untyped-def]
    with rt.db.begin() as session:
        return take_login_attempt(session, address, now)


def test_ten_attempts_lock_the_address(runtime: Runtime):
    now = utcnow()
    for second in range(10):
        assert take(runtime, "Dora@Clinic.example ", now + timedelta(seconds=second)) == 0
    # The tenth attempt filled the window: locked for 15 minutes from it.
    assert take(runtime, "dora@clinic.example", now + timedelta(seconds=500)) == 409
    assert take(runtime, "erik@clinic.example", now + timedelta(seconds=500)) == 0
    # Once the lock is over a new window starts.
    assert take(runtime, "DORA@clinic.example", now + timedelta(seconds=910)) == 0


def test_attempts_leave_the_window(runtime: Runtime):
    now = utcnow()
    for second in range(9):
        assert take(runtime, "a@x.example", now + timedelta(seconds=second)) == 0
    later = now + timedelta(minutes=16)
    for second in range(10):
        assert take(runtime, "a@x.example", later + timedelta(seconds=second)) == 0
    assert take(runtime, "a@x.example", later + timedelta(seconds=11)) > 0


def test_a_right_password_gives_its_attempt_back_and_a_login_clears(runtime: Runtime):
    now = utcnow()
    for _ in range(10):
        take(runtime, "a@x.example", now)
    with runtime.db.begin() as session:
        give_back_login_attempt(session, "a@x.example")
    assert take(runtime, "a@x.example", now) == 0
    assert take(runtime, "a@x.example", now) > 0
    with runtime.db.begin() as session:
        clear_login_attempts(session, "A@x.example")
    assert take(runtime, "a@x.example", now) == 0
