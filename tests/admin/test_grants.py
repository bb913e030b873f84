"""Role grants: an organisation role for the account's own organisation, operator for all."""

from __future__ import annotations

import pytest

from sealgate.admin import AdminError, Grant, Role, grant_role, grants_of, list_grants, revoke_role
from sealgate.directory import add_account, create_org, find_account


def test_grants_are_held_read_listed_and_revoked(runtime, sender):
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
        add_account(session, "carl@clinic.example", "Clinic")
        grant_role(session, sender.address, "auditor", granted_by="cli:test")
        grant_role(session, sender.address, "operator", granted_by="cli:test")
        grant_role(session, "carl@clinic.example", "org-admin", granted_by="cli:test")
        alice = find_account(session, sender.address)
        assert alice is not None
        assert grants_of(session, alice.id) == (
            Grant(Role.AUDITOR, alice.org_id),
            Grant(Role.OPERATOR, None),
        )
        clinic = [(g.email, g.role, g.org) for g in list_grants(session, "Clinic")]
        assert clinic == [
            ("alice@hospital.example", Role.OPERATOR, None),
            ("carl@clinic.example", Role.ORG_ADMIN, "Clinic"),
        ]
        revoke_role(session, sender.address, "operator")
        assert grants_of(session, alice.id) == (Grant(Role.AUDITOR, alice.org_id),)


def test_refusals_name_the_problem(runtime, sender):
    with runtime.db.begin() as session:
        grant_role(session, sender.address, "helpdesk", granted_by="cli:test")
        with pytest.raises(AdminError, match="already holds the role helpdesk"):
            grant_role(session, sender.address, "helpdesk", granted_by="cli:test")
        with pytest.raises(AdminError, match="no account"):
            grant_role(session, "nobody@hospital.example", "helpdesk", granted_by="cli:test")
        with pytest.raises(AdminError, match="does not hold the role auditor"):
            revoke_role(session, sender.address, "auditor")
        with pytest.raises(AdminError, match="unknown role"):
            grant_role(session, sender.address, "root", granted_by="cli:test")
