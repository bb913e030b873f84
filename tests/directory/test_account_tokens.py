"""Account links: single use, expiry, only the latest works, only for active accounts."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from sealgate.directory import (
    LinkPurpose,
    add_account,
    create_org,
    disable_account,
    find_account_link,
    issue_account_link,
    spend_account_link,
)
from sealgate.store import AccountToken, utcnow

DAY = timedelta(days=1)


def _account(runtime) -> int:
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
        return add_account(session, "dora@clinic.example", "Clinic").id


def test_a_link_is_stored_hashed_and_spent_once(runtime):
    account_id = _account(runtime)
    now = utcnow()
    with runtime.db.begin() as session:
        token, expires_at = issue_account_link(session, account_id, LinkPurpose.INVITE, now, DAY)
    assert len(token) == 43 and expires_at == now + DAY
    with runtime.db.begin() as session:
        [row] = session.scalars(select(AccountToken)).all()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (row.token_hash, str(row.recipient_id))
        link = find_account_link(session, token, now)
        assert link is not None and link.email == "dora@clinic.example"
        assert link.purpose is LinkPurpose.INVITE
        assert spend_account_link(session, link, now)
        assert not spend_account_link(session, link, now)
    with runtime.db.begin() as session:
        assert find_account_link(session, token, now) is None


def test_an_expired_or_wrong_link_finds_nothing(runtime):
    account_id = _account(runtime)
    now = utcnow()
    with runtime.db.begin() as session:
        token, _ = issue_account_link(session, account_id, LinkPurpose.RESET, now, DAY)
    with runtime.db.begin() as session:
        assert find_account_link(session, token, now + DAY) is None
        wrong = token[:-1] + ("B" if token.endswith("A") else "A")
        assert find_account_link(session, wrong, now) is None
        assert find_account_link(session, "", now) is None
        assert find_account_link(session, "x" * 500, now) is None


def test_a_new_link_replaces_the_unused_one(runtime):
    account_id = _account(runtime)
    now = utcnow()
    with runtime.db.begin() as session:
        first, _ = issue_account_link(session, account_id, LinkPurpose.INVITE, now, DAY)
        second, _ = issue_account_link(session, account_id, LinkPurpose.RESET, now, DAY)
    with runtime.db.begin() as session:
        assert find_account_link(session, first, now) is None
        assert find_account_link(session, second, now) is not None


def test_a_disabled_account_link_does_not_open(runtime):
    account_id = _account(runtime)
    now = utcnow()
    with runtime.db.begin() as session:
        token, _ = issue_account_link(session, account_id, LinkPurpose.INVITE, now, DAY)
        disable_account(session, "dora@clinic.example")
    with runtime.db.begin() as session:
        assert find_account_link(session, token, now) is None
