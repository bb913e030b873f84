"""API tokens: shown once, stored as a digest, one role for one organisation, always expiring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sealgate.admin import (
    AdminError,
    Grant,
    Role,
    authenticate_token,
    create_token,
    list_tokens,
    revoke_token,
    token_digest,
)
from sealgate.store import ApiToken, utcnow


def _create(runtime, **kwargs):
    args = {"role_name": "auditor", "org_name": "Hospital", "created_by": "cli:test"} | kwargs
    with runtime.db.begin() as session:
        return create_token(session, **args)


def test_a_token_is_stored_as_its_digest_and_authenticates(runtime, sender):
    item, secret = _create(runtime, name="inspector")
    assert secret.startswith("sgt_") and len(secret) >= 4 + 43
    with runtime.db.begin() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
        assert stored == [token_digest(secret)]
        principal = authenticate_token(session, secret, utcnow())
    assert principal is not None
    assert principal.actor == f"token:{item.id}"
    org_id = principal.grants[0].org_id
    assert principal.grants == (Grant(Role.AUDITOR, org_id),) and org_id is not None


def test_unknown_revoked_and_expired_tokens_all_fail_alike(runtime, sender):
    item, secret = _create(runtime, days=1)
    with runtime.db.begin() as session:
        assert authenticate_token(session, secret + "x", utcnow()) is None
        assert authenticate_token(session, "Bearer " + secret, utcnow()) is None
        assert authenticate_token(session, secret, utcnow() + timedelta(days=2)) is None
        revoke_token(session, item.id)
        assert authenticate_token(session, secret, utcnow()) is None
        with pytest.raises(AdminError, match="no active token"):
            revoke_token(session, item.id)


def test_operator_tokens_take_no_organisation_and_others_need_one(runtime, sender):
    operator, _ = _create(runtime, role_name="operator", org_name=None)
    assert operator.org is None
    with pytest.raises(AdminError, match="takes no --org"):
        _create(runtime, role_name="operator")
    with pytest.raises(AdminError, match="needs --org"):
        _create(runtime, org_name=None)
    with pytest.raises(AdminError, match="1 to 365 days"):
        _create(runtime, days=400)


def test_use_is_recorded_and_listings_hold_no_secret(runtime, sender):
    item, secret = _create(runtime)
    with runtime.db.begin() as session:
        authenticate_token(session, secret, utcnow())
    with runtime.db.begin() as session:
        (listed,) = list_tokens(session, "Hospital")
    assert listed.id == item.id and listed.last_used_at is not None
    assert secret not in repr(listed) and token_digest(secret) not in repr(listed)
