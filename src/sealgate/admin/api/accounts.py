"""Accounts and SMTP credentials of an organisation: list, create, disable, enable.

An account made without a password gets an invitation mail (a single-use link), as
`sealgate account add` does; a credential's secret is in the create response only. A CSV
import (`email_address,full_name[,role]`) reports per row and, with `confirm`, writes the
accepted rows and invites each new account, as `sealgate account import` does; a row's role
is accepted only from a token that holds roles.write in the organisation.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sealgate.admin.account_imports import ORG_ROLES, write_accounts_import
from sealgate.admin.api.endpoint import Call, iso
from sealgate.admin.api.errors import invalid, not_found
from sealgate.admin.api.pagination import page
from sealgate.admin.roles import Capability
from sealgate.directory import (
    CREDENTIAL_KEY_PURPOSE,
    LinkPurpose,
    add_account,
    create_credential,
    disable_account,
    disable_credential,
    enable_account,
    find_account,
    list_accounts,
    list_credentials,
    normalise_address,
    password_problem,
    plan_accounts_import,
)
from sealgate.portal import send_account_link
from sealgate.store import utcnow


def list_org_accounts(call: Call) -> dict[str, Any]:
    org = call.org()
    items = sorted(list_accounts(call.session, org.name), key=lambda a: a.email)
    q = call.query
    return page(items, lambda a: [a.email], asdict, q.limit, q.cursor)


def create_account(call: Call) -> dict[str, Any]:
    org = call.org()
    body = call.body
    email = normalise_address(body.email)
    call.target = email
    if body.password is not None and (problem := password_problem(body.password, email)):
        raise invalid(f"password: {problem}")
    account = add_account(call.session, email, org.name, body.password, body.name)
    invitation = None
    if body.password is None:
        sent = send_account_link(call.session, call.rt, account.id, LinkPurpose.INVITE, utcnow())
        invitation = {"queued": True, "expires_at": iso(sent.expires_at)}
    return {
        "email": account.email,
        "org": org.name,
        "name": account.display_name,
        "active": account.active,
        "invitation": invitation,
    }


def _account_email(call: Call, org_id: int) -> str:
    email = call.path["email"]
    account = find_account(call.session, email)
    if account is None or account.org_id != org_id:
        raise not_found(f"no account {email!r} in this organisation")
    call.target = account.email
    return account.email


def disable_org_account(call: Call) -> dict[str, Any]:
    org = call.org()
    account = disable_account(call.session, _account_email(call, org.id))
    return {"email": account.email, "active": account.active}


def enable_org_account(call: Call) -> dict[str, Any]:
    org = call.org()
    account = enable_account(call.session, _account_email(call, org.id))
    return {"email": account.email, "active": account.active}


def _credential_json(item: Any) -> dict[str, Any]:
    return {
        "username": item.username,
        "org": item.org,
        "label": item.label,
        "active": item.active,
        "created": iso(item.created_at),
    }


def list_org_credentials(call: Call) -> dict[str, Any]:
    org = call.org()
    items = list_credentials(call.session, org.name)
    q = call.query
    return page(
        items, lambda c: [iso(c.created_at), c.username], _credential_json, q.limit, q.cursor
    )


def create_org_credential(call: Call) -> dict[str, Any]:
    org = call.org()
    key = call.rt.subkey(CREDENTIAL_KEY_PURPOSE)
    credential, password = create_credential(call.session, org.name, call.body.label, key=key)
    call.target = credential.username
    return {
        "username": credential.username,
        "org": org.name,
        "label": call.body.label,
        "password": password,
    }


def disable_org_credential(call: Call) -> dict[str, Any]:
    org = call.org()
    username = call.path["username"]
    if not any(c.username == username for c in list_credentials(call.session, org.name)):
        raise not_found(f"no credential {username!r} in this organisation")
    call.target = username
    disable_credential(call.session, username)
    item = next(c for c in list_credentials(call.session, org.name) if c.username == username)
    return _credential_json(item)


def import_org_accounts(call: Call) -> dict[str, Any]:
    """The per-row report; with ?confirm=true the accepted rows written, new ones invited."""
    org = call.org()
    confirm = call.query.confirm
    roles = ORG_ROLES if call.principal.may(Capability.ROLES_WRITE, org.id) else ()
    plan = plan_accounts_import(call.session, org.name, call.body.csv, roles=roles)
    invited: list[str] = []
    if confirm:
        actor = call.principal.actor
        invited = write_accounts_import(call.session, call.rt, plan, granted_by=actor)
    call.details = {
        "confirm": confirm,
        "accepted": len(plan.accepted),
        "rejected": len(plan.rejected),
        "written_lines": [row.line for row in plan.accepted] if confirm else [],
        "invited": invited,
    }
    return {**plan.to_json(), "written": confirm, "invited": invited}
