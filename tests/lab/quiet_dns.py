"""A resolver on 127.0.0.1 that answers NXDOMAIN to everything, at once.

Tests that do not care about DNS point `[transport] resolver` here, so that no test asks the
machine's own resolver (not loopback) and none waits for a time-out.
"""

from __future__ import annotations

import socket
import threading

import dns.message
import dns.rcode

_server: socket.socket | None = None
_lock = threading.Lock()


def _serve(sock: socket.socket) -> None:
    while True:
        data, peer = sock.recvfrom(4096)
        try:
            reply = dns.message.make_response(dns.message.from_wire(data))
        except Exception:  # noqa: BLE001 - not a DNS query: ignore it
            continue
        reply.set_rcode(dns.rcode.NXDOMAIN)
        sock.sendto(reply.to_wire(), peer)


def quiet_resolver() -> str:
    """ "127.0.0.1:PORT" of the process-wide quiet resolver, started on first use."""
    global _server
    with _lock:
        if _server is None:
            _server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            _server.bind(("127.0.0.1", 0))
            threading.Thread(target=_serve, args=(_server,), daemon=True).start()
        return f"127.0.0.1:{_server.getsockname()[1]}"
