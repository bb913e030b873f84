"""The link-request counter: one upsert per request, windows, both keys, no address stored."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from sealgate.portal.link_requests import LinkRequestLimits, take_link_request
from sealgate.store import AccountLinkRequest, utcnow

LIMITS = LinkRequestLimits(per_address=2, per_client=3, window=timedelta(hours=1))


def _take(rt, address: str, client: str, now) -> bool:
    with rt.db.begin() as session:
        return take_link_request(session, address, client, now, LIMITS)


def test_each_key_has_its_own_limit_and_window(runtime):
    now = utcnow()
    assert [_take(runtime, "a@x.example", "192.0.2.1", now) for _ in range(3)] == [
        True,
        True,
        False,
    ]
    # The client has counted 3 now; a fresh address from it is over the client limit.
    assert not _take(runtime, "b@x.example", "192.0.2.1", now)
    assert _take(runtime, "b@x.example", "192.0.2.2", now)
    # A new window starts once the old one is over.
    later = now + timedelta(hours=1, seconds=1)
    assert _take(runtime, "a@x.example", "192.0.2.1", later)


def test_addresses_count_by_their_key_and_are_not_stored(runtime):
    now = utcnow()
    assert _take(runtime, "Dora@Clinic.Example", "192.0.2.9", now)
    assert _take(runtime, "dora@clinic.example", "192.0.2.8", now)
    assert not _take(runtime, "DORA@clinic.example", "192.0.2.7", now)
    with runtime.db.begin() as session:
        keys = session.scalars(select(AccountLinkRequest.key)).all()
    assert all(len(key) == 64 and "dora" not in key for key in keys)


def test_old_rows_are_forgotten(runtime):
    now = utcnow()
    _take(runtime, "old@x.example", "192.0.2.1", now - timedelta(hours=2))
    _take(runtime, "new@x.example", "192.0.2.2", now)
    with runtime.db.begin() as session:
        assert len(session.scalars(select(AccountLinkRequest)).all()) == 2


def test_parallel_requests_never_pass_the_limit_together(runtime):
    # Each thread its own connection and transaction: the upsert's returned count decides,
    # so of twelve at once exactly `per_address` get through, on SQLite and PostgreSQL.
    from concurrent.futures import ThreadPoolExecutor

    now = utcnow()
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(lambda i: _take(runtime, "race@x.example", f"192.0.2.{i}", now), range(12))
        )
    assert results.count(True) == LIMITS.per_address
