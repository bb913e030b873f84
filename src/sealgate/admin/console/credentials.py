"""SMTP credentials of an organisation: list, create (the password shown once), disable.

GET  /admin/credentials?org=NAME      the organisation's credentials (`credentials.read`;
                                      never a secret: sealgate keeps only a keyed digest)
POST /admin/credentials               (org, label) as `credential create`
                                      (`directory.create_credential`); the username and
                                      password go into the session's sealed flash and the
                                      browser to /admin/credentials/created, which shows them
                                      once and clears them; audit `credential.create`
                                      (username and label, never the password)
POST /admin/credentials/disable       (org, username) as `credential disable`;
                                      audit `credential.disable`

The changes need `credentials.write` for the organisation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.admin.console.access import Org, chosen_org, orgs_within
from sealgate.admin.console.mutations import Change, Rollback, apply
from sealgate.admin.console.pages import field, posted_form, render
from sealgate.admin.console.sessions import FLASH_KEY_PURPOSE, Admin, set_flash, take_flash
from sealgate.admin.roles import Capability
from sealgate.bootstrap import Runtime
from sealgate.directory import (
    CREDENTIAL_KEY_PURPOSE,
    create_credential,
    disable_credential,
    list_credentials,
)
from sealgate.locale import _

# The flash of a new credential: this line, then the username, then the password. The token
# page (tokens.py) shows only a flash that is a token.
FLASH_PREFIX = "smtp-credential\n"


def _listing(rt: Runtime, admin: Admin, org_name: str | None) -> dict[str, Any]:
    with rt.db.begin() as session:
        org = chosen_org(session, admin, Capability.CREDENTIALS_READ, org_name)
        return {
            "org": org,
            "orgs": orgs_within(session, admin, Capability.CREDENTIALS_READ),
            "credentials": list_credentials(session, org.name),
            "may_write": admin.principal.may(Capability.CREDENTIALS_WRITE, org.id),
        }


async def credentials_page(
    request: Request, admin: Admin, *, error: str | None = None, org_name: str | None = None
) -> Response:
    chosen = org_name or request.query_params.get("org")
    listing = await run_in_threadpool(_listing, request.app.state.rt, admin, chosen)
    done = request.query_params.get("done") == "disabled"
    return render(
        request,
        "credentials.html",
        status=400 if error else 200,
        admin=admin,
        error=error,
        done=_("The credential was disabled.") if done else None,
        **listing,
    )


def _reached(rt: Runtime, admin: Admin, org_name: str) -> Org:
    with rt.db.begin() as session:
        return chosen_org(session, admin, Capability.CREDENTIALS_WRITE, org_name or None)


async def create_smtp_credential(request: Request, admin: Admin) -> Response:
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    label = field(form, "label", 200)
    org = await run_in_threadpool(_reached, rt, admin, field(form, "org", 200))

    def change(session: Session) -> Change:
        key = rt.subkey(CREDENTIAL_KEY_PURPOSE)
        credential, password = create_credential(session, org.name, label, key=key)
        flash = f"{FLASH_PREFIX}{credential.username}\n{password}"
        set_flash(session, rt.subkey(FLASH_KEY_PURPOSE), admin.session_id, flash)
        return Change(credential.username, {"label": label})

    refused = await run_in_threadpool(
        apply,
        rt,
        admin,
        request,
        "credential.create",
        Capability.CREDENTIALS_WRITE,
        (org.id, org.name),
        change,
    )
    if refused is not None:
        return await credentials_page(request, admin, error=refused, org_name=org.name)
    return RedirectResponse(
        "/admin/credentials/created?" + urlencode({"org": org.name}), status_code=303
    )


def _take(rt: Runtime, admin: Admin) -> tuple[str, str] | None:
    with rt.db.begin() as session:
        flash = take_flash(session, rt.subkey(FLASH_KEY_PURPOSE), admin.session_id)
    if flash is None or not flash.startswith(FLASH_PREFIX):
        return None
    username, _sep, password = flash.removeprefix(FLASH_PREFIX).partition("\n")
    return username, password


async def credential_created(request: Request, admin: Admin) -> Response:
    """The new username and password, once: a reload finds them gone."""
    taken = await run_in_threadpool(_take, request.app.state.rt, admin)
    org = request.query_params.get("org", "")[:200]
    return render(
        request,
        "credential_created.html",
        admin=admin,
        username=taken[0] if taken else None,
        password=taken[1] if taken else None,
        org_name=org,
    )


async def disable_smtp_credential(request: Request, admin: Admin) -> Response:
    form = await posted_form(request)
    rt: Runtime = request.app.state.rt
    username = field(form, "username", 64)
    org = await run_in_threadpool(_reached, rt, admin, field(form, "org", 200))

    def change(session: Session) -> Change:
        if not any(c.username == username for c in list_credentials(session, org.name)):
            raise Rollback(_("There is no such credential in this organisation."))
        disable_credential(session, username)
        return Change(username, {})

    refused = await run_in_threadpool(
        apply,
        rt,
        admin,
        request,
        "credential.disable",
        Capability.CREDENTIALS_WRITE,
        (org.id, org.name),
        change,
    )
    if refused is not None:
        return await credentials_page(request, admin, error=refused, org_name=org.name)
    query = urlencode({"org": org.name, "done": "disabled"})
    return RedirectResponse(f"/admin/credentials?{query}", status_code=303)
