"""Accounts CSV bulk import: `email_address,full_name` and an optional `role` column.

The same two steps as the contacts import: `plan_accounts_import` says per row what would
happen (add, update the name, or rejected with a reason) and writes nothing;
`apply_accounts_import` writes exactly the accepted rows in the caller's transaction.
Every new account is invited as `account add` invites it, and a row's role is granted; both
belong to stages above this one (the portal mails invitations, admin keeps roles), so the
caller passes them in as `invite` and `grant`. An address already an account of the
organisation updates its name (an empty one keeps it) and adds the role; an account of
another organisation is rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.directory.accounts import (
    DISPLAY_NAME_MAX,
    AccountInfo,
    add_account,
    find_account,
    parse_address,
    set_display_name,
)
from sealgate.directory.csv_plan import ImportPlan, RowVerdict
from sealgate.directory.csv_table import CsvRow, RowProblem, read_csv
from sealgate.directory.errors import DirectoryError
from sealgate.directory.orgs import OrgInfo, find_org
from sealgate.store import Account

ACCOUNT_COLUMNS = ("email_address", "full_name")
ACCOUNT_OPTIONAL_COLUMNS = ("role",)


@dataclass(frozen=True)
class AccountRowPlan(RowVerdict):
    """One row as checked: accepted (`action` "add" or "update") or rejected (`problem`)."""

    line: int
    email: str  # normalised when valid, else as written
    full_name: str
    role: str | None
    action: str = ""
    problem: RowProblem | None = None
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "email_address": self.email,
            "full_name": self.full_name,
            "role": self.role,
            "accepted": self.accepted,
            "action": self.action or None,
            "problem": self.problem.value if self.problem else None,
            "reason": self.reason or None,
        }


class AccountsImportPlan(ImportPlan[AccountRowPlan]):
    """What an import would do to one organisation's accounts; nothing is written yet."""


@dataclass(frozen=True)
class AppliedAccount:
    """A row written: the account as it now is, whether it is new (and invited), its role."""

    account: AccountInfo
    created: bool
    role: str | None


def _problem(
    row: CsvRow, org: OrgInfo, roles: Collection[str], seen: dict[str, int]
) -> tuple[RowProblem, str] | None:
    cells = row.cells
    if row.extra:
        return RowProblem.EXTRA_CELLS, "the row has more cells than the header"
    try:
        parsed = parse_address(cells["email_address"])
    except DirectoryError as exc:
        return RowProblem.BAD_ADDRESS, str(exc)
    if parsed.key in seen:
        return RowProblem.DUPLICATE, f"{parsed.key} is already on line {seen[parsed.key]}"
    seen[parsed.key] = row.line
    if parsed.domain.key not in org.domains:
        return (
            RowProblem.FOREIGN_DOMAIN,
            f"{parsed.key} is not in a domain of {org.name} ({', '.join(org.domains)})",
        )
    if len(cells["full_name"]) > DISPLAY_NAME_MAX:
        return RowProblem.TOO_LONG, f"the name is longer than {DISPLAY_NAME_MAX} characters"
    role = cells.get("role", "")
    if role and role not in roles:
        return (
            RowProblem.UNKNOWN_ROLE,
            f"unknown role {role!r} (roles: {', '.join(roles) or 'none may be given'})",
        )
    return None


def plan_accounts_import(
    session: Session, org_name: str, csv_data: str | bytes, *, roles: Collection[str] = ()
) -> AccountsImportPlan:
    """Check every row against the organisation's domains and accounts; write nothing.

    `roles` are the role names a row may give (admin's organisation roles); a file that is
    not such a CSV raises DirectoryError.
    """
    org = find_org(session, org_name)
    seen: dict[str, int] = {}
    planned = []
    for row in read_csv(csv_data, ACCOUNT_COLUMNS, ACCOUNT_OPTIONAL_COLUMNS):
        name, role = row.cells["full_name"], row.cells.get("role") or None
        problem = _problem(row, org, roles, seen)
        if problem is not None:
            email = row.cells["email_address"]
            planned.append(AccountRowPlan(row.line, email, name, role, "", *problem))
            continue
        email = parse_address(row.cells["email_address"]).key
        owner = session.scalar(select(Account.org_id).where(Account.email == email))
        if owner is not None and owner != org.id:
            reason = f"{email} is an account of another organisation"
            planned.append(
                AccountRowPlan(row.line, email, name, role, "", RowProblem.OTHER_ORG, reason)
            )
            continue
        action = "add" if owner is None else "update"
        planned.append(AccountRowPlan(row.line, email, name, role, action))
    return AccountsImportPlan(org.name, tuple(planned))


def apply_accounts_import(
    session: Session,
    plan: AccountsImportPlan,
    *,
    invite: Callable[[AccountInfo], object],
    grant: Callable[[AccountInfo, str], object],
) -> list[AppliedAccount]:
    """Write the accepted rows: add (then `invite`) or rename, and `grant` a row's role.

    A change since the plan that makes a row fail (the address taken meanwhile) raises
    DirectoryError, and the caller's rollback writes nothing.
    """
    applied = []
    for row in plan.accepted:
        existing = find_account(session, row.email)
        if existing is None:
            account = add_account(session, row.email, plan.org, None, row.full_name)
            invite(account)
        elif existing.org_id != find_org(session, plan.org).id:
            raise DirectoryError(f"{row.email} is an account of another organisation")
        elif row.full_name and row.full_name != existing.display_name:
            account = set_display_name(session, row.email, row.full_name)
        else:
            account = existing
        if row.role:
            grant(account, row.role)
        applied.append(AppliedAccount(account, existing is None, row.role))
    return applied
