"""The page's language: chosen once per request, switched by the guest with a link.

The choice, in order: the `sealgate_language` cookie (set by the switch on every page), then
the browser's `Accept-Language` (Babel's `negotiate_locale` over en, nl, de), then English.
`LanguageChooser` puts it in one place for the whole request: the locale context variable
that `_()` reads (in Python and in the templates) and `request.state.language`.

The switch is a plain link, `GET /language/<code>?next=<path>`: it sets the cookie and
redirects (303) to `next`, so the back button never meets a form to send again. Changing a
language preference is harmless, so a forged link can do no more than that; `next` must be
a path on this site, anything else goes to the front page (no open redirect).
"""

from __future__ import annotations

import re

from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sealgate.locale import language_or_none, negotiate, use_language

LANGUAGE_COOKIE = "sealgate_language"
# A year: a preference, not a secret; the browser forgets it with its other cookies.
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600

# Paths our pages live at: letters, digits and the few marks our routes and tokens use.
_LOCAL_PATH = re.compile(r"/(?!/)[A-Za-z0-9/_\-.~]{0,300}")


def chosen_language(connection: HTTPConnection) -> str:
    """The language for this request: the switch's cookie, else `Accept-Language`."""
    preferred = language_or_none(connection.cookies.get(LANGUAGE_COOKIE))
    return preferred or negotiate(connection.headers.get("accept-language"))


def safe_next(value: str | None) -> str:
    """`value` if it is a path on this site, else the front page."""
    if value and _LOCAL_PATH.fullmatch(value) and ".." not in value:
        return value
    return "/"


def return_path(request: Request) -> str:
    """Where the switch brings the guest back to: this page, or where a form post started.

    A page shown as the answer to a POST (a wrong code, a failed log-in) has no GET at its
    address; the switch goes back to the start of that flow instead.
    """
    path = request.url.path
    if request.method in ("GET", "HEAD"):
        return safe_next(path)
    parts = path.split("/")
    if len(parts) > 3 and parts[1] == "m":
        return safe_next("/".join(parts[:3]))
    if parts[1] == "login":
        return "/login"
    return "/"


async def switch_language(request: Request) -> Response:
    """GET /language/{code}: remember the language in a cookie, back to the page (303)."""
    target = safe_next(request.query_params.get("next"))
    response = RedirectResponse(target, status_code=303)
    language = language_or_none(request.path_params["code"])
    if language is not None:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=LANGUAGE_COOKIE_MAX_AGE,
            path="/",
            secure=True,
            httponly=True,
            samesite="lax",
        )
    return response


class LanguageChooser:
    """ASGI middleware: every request is answered in `chosen_language`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with use_language(chosen_language(HTTPConnection(scope))) as language:
            scope.setdefault("state", {})["language"] = language
            await self.app(scope, receive, send)
