"""Closing a message: a guest ends its session on this browser, as an account logs out.

POST /m/{token}/close   (CSRF-checked) deletes the session row, clears the cookie, 303 to:
GET  /m/{token}/closed  says the message is closed here and how to open it again.

A guest has no account to log out of, yet on a shared computer the next person at the
keyboard must not find the message open. Closing goes through `log_out`, so it is audited as
`portal.logout` like an account's. The closed page shows nothing of the message and needs no
session; it links back to the link's start, where a fresh proof is asked.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sealgate.portal.access_log import client_of
from sealgate.portal.cookies import SESSION_COOKIE, clear_session_cookie, read_cookie
from sealgate.portal.csrf import guard_of
from sealgate.portal.login import log_out
from sealgate.portal.pages import render


async def close_message(request: Request) -> Response:
    start = f"/m/{request.path_params['token']}"
    await guard_of(request).checked_form(request, start=start)
    cookie = read_cookie(request, SESSION_COOKIE)
    await run_in_threadpool(log_out, request.app.state.rt, cookie, client_of(request))
    response = RedirectResponse(f"{start}/closed", status_code=303)
    clear_session_cookie(response)
    return response


async def message_closed(request: Request) -> Response:
    return render(request, "closed.html", start=f"/m/{request.path_params['token']}")
