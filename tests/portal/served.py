"""The portal served by uvicorn on its loopback port, with the settings `sealgate serve` uses.

For tests that need a real socket: parallel requests, slow clients. uvicorn runs in a thread
of the test process (like tests/portal/test_browser.py); its event loop and threads are the
server's, so parallel requests from the test really run in parallel against the database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from sealgate.bootstrap import Runtime
from sealgate.config import split_hostport
from sealgate.portal import create_app, portal_config


@contextmanager
def served_app(rt: Runtime, app: ASGIApp, name: str = "portal-uvicorn") -> Iterator[str]:
    """Serve `app` with `sealgate serve`'s uvicorn settings on `rt`'s [web] listen until the
    block ends; yields the base URL. The admin tests serve the whole web app this way."""
    host, port = split_hostport(rt.settings.web.listen)
    server = uvicorn.Server(portal_config(app, rt.settings.web, host=host, port=port))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield rt.settings.web.base_url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        assert not thread.is_alive()


@contextmanager
def served_portal(rt: Runtime) -> Iterator[str]:
    """Serve `rt`'s portal on [web] listen until the block ends; yields its base URL."""
    with served_app(rt, create_app(rt)) as url:
        yield url
