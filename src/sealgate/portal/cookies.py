"""The portal's cookies, with their attributes in one place.

`sealgate_session` carries the session secret (only its SHA-256 is stored): Secure, HttpOnly,
SameSite=Lax so that the link in a mail (a cross-site top-level GET) still finds the session.
`sealgate_csrf` carries the double-submit token: SameSite=Strict, it is only needed by forms
that our own pages post. The `__Host-` prefix would need https everywhere, which the local demo
on http://127.0.0.1 does not have; both cookies are host-only (no Domain) with Path=/ anyway.
`sealgate_device` carries a remembered browser's secret (remembered.py; only its SHA-256 is
stored): the one cookie that outlives the browser session, for the days the organisation
allows (Max-Age), HttpOnly, SameSite=Lax (the link in the mail must find it), and Secure
whenever the portal is reached over https.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "sealgate_session"
CSRF_COOKIE = "sealgate_csrf"
DEVICE_COOKIE = "sealgate_device"

# Longer values are not ours; refusing them early keeps junk out of hashing and look-ups.
_MAX_VALUE_LENGTH = 128


def read_cookie(request: Request, name: str) -> str | None:
    value = request.cookies.get(name)
    if not value or len(value) > _MAX_VALUE_LENGTH:
        return None
    return value


def set_session_cookie(response: Response, value: str) -> None:
    # A browser-session cookie (no Max-Age, no Expires): closing the browser forgets it. How
    # long the session lives is the server's business (sessions.py), not the cookie's.
    response.set_cookie(
        SESSION_COOKIE,
        value,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")


def set_csrf_cookie(response: Response, value: str) -> None:
    # A browser-session cookie: it dies with the browser, the page that uses it is short-lived.
    response.set_cookie(CSRF_COOKIE, value, path="/", secure=True, httponly=True, samesite="strict")


def set_device_cookie(response: Response, value: str, *, max_age: int, secure: bool) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
