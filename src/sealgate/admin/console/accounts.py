"""Accounts and their roles, per organisation.

GET  /admin/accounts?org=NAME            the accounts, their state and roles
POST /admin/accounts                     create one (email, name) and mail its invitation,
                                         as `account add` does; audit `account.add`
POST /admin/accounts/disable|enable|reset-2fa   (email) as `account disable|enable|reset-2fa`;
                                         reset-2fa also ends the account's console sessions
GET|POST /admin/accounts/import…        a CSV of accounts: see csv_import.py
POST /admin/roles/grant|revoke           (email, role) as `role grant|revoke`: an org admin
                                         within its own organisation, the operator role only
                                         by an operator

Reading needs `accounts.read`, changing accounts `accounts.write` and roles `roles.write`,
each for the organisation of the account acted on.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.admin.console.access import Forbidden, Org, org_listing, reached_org, require
from sealgate.admin.console.mutations import Change, Rollback, apply
from sealgate.admin.console.pages import field, posted_form, render
from sealgate.admin.console.sessions import Admin, end_admin_sessions
from sealgate.admin.grants import grant_role, list_grants, revoke_role
from sealgate.admin.roles import Capability, Role
from sealgate.bootstrap import Runtime
from sealgate.directory import (
    LinkPurpose,
    add_account,
    disable_account,
    enable_account,
    find_account,
    list_accounts,
    reset_second_factor,
)
from sealgate.locale import _
from sealgate.portal import send_account_link
from sealgate.store import Organisation, utcnow

ACCOUNT_ACTIONS = {
    "disable": ("account.disable", disable_account),
    "enable": ("account.enable", enable_account),
    "reset-2fa": ("account.reset-2fa", reset_second_factor),
}


def _listing(rt: Runtime, admin: Admin, org_name: str | None) -> dict[str, Any]:
    with rt.db.begin() as session:
        listing = org_listing(session, admin, Capability.ACCOUNTS_READ, org_name)
        name = listing["org"].name
        roles: dict[str, list[str]] = {}
        for grant in list_grants(session, name):
            roles.setdefault(grant.email, []).append(grant.role.value)
        return {**listing, "accounts": list_accounts(session, name), "roles": roles}


def _done_sentence(done: str) -> str | None:
    sentences = {
        "added": _("The account was added and its invitation mailed."),
        "disable": _("The account was disabled."),
        "enable": _("The account was enabled."),
        "reset-2fa": _("The second step was reset; the next login sets up a new app."),
        "imported": _("The accepted rows were imported and the new accounts invited."),
        "grant": _("The role was granted."),
        "revoke": _("The role was revoked."),
    }
    return sentences.get(done)


async def accounts_page(
    request: Request, admin: Admin, *, error: str | None = None, org_name: str | None = None
) -> Response:
    rt: Runtime = request.app.state.rt
    chosen = org_name or request.query_params.get("org")
    listing = await run_in_threadpool(_listing, rt, admin, chosen)
    org = listing["org"]
    assert isinstance(org, Org)
    return render(
        request,
        "accounts.html",
        status=400 if error else 200,
        admin=admin,
        error=error,
        done=_done_sentence(request.query_params.get("done", "")),
        may_write=admin.principal.may(Capability.ACCOUNTS_WRITE, org.id),
        may_roles=admin.principal.may(Capability.ROLES_WRITE, org.id),
        role_names=[role.value for role in Role],
        **listing,
    )


def _back(org: str, done: str) -> Response:
    query = urlencode({"org": org, "done": done})
    return RedirectResponse(f"/admin/accounts?{query}", status_code=303)


def _org_of_account(session: Session, email: str) -> tuple[int, str]:
    account = find_account(session, email)
    if account is None:
        raise Rollback(f"no account {email!r}")
    return account.org_id, session.get_one(Organisation, account.org_id).name


def _target_org(
    rt: Runtime, admin: Admin, email: str, capability: Capability
) -> tuple[int, str] | str:
    """The organisation of the account `email`, if the admin reaches it; else why not."""
    with rt.db.begin() as session:
        try:
            org_id, name = _org_of_account(session, email)
        except Rollback as exc:
            return str(exc)
    require(admin, capability, org_id)
    return org_id, name


async def create_account(request: Request, admin: Admin) -> Response:
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    org_name, email, name = field(form, "org", 200), field(form, "email"), field(form, "name", 200)
    org = await run_in_threadpool(reached_org, rt, admin, Capability.ACCOUNTS_WRITE, org_name)
    if not email:
        return await accounts_page(
            request, admin, error=_("Type the new account's email address."), org_name=org.name
        )

    def change(session: Session) -> Change:
        account = add_account(session, email, org.name, None, name)
        sent = send_account_link(session, rt, account.id, LinkPurpose.INVITE, utcnow())
        return Change(
            account.email,
            {"name": name, "invitation_expires_at": sent.expires_at.isoformat() + "Z"},
        )

    refused = await run_in_threadpool(
        apply,
        rt,
        admin,
        request,
        "account.add",
        Capability.ACCOUNTS_WRITE,
        (org.id, org.name),
        change,
    )
    if refused is not None:
        return await accounts_page(request, admin, error=refused, org_name=org.name)
    return _back(org.name, "added")


async def account_action(request: Request, admin: Admin) -> Response:
    verb = str(request.path_params["action"])
    if verb not in ACCOUNT_ACTIONS:
        raise Forbidden(verb)
    action, run = ACCOUNT_ACTIONS[verb]
    form = await posted_form(request)
    email = field(form, "email")
    rt: Runtime = request.app.state.rt
    target = await run_in_threadpool(_target_org, rt, admin, email, Capability.ACCOUNTS_WRITE)
    if isinstance(target, str):
        return await accounts_page(request, admin, error=target)

    def change(session: Session) -> Change:
        account = run(session, email)
        if verb == "reset-2fa":
            end_admin_sessions(session, account.id)
        return Change(account.email, {})

    refused = await run_in_threadpool(
        apply, rt, admin, request, action, Capability.ACCOUNTS_WRITE, target, change
    )
    if refused is not None:
        return await accounts_page(request, admin, error=refused, org_name=target[1])
    return _back(target[1], verb)


async def role_action(request: Request, admin: Admin) -> Response:
    verb = str(request.path_params["action"])
    if verb not in ("grant", "revoke"):
        raise Forbidden(verb)
    form = await posted_form(request)
    email, role = field(form, "email"), field(form, "role", 32)
    rt: Runtime = request.app.state.rt
    target = await run_in_threadpool(_target_org, rt, admin, email, Capability.ROLES_WRITE)
    if isinstance(target, str):
        return await accounts_page(request, admin, error=target)
    if role == Role.OPERATOR:
        # The operator role reaches every organisation: only an operator gives it.
        require(admin, Capability.ROLES_WRITE, None)

    def change(session: Session) -> Change:
        if verb == "grant":
            grant_role(session, email, role, granted_by=admin.principal.actor)
        else:
            revoke_role(session, email, role)
        return Change(email, {"role": role})

    refused = await run_in_threadpool(
        apply, rt, admin, request, f"role.{verb}", Capability.ROLES_WRITE, target, change
    )
    if refused is not None:
        return await accounts_page(request, admin, error=refused, org_name=target[1])
    return _back(target[1], verb)
