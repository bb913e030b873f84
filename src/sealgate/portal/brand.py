"""The organisation's look on the portal: which organisation a page belongs to, and its
logo and colour served from our own origin.

`BrandChooser` (ASGI middleware) looks at the path: a message link `/m/<token>/…` belongs
to the organisation that sent the message, and so does an inbox message
`/inbox/<recipient id>/…` (a random 128-bit id); an account link `/account/<token>` belongs to
the account's organisation. It puts that organisation's `BrandInfo` in a context variable for
the whole request, and `pages.render` hands it to every template; other pages (the front
page, /login) keep the neutral look. The look is public (every notification carries it), so
looking it up tells a token's holder nothing new, and a token that leads nowhere gets the
neutral look like any other page.

The logo and the accent are separate same-origin resources, so the page policy stays as
strict as ever (`style-src 'self'; img-src 'self'`, no inline style): `/brand/<org>/logo`
and `/brand/<org>/brand.css`. Both carry their version in the URL the page links (`?v=`),
so they may be cached for a day; an SVG logo is served with its own policy that runs and
loads nothing even when opened on its own, and the pages only ever show it through `<img>`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sealgate.bootstrap import Runtime
from sealgate.directory import (
    SVG_TYPE,
    BrandInfo,
    DirectoryError,
    brand_of,
    find_account_link,
    stored_logo,
)
from sealgate.notify import hash_token
from sealgate.store import Account, LinkToken, Message, Recipient, utcnow

# A day: the page links the current version, so a change shows on the next page anyway.
CACHE_CONTROL = "public, max-age=86400"
# An SVG opened on its own (not through <img>) still runs nothing and loads nothing.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
_MAX_TOKEN_LENGTH = 100

_brand: ContextVar[BrandInfo | None] = ContextVar("sealgate_brand", default=None)


def current_brand() -> BrandInfo | None:
    """The look of the organisation this request's page belongs to; None: the neutral look."""
    return _brand.get()


@contextmanager
def use_brand(brand: BrandInfo | None) -> Iterator[None]:
    token = _brand.set(brand)
    try:
        yield
    finally:
        _brand.reset(token)


def page_org(rt: Runtime, path: str) -> BrandInfo | None:
    """The look of the organisation a portal path belongs to, if it names one."""
    parts = path.split("/")
    if len(parts) < 3 or not parts[2] or len(parts[2]) > _MAX_TOKEN_LENGTH:
        return None
    with rt.db.begin() as session:
        org_id: int | None = None
        if parts[1] == "m":
            org_id = session.scalar(
                select(Message.org_id)
                .join(Recipient, Recipient.message_id == Message.id)
                .join(LinkToken, LinkToken.recipient_id == Recipient.id)
                .where(LinkToken.token_hash == hash_token(parts[2]))
            )
        elif parts[1] == "inbox":
            org_id = session.scalar(
                select(Message.org_id)
                .join(Recipient, Recipient.message_id == Message.id)
                .where(Recipient.id == parts[2])
            )
        elif parts[1] == "account" and len(parts) == 3:
            link = find_account_link(session, parts[2], utcnow())
            if link is not None:
                org_id = session.scalar(select(Account.org_id).where(Account.id == link.account_id))
        return brand_of(session, org_id) if org_id is not None else None


class BrandChooser:
    """ASGI middleware: pages of a message or account link show its organisation's look."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(("/m/", "/inbox/", "/account/")):
            await self.app(scope, receive, send)
            return
        rt: Runtime = scope["app"].state.rt
        brand = await run_in_threadpool(page_org, rt, path)
        with use_brand(brand):
            await self.app(scope, receive, send)


def _fresh(request: Request, etag: str) -> bool:
    return request.headers.get("if-none-match") == etag


def _logo(rt: Runtime, org_id: int) -> tuple[bytes, str] | None:
    with rt.db.begin() as session:
        logo = stored_logo(session, org_id)
    return (logo.content, logo.content_type) if logo else None


async def logo_file(request: Request) -> Response:
    """GET /brand/{org_id}/logo: the organisation's checked logo (404 when it has none)."""
    rt: Runtime = request.app.state.rt
    found = await run_in_threadpool(_logo, rt, request.path_params["org_id"])
    if found is None:
        return Response(status_code=404)
    content, content_type = found
    etag = f'"{hashlib.sha256(content).hexdigest()[:32]}"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if content_type == SVG_TYPE:
        headers["Content-Security-Policy"] = SVG_POLICY
    if _fresh(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=content_type, headers=headers)


def _accent(rt: Runtime, org_id: int) -> str:
    with rt.db.begin() as session:
        try:
            return brand_of(session, org_id).accent
        except DirectoryError:
            return ""


async def brand_style(request: Request) -> Response:
    """GET /brand/{org_id}/brand.css: the accent as the `--accent` custom property."""
    rt: Runtime = request.app.state.rt
    accent = await run_in_threadpool(_accent, rt, request.path_params["org_id"])
    if not accent:
        return Response(status_code=404)
    etag = f'"{accent[1:]}"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if _fresh(request, etag):
        return Response(status_code=304, headers=headers)
    # The accent was checked as #rrggbb when it was set; nothing else reaches this sheet.
    return Response(f":root {{ --accent: {accent}; }}\n", media_type="text/css", headers=headers)
