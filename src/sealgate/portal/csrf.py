"""CSRF protection for every form: a signed double-submit token, plus an Origin check.

The browser holds a random token in the `sealgate_csrf` cookie; each form carries
HMAC(csrf key, token) in a hidden field. A POST passes only when the field matches the cookie
(compared in constant time). Signing the field means a cookie planted by a sibling host is
useless without the key, which only this process holds.

Before the token, the request's own word on where it comes from must agree:
- `Sec-Fetch-Site`, when sent (every current browser does), must be `same-origin`;
- `Origin`, when sent, must be the portal's own `base_url` origin, or `null`. Our pages send
  `Referrer-Policy: no-referrer`, and under that policy browsers post forms with
  `Origin: null` (Fetch standard, "serializing a request origin"); such a post then rests on
  Sec-Fetch-Site and the token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from sealgate.locale import _
from sealgate.portal.cookies import CSRF_COOKIE, read_cookie, set_csrf_cookie
from sealgate.portal.pages import Refusal, render

CSRF_FIELD = "csrf_token"


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, lower case, as browsers send it in Origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass(frozen=True)
class CsrfToken:
    cookie: str  # the value of the cookie
    field: str  # the value of the hidden form field
    is_new: bool  # the cookie must be (re)sent with this response


def refused(start: str | None = None) -> Refusal:
    return Refusal(
        403,
        _("This form could not be accepted"),
        _(
            "The page was too old or did not come from this site. Go back, reload the page "
            "and try again."
        ),
        start=start,
    )


class CsrfGuard:
    def __init__(self, key: bytes, base_url: str) -> None:
        self._key = key
        self._origin = origin_of(base_url)

    def _sign(self, cookie: str) -> str:
        return hmac.new(self._key, cookie.encode(), hashlib.sha256).hexdigest()

    def token_for(self, request: Request) -> CsrfToken:
        """The browser's token if it has one, else a fresh one to set with the response."""
        cookie = read_cookie(request, CSRF_COOKIE)
        if cookie is not None:
            return CsrfToken(cookie, self._sign(cookie), is_new=False)
        cookie = secrets.token_urlsafe(32)
        return CsrfToken(cookie, self._sign(cookie), is_new=True)

    def remember(self, response: Response, token: CsrfToken) -> Response:
        if token.is_new:
            set_csrf_cookie(response, token.cookie)
        return response

    def _comes_from_us(self, request: Request) -> bool:
        fetch_site = request.headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site.lower() != "same-origin":
            return False
        origin = request.headers.get("origin")
        return origin is None or origin.lower() in (self._origin, "null")

    async def checked_form(self, request: Request, start: str | None = None) -> FormData:
        """The posted form, once it passed the origin and token checks; else a 403 page."""
        self.check_origin(request, start)
        form = await request.form(max_files=0, max_fields=8, max_part_size=4096)
        self.check_token(request, form, start)
        return form

    def check_origin(self, request: Request, start: str | None = None) -> None:
        """The origin half of the check, before a large body is read (portal/reply.py)."""
        if not self._comes_from_us(request):
            raise refused(start)

    def check_token(self, request: Request, form: FormData, start: str | None = None) -> None:
        """The token half: the form's field must be the signature of the browser's cookie."""
        cookie = read_cookie(request, CSRF_COOKIE)
        field = form.get(CSRF_FIELD)
        if cookie is None or not isinstance(field, str):
            raise refused(start)
        if not hmac.compare_digest(field.encode(), self._sign(cookie).encode()):
            raise refused(start)


def guard_of(request: Request) -> CsrfGuard:
    """The app's guard (built once in `create_app`)."""
    guard: CsrfGuard = request.app.state.csrf
    return guard


def render_form(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    """A page with a form: its hidden `csrf` field, and the cookie when the browser has none."""
    guard = guard_of(request)
    token = guard.token_for(request)
    response = render(
        request, template, status=status, headers=headers, csrf=token.field, **context
    )
    return guard.remember(response, token)
