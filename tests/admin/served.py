"""The whole web app (portal, console, API, SCIM) served by uvicorn on its loopback port:
one helper for the API, console and SCIM tests (`tests/portal/served.py` does the serving)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sealgate.admin import create_web_app
from sealgate.bootstrap import Runtime
from tests.portal.served import served_app


@contextmanager
def served_web(rt: Runtime) -> Iterator[str]:
    """Serve `create_web_app(rt)` on [web] listen until the block ends; yields its base URL."""
    with served_app(rt, create_web_app(rt), "web-uvicorn") as url:
        yield url
