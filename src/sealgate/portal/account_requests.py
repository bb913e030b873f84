"""The two ways a person asks for an account link: "forgot password", and an invitation.

The invitation is asked for on a message's start page when the account is not set up yet.

GET  /forgot             the form: one email address
POST /forgot             counts the request (`link_requests.py`); within the limits, 303 to
                         /forgot/sent whatever the address, and only after that answer (a
                         background task) queues a reset link when the address has an
                         active account: neither the answer nor its timing tells whether
                         an account exists. A crash in between loses that mail; the person
                         asks again.
GET  /forgot/sent        "if there is an account, a link is on its way"
POST /m/{token}/invite   for a message to an account that has no password yet: counts the
                         request the same way and mails an invitation that leads back to the
                         message; 303 to /m/{token}/invited
GET  /m/{token}/invited  "a link to set up your account is on its way"
GET  /account/wait       the answer (429) when a limit was reached; nothing was sent

The client counted is the connecting address as the ASGI server reports it (behind a proxy,
uvicorn's `--forwarded-allow-ips` decides which header it trusts).
"""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.bootstrap import Runtime
from sealgate.directory import LinkPurpose, find_account, is_set_up
from sealgate.mail import address_key
from sealgate.portal.account_links import send_account_link
from sealgate.portal.csrf import guard_of, render_form
from sealgate.portal.link import find_target, mask_address
from sealgate.portal.link_requests import LinkRequestLimits, take_link_request
from sealgate.portal.methods import Proof
from sealgate.portal.pages import link_not_valid, render
from sealgate.store import utcnow

ADDRESS_MAX_LENGTH = 320


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "-"


def _count_request(rt: Runtime, address: str, client: str) -> bool:
    """Count the request (committed); False when a limit was reached."""
    limits = LinkRequestLimits.of(rt.settings.accounts)
    with rt.db.begin() as session:
        return take_link_request(session, address, client, utcnow(), limits)


def _send_link(
    rt: Runtime, address: str, purpose: LinkPurpose, recipient_id: str | None = None
) -> None:
    """Queue the link for the active account `address`, if it has one that needs it."""
    now = utcnow()
    with rt.db.begin() as session:
        account = find_account(session, address)
        if account is None or not account.active:
            return
        if purpose is LinkPurpose.INVITE and is_set_up(session, account.email):
            return
        send_account_link(session, rt, account.id, purpose, now, recipient_id)


async def forgot_form(request: Request) -> Response:
    return render_form(request, "forgot.html")


async def forgot(request: Request) -> Response:
    form = await guard_of(request).checked_form(request, start="/forgot")
    typed = str(form.get("email", "")).strip()[:ADDRESS_MAX_LENGTH]
    # A malformed address is answered like an unknown one (and counted like one).
    address = address_key(typed) if typed else "-"
    rt: Runtime = request.app.state.rt
    if not await run_in_threadpool(_count_request, rt, address, _client(request)):
        return RedirectResponse("/account/wait", status_code=303)
    # Whether a mail is queued must not show in the answer's timing either: the look-up
    # and the queueing run after the answer has gone out (they take a few milliseconds
    # more when the account exists).
    task = BackgroundTask(_send_link, rt, address, LinkPurpose.RESET)
    return RedirectResponse("/forgot/sent", status_code=303, background=task)


async def forgot_sent(request: Request) -> Response:
    minutes = request.app.state.rt.settings.accounts.reset_ttl_minutes
    return render(request, "account_link_sent.html", purpose="reset", minutes=minutes)


async def request_invitation(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    token = request.path_params["token"]
    await guard_of(request).checked_form(request, start=f"/m/{token}")
    target = await run_in_threadpool(find_target, rt, token)
    if target is None:
        raise link_not_valid()
    if target.proof is not Proof.ACCOUNT:
        return RedirectResponse(target.start, status_code=303)
    # The start page already says that this address has an account: no timing to hide.
    if not await run_in_threadpool(_count_request, rt, target.address, _client(request)):
        return RedirectResponse("/account/wait", status_code=303)
    await run_in_threadpool(_send_link, rt, target.address, LinkPurpose.INVITE, target.recipient_id)
    return RedirectResponse(f"{target.start}/invited", status_code=303)


async def invitation_sent(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    target = await run_in_threadpool(find_target, rt, request.path_params["token"])
    if target is None:
        raise link_not_valid()
    return render(
        request,
        "account_link_sent.html",
        purpose="invite",
        masked=mask_address(target.address),
        hours=rt.settings.accounts.invite_ttl_hours,
        start=target.start,
    )


async def limit_reached(request: Request) -> Response:
    window = request.app.state.rt.settings.accounts.link_request_window
    return render(
        request,
        "account_link_sent.html",
        status=429,
        headers={"Retry-After": str(window)},
        purpose="wait",
        minutes=-(-window // 60),
    )
