"""Connection limits, like Postfix's anvil: open connections in total and per client, and a rate.

Each SMTP connection holds a file handle, which this process shares with the portal and the
database; about 20,000 idle connections once used them all up. `ClientConnections` admits a
new connection or names the limit it would break. It is pure (the clock reading comes in as
`now`) and per process on purpose: file handles are a resource of this process, and a
database write per connection attempt would hand a flood of connections to the database.

A client is its address key (auth.client_key: IPv4 address, IPv6 /64). The rate counts the
connections admitted in the last 60 seconds; refused attempts are not counted, so a client
that backs off gets back in as soon as its window allows.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

RATE_WINDOW_SECONDS = 60.0
# Forget clients without open connections or recent ones when this many are tracked.
SWEEP_MIN_CLIENTS = 1024


class ConnectionRefusal(enum.Enum):
    """Which limit a new connection would break."""

    TOTAL = "total"
    PER_CLIENT = "per-client"
    RATE = "rate"


@dataclass(frozen=True)
class ConnectionLimits:
    """max_total > 0; per_client and rate_per_minute 0 mean no limit."""

    max_total: int
    per_client: int
    rate_per_minute: int


class ClientConnections:
    """Open and recent connections per client; `admit` before serving, `release` at the end."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.total = 0
        self._open: dict[str, int] = {}
        self._recent: dict[str, deque[float]] = {}
        self._sweep_at = SWEEP_MIN_CLIENTS

    def admit(self, client: str, now: float) -> ConnectionRefusal | None:
        """Count a new connection, or say which limit refuses it (then nothing is counted)."""
        if self.total >= self.limits.max_total:
            return ConnectionRefusal.TOTAL
        per_client = self.limits.per_client
        if per_client and self._open.get(client, 0) >= per_client:
            return ConnectionRefusal.PER_CLIENT
        recent = self._recent_for(client, now)
        rate = self.limits.rate_per_minute
        if rate and len(recent) >= rate:
            return ConnectionRefusal.RATE
        if rate:
            recent.append(now)
            self._recent[client] = recent
        self._open[client] = self._open.get(client, 0) + 1
        self.total += 1
        if len(self._recent) + len(self._open) > self._sweep_at:
            self._sweep(now)
        return None

    def release(self, client: str) -> None:
        """A connection `admit` let in has ended."""
        count = self._open.get(client, 0)
        if count <= 0:
            return
        self.total -= 1
        if count == 1:
            del self._open[client]
        else:
            self._open[client] = count - 1

    def open_for(self, client: str) -> int:
        return self._open.get(client, 0)

    def _recent_for(self, client: str, now: float) -> deque[float]:
        recent = self._recent.get(client, deque())
        while recent and recent[0] <= now - RATE_WINDOW_SECONDS:
            recent.popleft()
        if not recent:
            self._recent.pop(client, None)
        return recent

    def _sweep(self, now: float) -> None:
        for client in list(self._recent):
            self._recent_for(client, now)
        self._sweep_at = max(SWEEP_MIN_CLIENTS, 2 * (len(self._recent) + len(self._open)))
