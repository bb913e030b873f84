"""The portal's HTTP server settings: uvicorn with a deadline for every request.

uvicorn has keep-alive and concurrency limits but no header timeout: a client that sends its
request head one byte a second holds a connection (and a file handle) for as long as it
likes. `RequestDeadlineProtocol` is uvicorn's h11 protocol with one timer: a connection that
is waiting for a request (just opened, or its first byte of a new request arrived) must
deliver the whole request, head and body, within `[web] request_timeout` seconds, or it gets
`408 Request Timeout` (when nothing of a response has started) and is closed. Between
requests uvicorn's own `timeout_keep_alive` applies; a request head larger than
`max_header_bytes` gets 400 from h11. Past `max_connections` open connections new requests
get 503 rather than queueing without end. Running out of file handles does not stop the
server: asyncio's accept loop logs the EMFILE and tries again a second later.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from sealgate.config import WebSettings

REQUEST_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: 16\r\n\r\nRequest timeout\n"
)
# h11 states in which a request is still coming in.
_RECEIVING = (h11.IDLE, h11.SEND_BODY)


class RequestDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol; a request must arrive whole within `request_timeout` seconds."""

    request_timeout = 20.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._arm()  # the first bytes of a (next) request
        super().data_received(data)
        if self.conn.their_state not in _RECEIVING:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.request_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or self.conn.their_state not in _RECEIVING:
            return
        if self.conn.our_state is h11.IDLE:
            self.transport.write(REQUEST_TIMEOUT_RESPONSE)
        self.transport.close()


def portal_config(app: Any, web: WebSettings, **options: Any) -> uvicorn.Config:
    """The uvicorn Config for the portal (and the demo's pages), with [web]'s limits."""
    protocol = type(
        "PortalHttpProtocol", (RequestDeadlineProtocol,), {"request_timeout": web.request_timeout}
    )
    return uvicorn.Config(
        app,
        http=protocol,
        timeout_keep_alive=web.keepalive_timeout,
        limit_concurrency=web.max_connections,
        backlog=web.backlog,
        h11_max_incomplete_event_size=web.max_header_bytes,
        log_level="warning",
        access_log=False,
        lifespan="off",
        **options,
    )
