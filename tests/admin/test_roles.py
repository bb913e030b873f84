"""The role table: what each admin role may do, and how a principal's grants are read."""

from __future__ import annotations

import pytest

from sealgate.admin import ALLOWED, Capability, Grant, Principal, Role, may, role_named


def test_every_role_has_a_row_and_only_the_operator_creates_organisations():
    assert set(ALLOWED) == set(Role)
    holders = {role for role in Role if may(role, Capability.ORGS_CREATE)}
    assert holders == {Role.OPERATOR}


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (Role.AUDITOR, Capability.AUDIT_READ, Capability.MESSAGES_REVOKE),
        (Role.AUDITOR, Capability.EVIDENCE_READ, Capability.POLICY_WRITE),
        (Role.HELPDESK, Capability.RECIPIENTS_UNLOCK, Capability.AUDIT_READ),
        (Role.HELPDESK, Capability.QUEUE_WRITE, Capability.TOKENS_WRITE),
        (Role.HELPDESK, Capability.RECIPIENTS_RESEND, Capability.MESSAGES_REVOKE),
        (Role.POLICY_ADMIN, Capability.POLICY_WRITE, Capability.ACCOUNTS_WRITE),
        (Role.ORG_ADMIN, Capability.ROLES_WRITE, Capability.ORGS_CREATE),
    ],
)
def test_a_role_holds_its_capabilities_and_not_others(role, allowed, refused):
    assert may(role, allowed)
    assert not may(role, refused)


def test_the_auditor_changes_nothing():
    writes = {cap for cap in Capability if not cap.value.endswith(".read")}
    assert ALLOWED[Role.AUDITOR] & writes == set()


def test_an_organisation_role_reaches_its_own_organisation_only():
    admin = Principal("account:a@x", (Grant(Role.ORG_ADMIN, 1),))
    assert admin.may(Capability.ACCOUNTS_WRITE, 1)
    assert not admin.may(Capability.ACCOUNTS_WRITE, 2)
    assert not admin.may(Capability.ORGS_CREATE, None)
    assert admin.org_scope(Capability.ACCOUNTS_READ) == {1}


def test_the_operator_reaches_every_organisation():
    operator = Principal("token:1", (Grant(Role.OPERATOR, None),))
    assert operator.may(Capability.ORGS_CREATE, None)
    assert operator.may(Capability.AUDIT_READ, 42)
    assert operator.org_scope(Capability.AUDIT_READ) is None


def test_grants_add_up_per_organisation():
    both = Principal("account:a@x", (Grant(Role.AUDITOR, 1), Grant(Role.HELPDESK, 2)))
    assert both.org_scope(Capability.AUDIT_READ) == {1}
    assert both.org_scope(Capability.QUEUE_WRITE) == {2}
    assert both.org_scope(Capability.MESSAGES_READ) == {1, 2}


def test_an_unknown_role_names_the_known_ones():
    with pytest.raises(ValueError, match="org-admin, policy-admin, auditor, helpdesk, operator"):
        role_named("admin")
