"""SCIM Users over the directory: find, list, create (and invite), change, deactivate.

Each function runs in the caller's transaction and appends the audit entry of the change it
makes there (actor `token:<id>`), so the change and its entry commit together. A token
reaches only its own organisation's accounts: another organisation's id is "not found", as
an id that does not exist is, so a token cannot learn which ids exist elsewhere.
DELETE deactivates (the account and its audit history stay), so a deleted User is still
found, with `active: false`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sealgate.admin.scim.documents import ScimUser
from sealgate.admin.scim.requests import ScimError, UserChange, UserFields
from sealgate.audit import record
from sealgate.bootstrap import Runtime
from sealgate.directory import (
    DirectoryError,
    LinkPurpose,
    add_account,
    disable_account,
    enable_account,
    is_set_up,
    normalise_address,
    set_display_name,
)
from sealgate.portal import send_account_link
from sealgate.store import Account, Organisation


@dataclass(frozen=True)
class Caller:
    """Who provisions: the token's audit actor, its organisation, and the client's address."""

    actor: str
    org_id: int
    org_name: str
    client: str | None


def _user(row: Account) -> ScimUser:
    return ScimUser(row.id, row.email, row.display_name, row.active, row.created_at)


def org_name(session: Session, org_id: int) -> str:
    return session.get_one(Organisation, org_id).name


def _row(session: Session, caller: Caller, user_id: str) -> Account:
    row = session.get(Account, int(user_id)) if user_id.isdigit() else None
    if row is None or row.org_id != caller.org_id:
        raise ScimError(404, f"no User {user_id}")
    return row


def get_user(session: Session, caller: Caller, user_id: str) -> ScimUser:
    return _user(_row(session, caller, user_id))


def list_users(
    session: Session, caller: Caller, user_name: str | None, start_index: int, count: int
) -> tuple[list[ScimUser], int]:
    """One page of the organisation's accounts by id, and how many match in all."""
    where = Account.org_id == caller.org_id
    if user_name is not None:
        try:
            where = where & (Account.email == normalise_address(user_name))
        except DirectoryError:
            return [], 0
    total = session.scalar(select(func.count()).select_from(Account).where(where)) or 0
    rows = session.scalars(
        select(Account).where(where).order_by(Account.id).offset(start_index - 1).limit(count)
    )
    return [_user(row) for row in rows], total


def _audit(session: Session, caller: Caller, action: str, row: Account, changed: list[str]) -> None:
    record(
        session,
        f"scim.user.{action}",
        caller.actor,
        organisation=caller.org_name,
        target=row.email,
        client=caller.client,
        details={"user_id": row.id, "attributes": changed},
    )


def create_user(
    session: Session, rt: Runtime, caller: Caller, fields: UserFields, now: datetime
) -> ScimUser:
    """A new account, invited as `account add` invites it; one created inactive is not."""
    try:
        email = normalise_address(fields.user_name)
    except DirectoryError as exc:
        raise ScimError(400, str(exc), "invalidValue") from None
    if session.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise ScimError(409, f"a User with userName {email} exists", "uniqueness")
    try:
        account = add_account(session, email, caller.org_name, None, fields.display_name)
    except DirectoryError as exc:
        raise ScimError(400, str(exc), "invalidValue") from None
    if fields.active is not False:
        send_account_link(session, rt, account.id, LinkPurpose.INVITE, now)
    else:
        disable_account(session, email)
    row = session.get_one(Account, account.id)
    _audit(session, caller, "create", row, ["userName", "displayName", "active"])
    return _user(row)


def change_user(
    session: Session,
    rt: Runtime,
    caller: Caller,
    user_id: str,
    change: UserChange,
    now: datetime,
) -> ScimUser:
    """Apply a PATCH (or a PUT, as a change of every attribute kept) and record it.

    Enabling an account that never chose a password sends it a fresh invitation, so a user
    provisioned inactive can still set up when the identity provider switches it on.
    """
    row = _row(session, caller, user_id)
    if change.user_name is not None and _other_address(change.user_name, row.email):
        raise ScimError(400, "userName is the account's address and cannot change", "mutability")
    changed = []
    if change.display_name is not None and change.display_name != row.display_name:
        try:
            set_display_name(session, row.email, change.display_name)
        except DirectoryError as exc:
            raise ScimError(400, str(exc), "invalidValue") from None
        changed.append("displayName")
    if change.active is not None and change.active != row.active:
        if change.active:
            enable_account(session, row.email)
            if not is_set_up(session, row.email):
                send_account_link(session, rt, row.id, LinkPurpose.INVITE, now)
        else:
            disable_account(session, row.email)
        changed.append("active")
    if changed:
        action = "update"
        if changed == ["active"]:
            action = "enable" if row.active else "disable"
        _audit(session, caller, action, row, changed)
    return _user(row)


def _other_address(user_name: str, email: str) -> bool:
    try:
        return normalise_address(user_name) != email
    except DirectoryError:
        return True


def delete_user(session: Session, caller: Caller, user_id: str) -> None:
    """Deactivate: the account stays, disabled, with every entry the audit trail holds."""
    row = _row(session, caller, user_id)
    if row.active:
        disable_account(session, row.email)
    _audit(session, caller, "delete", row, ["active"])
