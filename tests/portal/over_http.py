"""A guest's browser over a real socket: the portal served by uvicorn, httpx talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from sealgate.bootstrap import Runtime
from sealgate.intake import parse_mime, readable_from
from tests.conftest import Sender
from tests.portal.guest import GuestBrowser
from tests.portal.recipients import Guest, Spec, store_readable
from tests.portal.served import served_portal


@asynccontextmanager
async def http_browser(rt: Runtime) -> AsyncIterator[GuestBrowser]:
    """A GuestBrowser whose requests go over TCP to the portal served on [web] listen."""
    with served_portal(rt) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=15) as client:
            yield GuestBrowser(client)


def store_mail(rt: Runtime, sender: Sender, raw: bytes, address: str = "bob@example.org") -> Guest:
    """`raw` read by intake's MIME reader (pictures into the vault), stored for `address`."""
    readable = readable_from(parse_mime(raw), raw, rt.vault)
    return store_readable(rt, sender, readable, [Spec(address)])[address]
