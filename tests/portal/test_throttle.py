"""The per-address login throttle: ten failures in the window lock for fifteen minutes."""

from __future__ import annotations

from sealgate.portal.throttle import LoginThrottle


def test_ten_failures_lock_the_address():
    throttle = LoginThrottle()
    for second in range(9):
        assert throttle.failed("Dora@Clinic.example ", float(second)) == 0
    assert throttle.locked_for("dora@clinic.example", 9.0) == 0
    assert throttle.failed("dora@clinic.example", 9.0) == 900
    assert throttle.locked_for("DORA@clinic.example", 500.0) == 409
    assert throttle.locked_for("dora@clinic.example", 909.0) == 0
    assert throttle.locked_for("erik@clinic.example", 500.0) == 0


def test_failures_leave_the_window():
    throttle = LoginThrottle(max_failures=3, window=60.0, lockout=100.0)
    throttle.failed("a", 0.0)
    throttle.failed("a", 1.0)
    assert throttle.failed("a", 70.0) == 0  # the first two are older than the window
    assert throttle.failed("a", 71.0) == 0
    assert throttle.failed("a", 72.0) == 100


def test_success_clears_the_count():
    throttle = LoginThrottle(max_failures=2)
    throttle.failed("a", 0.0)
    throttle.succeeded("a")
    assert throttle.failed("a", 1.0) == 0
