"""How often account links may be asked for: per address and per client, in the database.

"Forgot password" and "send me an invitation" each mail a link, so a stranger could use them
to flood someone's mailbox or our queue. Each request counts once against its address and
once against its client (the connecting IP) in `account_link_requests`, in ONE statement:
an `INSERT … ON CONFLICT DO UPDATE … RETURNING` over both rows, which starts a new window
where the old one is over and otherwise adds one. The counts it returns decide, so parallel
requests in any number of processes never get past the limit together. Unknown addresses are
counted exactly like real ones: being limited says nothing about whether an account exists.
Keys are SHA-256 of (scope, value), so no address or IP is kept in the clear.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sealgate.config import AccountSettings
from sealgate.mail import address_key
from sealgate.store import AccountLinkRequest


@dataclass(frozen=True)
class LinkRequestLimits:
    per_address: int
    per_client: int
    window: timedelta

    @classmethod
    def of(cls, settings: AccountSettings) -> LinkRequestLimits:
        return cls(
            settings.link_requests_per_address,
            settings.link_requests_per_client,
            timedelta(seconds=settings.link_request_window),
        )


def _key(scope: str, value: str) -> str:
    return hashlib.sha256(f"{scope}\0{value}".encode()).hexdigest()


def take_link_request(
    session: Session, address: str, client: str, now: datetime, limits: LinkRequestLimits
) -> bool:
    """Count one request for `address` and for `client`; True while both are within limits."""
    address_row = _key("address", address_key(address))
    client_row = _key("client", client)
    table = AccountLinkRequest.__table__
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    statement = dialect.insert(table).values(
        [
            {"key": address_row, "requests": 1, "window_started_at": now},
            {"key": client_row, "requests": 1, "window_started_at": now},
        ]
    )
    stale = table.c.window_started_at <= now - limits.window
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "requests": case((stale, 1), else_=table.c.requests + 1),
            "window_started_at": case((stale, now), else_=table.c.window_started_at),
        },
    ).returning(table.c.key, table.c.requests)
    counts: dict[str, int] = {key: int(n) for key, n in session.execute(statement)}
    _forget_old(session, now, limits.window)
    return counts[address_row] <= limits.per_address and counts[client_row] <= limits.per_client


def _forget_old(session: Session, now: datetime, window: timedelta) -> None:
    """Rows whose window is over count nothing any more."""
    session.execute(
        delete(AccountLinkRequest).where(AccountLinkRequest.window_started_at <= now - window)
    )
