"""`/metrics` (Prometheus text) and one log event per portal request.

The request event names the route template (`/m/{token}/read`), never the path: the path
holds the recipient's link token, which opens the message. Method, status and duration go
with it, and into `sealgate_portal_requests` / `sealgate_portal_request_seconds`.
`/metrics` adds the queue gauges, read from the database at scrape time (queue_gauges.py).
Keep it off the public side of the reverse proxy: it says how much mail flows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sealgate.bootstrap import Runtime
from sealgate.observe import QueueGauges, metrics, metrics_text

log = logging.getLogger("sealgate.portal.request")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNMATCHED = "(unmatched)"


async def metrics_page(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    body = await run_in_threadpool(metrics_text, QueueGauges(rt.db))
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The path pattern of the route that takes `scope`, e.g. "/m/{token}"; never the path."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", UNMATCHED)) or UNMATCHED
    for route in routes:  # a known path with another method: 405, still the template
        match, _ = route.matches(scope)
        if match is Match.PARTIAL:
            return str(getattr(route, "path", UNMATCHED)) or UNMATCHED
    return UNMATCHED


class RequestLog:
    """ASGI middleware: count, time and log each HTTP request by its route template."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self._record(scope, status, time.monotonic() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = route_template(self.routes, scope)
        method = str(scope.get("method", ""))
        metrics().portal_requests.labels(method=method, route=route, status=str(status)).inc()
        metrics().portal_request_seconds.labels(route=route).observe(seconds)
        duration_ms = round(seconds * 1000, 1)
        log.info(
            "%s %s %d %.1f ms",
            method,
            route,
            status,
            duration_ms,
            extra={"method": method, "route": route, "status": status, "duration_ms": duration_ms},
        )
