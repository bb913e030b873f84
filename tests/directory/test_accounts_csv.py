"""Accounts CSV bulk import: per-row report, then accounts added and invited, roles granted."""

import pytest
from sqlalchemy import func, select

from sealgate.directory import (
    DirectoryError,
    RowProblem,
    add_account,
    apply_accounts_import,
    create_org,
    find_account,
    plan_accounts_import,
)
from sealgate.store import Account

ROLES = ("org-admin", "helpdesk")
GOOD = (
    "email_address,full_name,role\n"
    "bob@hospital.example,Bob Bakker,\n"
    "carla@hospital.example,Carla Claes,helpdesk\n"
    "alice@hospital.example,Alice A. Arts,org-admin\n"
)


def _accounts(runtime) -> int:
    with runtime.db.begin() as session:
        return session.scalar(select(func.count()).select_from(Account))


def test_new_accounts_are_added_invited_and_given_their_role(runtime, sender):
    with runtime.db.begin() as session:
        plan = plan_accounts_import(session, "Hospital", GOOD, roles=ROLES)
    assert plan.all_accepted and [r.action for r in plan.rows] == ["add", "add", "update"]
    assert _accounts(runtime) == 1
    invited, granted = [], []
    with runtime.db.begin() as session:
        applied = apply_accounts_import(
            session,
            plan,
            invite=lambda a: invited.append(a.email),
            grant=lambda a, role: granted.append((a.email, role)),
        )
    assert invited == ["bob@hospital.example", "carla@hospital.example"]
    assert granted == [
        ("carla@hospital.example", "helpdesk"),
        ("alice@hospital.example", "org-admin"),
    ]
    assert [a.created for a in applied] == [True, True, False]
    with runtime.db.begin() as session:
        assert find_account(session, "alice@hospital.example").display_name == "Alice A. Arts"
        assert find_account(session, "bob@hospital.example").display_name == "Bob Bakker"


@pytest.mark.parametrize(
    "row, problem",
    [
        ("nobody,X,", RowProblem.BAD_ADDRESS),
        ("dan@elsewhere.example,Dan,", RowProblem.FOREIGN_DOMAIN),
        ("bob@hospital.example,Bob again,", RowProblem.DUPLICATE),
        ("dan@hospital.example,Dan,operator", RowProblem.UNKNOWN_ROLE),
        ("eve@clinic.example,Eve,", RowProblem.FOREIGN_DOMAIN),
        ("dan@hospital.example," + "x" * 201 + ",", RowProblem.TOO_LONG),
    ],
)
def test_one_bad_row_is_reported_and_nothing_is_written(runtime, sender, row, problem):
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
        add_account(session, "eve@clinic.example", "Clinic")
    with runtime.db.begin() as session:
        plan = plan_accounts_import(session, "Hospital", GOOD + row + "\n", roles=ROLES)
    (bad,) = plan.rejected
    assert (bad.line, bad.problem) == (5, problem) and bad.reason
    assert _accounts(runtime) == 2


def test_only_the_importing_organisations_domains_are_accepted(runtime, sender):
    with runtime.db.begin() as session:
        org = create_org(session, "Clinic", ["clinic.example", "shared.example"])
        assert org.name == "Clinic"
        add_account(session, "eve@clinic.example", "Clinic")
        plan = plan_accounts_import(
            session, "Hospital", "email_address,full_name\nalice@hospital.example,\n"
        )
        assert plan.all_accepted
        plan = plan_accounts_import(
            session, "Clinic", "email_address,full_name\nalice@hospital.example,\n"
        )
    assert plan.rejected[0].problem is RowProblem.FOREIGN_DOMAIN


def test_an_empty_name_keeps_the_existing_one(runtime, sender):
    with runtime.db.begin() as session:
        plan = plan_accounts_import(
            session, "Hospital", "email_address,full_name\nalice@hospital.example,\n"
        )
        apply_accounts_import(session, plan, invite=print, grant=print)
        assert find_account(session, "alice@hospital.example").display_name == "Alice Arts"


def test_the_role_column_is_optional_and_the_name_column_required(runtime, sender):
    with runtime.db.begin() as session:
        with pytest.raises(DirectoryError, match="missing: full_name"):
            plan_accounts_import(session, "Hospital", "email_address\nbob@hospital.example\n")
        plan = plan_accounts_import(
            session, "Hospital", "email_address;full_name\nbob@hospital.example;Bob\n"
        )
    assert plan.all_accepted and plan.rows[0].role is None
