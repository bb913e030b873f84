"""What happened to each recipient of a sent message, read from its evidence and its rows.

The sender's view (sent.py) shows per recipient: the method; notified, or delivered directly
with the transport facts of the attempt that delivered it (host, TLS version, cipher, level,
DANE and PKIX verdict); opened (first, last, how often); attachments downloaded; replied;
bounced or deferred with the remote reply; withdrawn or expired, and since when. The
evidence chain (evidence/) is the source of each fact, so the view and the proof-of-delivery
report can never disagree; the recipient row fills in what predates the chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sealgate.directory import LinkClosure, link_closure
from sealgate.evidence import DELIVERY_ATTEMPT, DOWNLOADED, OPENED, Event
from sealgate.store import Recipient

_EVENT_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
# The attempts that reach the recipient with the message or its notification; a code mail
# or a DSN says nothing about whether the message itself arrived.
_OWN_MAILS = ("notification", "direct")
_PROBLEMS = ("deferred", "bounced")


def event_time(event: Event) -> datetime:
    """An event's time as naive UTC (the database's form)."""
    return datetime.strptime(event.at, _EVENT_TIME)


@dataclass(frozen=True)
class DirectDelivery:
    """The attempt that put the message into the recipient's own mailbox."""

    at: datetime
    host: str
    ip: str
    tls_version: str
    cipher: str
    level: str
    dane_match: bool | None
    verdict: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """The last attempt of the message or its notification failed: `kind` deferred or
    bounced, with the remote reply (or the queue's own reason) as `reason`."""

    kind: str
    reason: str
    at: datetime | None


@dataclass(frozen=True)
class RecipientView:
    """One recipient as the sender sees it (module docstring)."""

    recipient_id: str
    address: str
    role: str
    method: str
    delivery: str
    decided: bool
    notified_at: datetime | None = None
    direct: DirectDelivery | None = None
    problem: Problem | None = None
    opened_first: datetime | None = None
    opened_last: datetime | None = None
    opened_count: int = 0
    downloads: tuple[tuple[int, datetime], ...] = ()  # (attachment index, when)
    replied_at: datetime | None = None
    closure: LinkClosure | None = None
    expires_at: datetime | None = None
    # Attachment names by index, filled in by the page from the readable form.
    attachment_names: tuple[str, ...] = field(default=())

    @property
    def revocable(self) -> bool:
        """Only a link can be withdrawn; a directly delivered copy is the recipient's own."""
        return self.delivery == "notification" and self.closure is None

    @property
    def revoked(self) -> bool:
        return self.closure is not None and self.closure.reason == "revoked"

    def attachment_name(self, index: int) -> str:
        if 0 <= index < len(self.attachment_names):
            return self.attachment_names[index]
        return f"#{index + 1}"


def _direct(event: Event) -> DirectDelivery:
    details: dict[str, Any] = event.details
    return DirectDelivery(
        at=event_time(event),
        host=str(details.get("host") or ""),
        ip=str(details.get("ip") or ""),
        tls_version=str(details.get("tls_version") or ""),
        cipher=str(details.get("cipher") or ""),
        level=str(details.get("level") or ""),
        dane_match=details.get("dane_match"),
        verdict=tuple(str(reason) for reason in details.get("verdict") or ()),
    )


def _problem(last: Event | None, job_states: dict[str, str]) -> Problem | None:
    """The failure of the last own attempt, or of a job that ended without one."""
    if last is not None and last.details.get("result") in _PROBLEMS:
        return Problem(str(last.details["result"]), str(last.details.get("reply", "")), None)
    for kind in _PROBLEMS:
        if kind in job_states:
            return Problem(kind, job_states[kind], None)
    return None


def recipient_view(
    row: Recipient,
    events: list[Event],
    job_states: dict[str, str],
    now: datetime,
    content_deleted_at: datetime | None = None,
) -> RecipientView:
    """The view of recipient `row` from its own `events` (in seq order) and the states of
    its notification or direct jobs ({state: last error})."""
    own = [e for e in events if e.kind == DELIVERY_ATTEMPT and e.details.get("mail") in _OWN_MAILS]
    delivered = [e for e in own if e.details.get("result") == "delivered"]
    notified = [e for e in delivered if e.details.get("mail") == "notification"]
    direct = [e for e in delivered if e.details.get("mail") == "direct"]
    opened = [event_time(e) for e in events if e.kind == OPENED]
    first = opened[0] if opened else row.opened_at
    problem = None if delivered else _problem(own[-1] if own else None, job_states)
    if problem is not None and own and own[-1].details.get("result") in _PROBLEMS:
        problem = Problem(problem.kind, problem.reason, event_time(own[-1]))
    return RecipientView(
        recipient_id=row.id,
        address=row.address,
        role=row.role,
        method=row.method,
        delivery=row.delivery,
        decided=row.state == "decided",
        notified_at=event_time(notified[0]) if notified else None,
        direct=_direct(direct[-1]) if direct else None,
        problem=problem,
        opened_first=first,
        opened_last=opened[-1] if opened else row.opened_at,
        opened_count=len(opened) or (1 if row.opened_at else 0),
        downloads=tuple(
            (int(e.details.get("index", 0)), event_time(e)) for e in events if e.kind == DOWNLOADED
        ),
        replied_at=row.replied_at,
        closure=link_closure(row.revoked_at, row.expires_at, now, content_deleted_at),
        expires_at=row.expires_at,
    )
