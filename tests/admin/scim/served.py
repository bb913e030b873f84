"""The whole web app (portal, console, API, SCIM) served by uvicorn on a free loopback port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from sealgate.admin import create_web_app
from sealgate.bootstrap import Runtime
from sealgate.config import split_hostport
from sealgate.portal import portal_config


@contextmanager
def served_web(rt: Runtime) -> Iterator[str]:
    """Serve `create_web_app(rt)` on [web] listen until the block ends; yields its base URL."""
    host, port = split_hostport(rt.settings.web.listen)
    server = uvicorn.Server(
        portal_config(create_web_app(rt), rt.settings.web, host=host, port=port)
    )
    thread = threading.Thread(target=server.run, name="web-uvicorn", daemon=True)
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
