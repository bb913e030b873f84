"""Claiming due rows: fairness, leases, fencing, and SKIP LOCKED on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from sealgate.bootstrap import Runtime
from sealgate.delivery.queue import SEALED_MAIL_LIMIT, bounce, claim, defer, mark_done, queued_mail
from sealgate.store import OutboundJob, utcnow
from sealgate.vault import VaultCorrupt
from tests.conftest import TEST_DATABASE
from tests.delivery.conftest import job_row, large_mail, notification, queue_mail

LEASE = timedelta(minutes=5)


def _set(rt: Runtime, job_id: str, **values: object) -> None:
    with rt.db.begin() as session:
        session.execute(update(OutboundJob).where(OutboundJob.id == job_id).values(**values))


def _claim(rt: Runtime, limit: int = 10) -> list[OutboundJob]:
    with rt.db.begin() as session:
        return claim(session, utcnow(), limit, LEASE)


def test_claim_sets_active_with_a_lease_and_only_once(runtime: Runtime) -> None:
    job_id = queue_mail(runtime, notification())
    [job] = _claim(runtime)
    assert job.id == job_id and job.state == "active"
    assert job.lease_until is not None and job.lease_until > utcnow() + LEASE - timedelta(minutes=1)
    assert _claim(runtime) == []


def test_claim_takes_incoming_and_deferred_in_turn(runtime: Runtime) -> None:
    for n in range(3):
        queue_mail(runtime, notification(), rcpt_to=f"in{n}@example.org")
    deferred = [queue_mail(runtime, notification(), rcpt_to=f"de{n}@example.org") for n in range(3)]
    for job_id in deferred:
        _set(runtime, job_id, state="deferred", next_attempt_at=utcnow() - timedelta(minutes=1))
    jobs = _claim(runtime, limit=4)
    assert [job.rcpt_to[:2] for job in jobs] == ["in", "de", "in", "de"]


def test_claim_skips_what_is_not_due(runtime: Runtime) -> None:
    later = queue_mail(runtime, notification())
    _set(runtime, later, state="deferred", next_attempt_at=utcnow() + timedelta(hours=1))
    for state in ("done", "bounced", "hold", "corrupt"):
        _set(runtime, queue_mail(runtime, notification()), state=state)
    busy = queue_mail(runtime, notification())
    _set(runtime, busy, state="active", lease_until=utcnow() + timedelta(minutes=1))
    assert _claim(runtime) == []


def test_an_expired_lease_is_claimed_again(runtime: Runtime) -> None:
    job_id = queue_mail(runtime, notification())
    _set(runtime, job_id, state="active", lease_until=utcnow() - timedelta(seconds=1))
    [job] = _claim(runtime)
    assert job.id == job_id and job.lease_until > utcnow()


def test_only_the_current_lease_holder_records_an_outcome(runtime: Runtime) -> None:
    queue_mail(runtime, notification())
    [first] = _claim(runtime)
    # The first worker hangs; its lease runs out and a second worker claims the row.
    _set(runtime, first.id, lease_until=utcnow() - timedelta(seconds=1))
    [second] = _claim(runtime)
    with runtime.db.begin() as session:
        assert not bounce(session, first, "550 too late", utcnow())
        assert mark_done(session, second, utcnow())
    row = job_row(runtime, first.id)
    assert (row.state, row.attempts, row.lease_until, row.last_error) == ("done", 1, None, "")


def test_defer_records_error_attempts_and_next_attempt(runtime: Runtime) -> None:
    queue_mail(runtime, notification())
    [job] = _claim(runtime)
    retry_at = utcnow() + timedelta(minutes=2)
    with runtime.db.begin() as session:
        assert defer(session, job, "451 4.3.0 later", retry_at, utcnow())
    row = job_row(runtime, job.id)
    assert (row.state, row.attempts, row.last_error) == ("deferred", 1, "451 4.3.0 later")
    assert row.next_attempt_at == retry_at


@pytest.mark.skipif(TEST_DATABASE == "sqlite", reason="SQLite has one writer at a time")
def test_concurrent_claims_skip_locked_rows(runtime: Runtime) -> None:
    ids = {queue_mail(runtime, notification()) for _ in range(4)}
    with runtime.db.begin() as first_session:
        first = claim(first_session, utcnow(), 2, LEASE)
        # The first claim's transaction is still open: its rows are locked, not yet active.
        with runtime.db.begin() as second_session:
            second = claim(second_session, utcnow(), 10, LEASE)
    assert len(first) == 2 and len(second) == 2
    assert {job.id for job in first} | {job.id for job in second} == ids


def test_a_small_mail_is_sealed_in_its_row_and_a_large_one_is_a_blob(runtime: Runtime) -> None:
    small = queue_mail(runtime, notification())
    large = queue_mail(runtime, large_mail(SEALED_MAIL_LIMIT + 1))
    small_row, large_row = job_row(runtime, small), job_row(runtime, large)
    assert small_row.blob_id == "" and small_row.sealed_mail is not None
    assert b"Alice Arts" not in small_row.sealed_mail
    assert b"Alice Arts" in queued_mail(runtime.vault, small_row)
    assert large_row.sealed_mail is None and large_row.blob_id
    assert queued_mail(runtime.vault, large_row) == runtime.vault.get_bytes(large_row.blob_id)


def test_a_sealed_mail_moved_to_another_row_does_not_open(runtime: Runtime) -> None:
    first = queue_mail(runtime, notification())
    second = queue_mail(runtime, notification(), rcpt_to="carol@example.org")
    _set(runtime, second, sealed_mail=job_row(runtime, first).sealed_mail)
    with pytest.raises(VaultCorrupt):
        queued_mail(runtime.vault, job_row(runtime, second))
