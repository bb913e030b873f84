"""API tokens of an organisation: list, create (the secret shown once), revoke.

GET  /admin/tokens?org=NAME      the organisation's tokens (never a secret)
POST /admin/tokens               (org, name, role, days) as `token create`; the secret goes
                                 into the session's sealed flash and the browser to
                                 /admin/tokens/created, which shows it once and clears it;
                                 audit `token.create` (id, role, expiry: never the secret)
POST /admin/tokens/revoke        (id) as `token revoke`; audit `token.revoke`

All of it needs `tokens.write` for the organisation; an operator token (no organisation)
needs the operator role.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.admin.console.access import Org, chosen_org, orgs_within, require
from sealgate.admin.console.mutations import Change, Rollback, apply
from sealgate.admin.console.pages import field, posted_form, render
from sealgate.admin.console.sessions import FLASH_KEY_PURPOSE, Admin, set_flash, take_flash
from sealgate.admin.roles import Capability, Role
from sealgate.admin.tokens import (
    DEFAULT_DAYS,
    MAX_DAYS,
    TOKEN_PREFIX,
    create_token,
    list_tokens,
    revoke_token,
)
from sealgate.bootstrap import Runtime
from sealgate.locale import _
from sealgate.store import ApiToken, Organisation


def _listing(rt: Runtime, admin: Admin, org_name: str | None) -> dict[str, Any]:
    with rt.db.begin() as session:
        org = chosen_org(session, admin, Capability.TOKENS_WRITE, org_name)
        return {
            "org": org,
            "orgs": orgs_within(session, admin, Capability.TOKENS_WRITE),
            "tokens": list_tokens(session, org.name),
        }


async def tokens_page(
    request: Request, admin: Admin, *, error: str | None = None, org_name: str | None = None
) -> Response:
    chosen = org_name or request.query_params.get("org")
    listing = await run_in_threadpool(_listing, request.app.state.rt, admin, chosen)
    done = request.query_params.get("done") == "revoked"
    return render(
        request,
        "tokens.html",
        status=400 if error else 200,
        admin=admin,
        error=error,
        done=_("The token was revoked.") if done else None,
        role_names=[role.value for role in Role if role is not Role.OPERATOR],
        default_days=DEFAULT_DAYS,
        max_days=MAX_DAYS,
        **listing,
    )


def _days(value: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise Rollback(f"a token lasts 1 to {MAX_DAYS} days")
    return int(value)


async def create_api_token(request: Request, admin: Admin) -> Response:
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    org_name, name, role = (
        field(form, "org", 200),
        field(form, "name", 200),
        field(form, "role", 32),
    )
    days = field(form, "days", 8) or str(DEFAULT_DAYS)
    org: Org = await run_in_threadpool(_reached, rt, admin, org_name)

    def change(session: Session) -> Change:
        listing, secret = create_token(
            session,
            role_name=role,
            org_name=org.name,
            name=name,
            days=_days(days),
            created_by=admin.principal.actor,
        )
        set_flash(session, rt.subkey(FLASH_KEY_PURPOSE), admin.session_id, secret)
        return Change(
            str(listing.id),
            {"name": name, "role": role, "expires_at": listing.expires_at.isoformat() + "Z"},
        )

    refused = await run_in_threadpool(
        apply,
        rt,
        admin,
        request,
        "token.create",
        Capability.TOKENS_WRITE,
        (org.id, org.name),
        change,
    )
    if refused is not None:
        return await tokens_page(request, admin, error=refused, org_name=org.name)
    return RedirectResponse(
        "/admin/tokens/created?" + urlencode({"org": org.name}), status_code=303
    )


def _reached(rt: Runtime, admin: Admin, org_name: str) -> Org:
    with rt.db.begin() as session:
        return chosen_org(session, admin, Capability.TOKENS_WRITE, org_name or None)


def _take(rt: Runtime, admin: Admin) -> str | None:
    with rt.db.begin() as session:
        flash = take_flash(session, rt.subkey(FLASH_KEY_PURPOSE), admin.session_id)
    # Other pages' flashes (a new SMTP credential, a probe's result) are not a token.
    return flash if flash is not None and flash.startswith(TOKEN_PREFIX) else None


async def token_created(request: Request, admin: Admin) -> Response:
    """The new secret, once: a reload (or the back button) finds it gone."""
    secret = await run_in_threadpool(_take, request.app.state.rt, admin)
    org = request.query_params.get("org", "")[:200]
    return render(request, "token_created.html", admin=admin, secret=secret, org_name=org)


def _token_org(rt: Runtime, token_id: int) -> tuple[int | None, str | None] | None:
    with rt.db.begin() as session:
        row = session.execute(
            select(ApiToken.org_id, Organisation.name)
            .outerjoin(Organisation, Organisation.id == ApiToken.org_id)
            .where(ApiToken.id == token_id)
        ).one_or_none()
        return None if row is None else (row[0], row[1])


async def revoke_api_token(request: Request, admin: Admin) -> Response:
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    typed = field(form, "id", 20)
    token_id = int(typed) if typed.isascii() and typed.isdigit() else 0
    org = await run_in_threadpool(_token_org, rt, token_id)
    if org is None:
        return await tokens_page(request, admin, error=_("There is no such token."))
    require(admin, Capability.TOKENS_WRITE, org[0])

    def change(session: Session) -> Change:
        revoke_token(session, token_id)
        return Change(str(token_id), {})

    refused = await run_in_threadpool(
        apply, rt, admin, request, "token.revoke", Capability.TOKENS_WRITE, org, change
    )
    if refused is not None:
        return await tokens_page(request, admin, error=refused, org_name=org[1])
    query = urlencode({"org": org[1] or "", "done": "revoked"})
    return RedirectResponse(f"/admin/tokens?{query}", status_code=303)
