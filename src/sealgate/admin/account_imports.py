"""Writing an accounts CSV import: the accepted rows, each new account invited, roles given.

The directory plans and writes the rows (directory/accounts_csv.py); inviting (the portal's
mail) and granting (admin's roles) belong above it, so `write_accounts_import` passes them
in. `sealgate account import`, the REST API and the console all call it, in their one
transaction. A row may give an organisation's own role, never the operator's; the API and
the console accept a role only from someone who holds roles.write in the organisation.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from sealgate.admin.grants import grant_role, grants_of
from sealgate.admin.roles import Role
from sealgate.bootstrap import Runtime
from sealgate.directory import AccountInfo, AccountsImportPlan, LinkPurpose, apply_accounts_import
from sealgate.portal import send_account_link
from sealgate.store import utcnow

ORG_ROLES = tuple(role.value for role in Role if role is not Role.OPERATOR)


def write_accounts_import(
    session: Session, rt: Runtime, plan: AccountsImportPlan, *, granted_by: str
) -> list[str]:
    """Write the plan's accepted rows; the addresses invited (the new accounts)."""
    now = utcnow()
    invited: list[str] = []

    def invite(account: AccountInfo) -> None:
        send_account_link(session, rt, account.id, LinkPurpose.INVITE, now)
        invited.append(account.email)

    def grant(account: AccountInfo, role: str) -> None:
        held = {grant.role.value for grant in grants_of(session, account.id)}
        if role not in held:
            grant_role(session, account.email, role, granted_by=granted_by)

    apply_accounts_import(session, plan, invite=invite, grant=grant)
    return invited
