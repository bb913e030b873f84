"""AUTH lockout in the database: per (client, username), per username, per client."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from sealgate.bootstrap import Runtime
from sealgate.directory import CREDENTIAL_KEY_PURPOSE, create_credential
from sealgate.store import utcnow
from sealgate.submission import SubmissionServer, lockout
from sealgate.submission import replies as r
from tests.conftest import Sender
from tests.submission.smtp_client import connect_tls, plain_auth, reply


def _auth(runtime: Runtime, username: str, password: str) -> str:
    with connect_tls(runtime.settings) as client:
        return reply(*client.docmd("AUTH", "PLAIN " + plain_auth(username, password)))


def _second_credential(runtime: Runtime) -> tuple[str, str]:
    with runtime.db.begin() as session:
        credential, password = create_credential(
            session, "Hospital", "colleague", key=runtime.subkey(CREDENTIAL_KEY_PURPOSE)
        )
    return credential.username, password


@pytest.mark.submission_env(
    SEALGATE_SUBMISSION__AUTH_MAX_FAILURES=3, SEALGATE_SUBMISSION__AUTH_MAX_FAILURES_PER_CLIENT=6
)
async def test_one_users_failures_do_not_lock_out_a_colleague_behind_the_same_address(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 6: 14 failures for username A from one address do not stop credential B
    from that address; many usernames from one address still lock the address."""
    colleague, colleague_password = _second_credential(runtime)

    def attack() -> tuple[list[str], str, str, list[str], str]:
        with connect_tls(runtime.settings) as client:
            typos = [
                reply(*client.docmd("AUTH", "PLAIN " + plain_auth(sender.username, f"typo{n}")))
                for n in range(14)
            ]
        own = _auth(runtime, sender.username, sender.password)
        other = _auth(runtime, colleague, colleague_password)
        # A guesser walking through usernames from this address reaches the address limit.
        walk = [_auth(runtime, f"sg-guess{n}", "x") for n in range(4)]
        return typos, own, other, walk, _auth(runtime, colleague, colleague_password)

    typos, own, other, walk, other_later = await asyncio.to_thread(attack)
    assert typos == [r.S535_AUTH_FAILED] * 3 + [r.S454_AUTH_LOCKED_USER] * 11
    assert own == r.S454_AUTH_LOCKED_USER
    assert other == r.S235_AUTH_OK
    assert walk == [r.S535_AUTH_FAILED] * 3 + [r.S454_AUTH_LOCKED]
    assert other_later == r.S454_AUTH_LOCKED


@pytest.mark.submission_env(SEALGATE_SUBMISSION__AUTH_MAX_FAILURES=2)
async def test_counts_survive_a_restart(runtime: Runtime, sender: Sender) -> None:
    """Issue 8 item 6: the counts are in the database; a new server on it sees them."""
    first = SubmissionServer(runtime)
    await first.start()
    try:
        failures = [await asyncio.to_thread(_auth, runtime, sender.username, "no") for _ in "ab"]
    finally:
        await first.stop()
    second = SubmissionServer(runtime)
    await second.start()
    try:
        later = await asyncio.to_thread(_auth, runtime, sender.username, sender.password)
    finally:
        await second.stop()
    assert failures == [r.S535_AUTH_FAILED] * 2
    assert later == r.S454_AUTH_LOCKED_USER


@pytest.mark.submission_env(SEALGATE_SUBMISSION__AUTH_MAX_FAILURES=5)
async def test_parallel_guesses_are_judged_only_up_to_the_limit(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 6 (and item 1's rule): 50 guesses sent at once are judged against an
    atomic counter: exactly the limit get 535, the rest 454, and then the right password
    does not open."""

    def burst() -> list[str]:
        with ThreadPoolExecutor(max_workers=50) as pool:
            return list(pool.map(lambda n: _auth(runtime, sender.username, f"guess{n}"), range(50)))

    answers = await asyncio.to_thread(burst)
    assert answers.count(r.S535_AUTH_FAILED) == 5
    assert answers.count(r.S454_AUTH_LOCKED_USER) == 45
    later = await asyncio.to_thread(_auth, runtime, sender.username, sender.password)
    assert later == r.S454_AUTH_LOCKED_USER


def test_claims_hold_under_50_threads_and_expire_with_the_window(runtime: Runtime) -> None:
    """Issue 8 item 6: one conditional UPDATE per key decides, on SQLite and PostgreSQL."""
    window = timedelta(minutes=15)
    keys = lockout.failure_keys(
        "192.0.2.1", "sg-user", per_client_username=7, per_username=100, per_client=100
    )

    def attempt(_: int) -> bool:
        session = runtime.db.sessions()
        try:
            locked = lockout.claim(session, keys, utcnow(), window)
            session.commit() if locked is None else session.rollback()
            return locked is None
        finally:
            session.close()

    with ThreadPoolExecutor(max_workers=50) as pool:
        claimed = list(pool.map(attempt, range(50)))
    assert claimed.count(True) == 7
    with runtime.db.begin() as session:
        now = utcnow()
        assert [lockout.failures(session, key, now, window) for key in keys] == [7, 7, 7]
        # The refused claims rolled back together: the username and client keys count 7 too.
        # After the window, a key starts again from one.
        assert lockout.claim(session, keys, now + window, window) is None
        assert lockout.failures(session, keys[0], now + window, window) == 1
        assert lockout.purge(session, now + 2 * window + timedelta(seconds=1), window) == 3


def test_a_username_is_limited_across_client_addresses(runtime: Runtime) -> None:
    """Issue 8 item 6: a guesser spread over many addresses meets the per-username limit."""
    window = timedelta(minutes=15)
    now = utcnow()

    def keys(client: str) -> tuple[lockout.FailureKey, ...]:
        return lockout.failure_keys(
            client, "sg-user", per_client_username=3, per_username=4, per_client=30
        )

    with runtime.db.begin() as session:
        results = [lockout.claim(session, keys(f"192.0.2.{n}"), now, window) for n in range(1, 5)]
    assert results == [None] * 4
    with runtime.db.begin() as session:
        refused = lockout.claim(session, keys("198.51.100.7"), now, window)
        assert refused is not None and refused.scope == "username"
        session.rollback()
