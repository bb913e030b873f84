"""AuthThrottle and client keys: the growing delay and the lockout, with the clock passed in."""

from __future__ import annotations

from sealgate.submission.auth import FAILURE_DELAY_CAP, AuthThrottle, client_key


def test_delay_grows_then_locks_until_the_window_passes() -> None:
    throttle = AuthThrottle(max_failures=3, window_seconds=60)
    delays = [throttle.record_failure("192.0.2.1", now) for now in (0.0, 1.0)]
    assert delays[0] < delays[1]
    assert not throttle.locked("192.0.2.1", 2.0)
    throttle.record_failure("192.0.2.1", 2.0)
    assert throttle.locked("192.0.2.1", 2.0)
    assert throttle.locked("192.0.2.1", 59.9)
    # The oldest failure leaves the window: two remain, below the limit.
    assert not throttle.locked("192.0.2.1", 60.0)
    assert not throttle.locked("192.0.2.2", 2.0)


def test_delay_is_capped() -> None:
    throttle = AuthThrottle(max_failures=1000, window_seconds=60)
    delays = [throttle.record_failure("192.0.2.1", float(n)) for n in range(50)]
    assert max(delays) == FAILURE_DELAY_CAP


def test_expired_clients_are_forgotten() -> None:
    throttle = AuthThrottle(max_failures=3, window_seconds=10)
    throttle.record_failure("192.0.2.1", 0.0)
    assert not throttle.locked("192.0.2.1", 11.0)
    assert throttle._failures == {}


def test_client_key_groups_ipv6_by_64() -> None:
    assert client_key("192.0.2.1") == "192.0.2.1"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2")
    assert client_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_key("not-an-ip") == "not-an-ip"
