"""The console's front page, /admin: what the gateway did and what waits.

- messages per day per method, for the last 14 days (a message counts once per method its
  recipients got);
- the transport levels that recipient domains reached, from the probe cache (how many
  domains at each level, unexpired probes only);
- failures in the same 14 days: outbound mails bounced and deferred;
- queue depth and the age of the oldest row per waiting state (as `sealgate_queue_*` in
  /metrics counts them).
Each part shows only what the admin's roles reach: an organisation role sees its own
organisation's messages and queue; the probe cache (domains, no organisation) needs
`probes.read` somewhere. Dates are UTC days.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sealgate.admin.console.access import Forbidden
from sealgate.admin.console.pages import render
from sealgate.admin.console.sessions import Admin
from sealgate.admin.roles import Capability
from sealgate.bootstrap import Runtime
from sealgate.store import (
    JobState,
    Message,
    OutboundJob,
    Recipient,
    RecipientState,
    Submission,
    SubmissionState,
    TransportProbe,
    utcnow,
)

DAYS = 14
WAITING_JOBS = (JobState.INCOMING, JobState.ACTIVE, JobState.DEFERRED, JobState.HOLD)
WAITING_RECIPIENTS = (RecipientState.UNDECIDED, RecipientState.AWAITING_PROBE)
WAITING_SUBMISSIONS = (SubmissionState.INCOMING, SubmissionState.HOLD)


@dataclass(frozen=True)
class Waiting:
    queue: str
    state: str
    count: int
    oldest_seconds: int


@dataclass(frozen=True)
class Dashboard:
    days: list[str]
    methods: list[str]
    per_day: dict[str, dict[str, int]]  # day -> method -> messages
    levels: list[tuple[str, int]] | None  # None: the admin may not read probes
    bounced: int
    deferred: int
    queue: list[Waiting]


def _in(column: Any, scope: Collection[int] | None) -> ColumnElement[bool]:
    return true() if scope is None else column.in_(sorted(scope))


def _per_day(
    session: Session, scope: Collection[int] | None, since: datetime
) -> dict[str, dict[str, int]]:
    day = func.date(Recipient.created_at)
    rows = session.execute(
        select(day, Recipient.method, func.count(func.distinct(Recipient.message_id)))
        .join(Message, Message.id == Recipient.message_id)
        .where(Recipient.created_at >= since, _in(Message.org_id, scope))
        .group_by(day, Recipient.method)
    )
    found: dict[str, dict[str, int]] = {}
    for when, method, count in rows:
        found.setdefault(str(when)[:10], {})[method] = int(count)
    return found


def _levels(session: Session, now: datetime) -> list[tuple[str, int]]:
    rows = session.execute(
        select(TransportProbe.level, func.count())
        .where(TransportProbe.expires_at > now)
        .group_by(TransportProbe.level)
    )
    order = ["none", "tls", "pkix", "pane", "dane"]
    counted = dict((str(level), int(count)) for level, count in rows)
    return [(level, counted.get(level, 0)) for level in order] + [
        (level, count) for level, count in sorted(counted.items()) if level not in order
    ]


def _jobs_in(
    session: Session, scope: Collection[int] | None, states: tuple[str, ...], since: datetime | None
) -> Any:
    query = (
        select(OutboundJob.state, func.count(), func.min(OutboundJob.created_at))
        .outerjoin(Submission, Submission.id == OutboundJob.submission_id)
        .where(OutboundJob.state.in_([str(s) for s in states]), _in(Submission.org_id, scope))
        .group_by(OutboundJob.state)
    )
    if since is not None:
        query = query.where(OutboundJob.updated_at >= since)
    return session.execute(query).all()


def _queue(session: Session, scope: Collection[int] | None, now: datetime) -> list[Waiting]:
    parts = [
        (
            "submissions",
            _grouped(
                session,
                Submission.state,
                Submission.received_at,
                WAITING_SUBMISSIONS,
                _in(Submission.org_id, scope),
            ),
        ),
        ("recipients", _grouped_recipients(session, scope)),
        ("outbound_jobs", _jobs_in(session, scope, WAITING_JOBS, None)),
    ]
    waiting = []
    for queue, rows in parts:
        for state, count, first in rows:
            age = int((now - first).total_seconds()) if first is not None else 0
            waiting.append(Waiting(queue, str(state), int(count), max(age, 0)))
    return sorted(waiting, key=lambda item: (item.queue, item.state))


def _grouped(
    session: Session, state: Any, since: Any, states: tuple[str, ...], where: ColumnElement[bool]
) -> Any:
    return session.execute(
        select(state, func.count(), func.min(since))
        .where(state.in_([str(s) for s in states]), where)
        .group_by(state)
    ).all()


def _grouped_recipients(session: Session, scope: Collection[int] | None) -> Any:
    return session.execute(
        select(Recipient.state, func.count(), func.min(Recipient.created_at))
        .join(Message, Message.id == Recipient.message_id)
        .where(
            Recipient.state.in_([str(s) for s in WAITING_RECIPIENTS]), _in(Message.org_id, scope)
        )
        .group_by(Recipient.state)
    ).all()


def read_dashboard(rt: Runtime, admin: Admin) -> Dashboard:
    messages_scope = admin.principal.org_scope(Capability.MESSAGES_READ)
    queue_scope = admin.principal.org_scope(Capability.QUEUE_READ)
    probes_scope = admin.principal.org_scope(Capability.PROBES_READ)
    if messages_scope is not None and not messages_scope:
        raise Forbidden(Capability.MESSAGES_READ)
    now = utcnow()
    today = now.date()
    first_day = today - timedelta(days=DAYS - 1)
    since = datetime.combine(first_day, datetime.min.time())
    with rt.db.begin() as session:
        per_day = _per_day(session, messages_scope, since)
        levels = _levels(session, now) if probes_scope is None or probes_scope else None
        failures = {
            str(state): int(count)
            for state, count, _ in _jobs_in(
                session, queue_scope, (JobState.BOUNCED, JobState.DEFERRED), since
            )
        }
        queue = _queue(session, queue_scope, now) if queue_scope is None or queue_scope else []
    days = [(first_day + timedelta(days=n)).isoformat() for n in range(DAYS)]
    methods = sorted({method for counts in per_day.values() for method in counts})
    return Dashboard(
        days=days,
        methods=methods,
        per_day=per_day,
        levels=levels,
        bounced=failures.get(JobState.BOUNCED, 0),
        deferred=failures.get(JobState.DEFERRED, 0),
        queue=queue,
    )


def day_label(day: str) -> date:
    return date.fromisoformat(day)


async def dashboard_page(request: Request, admin: Admin) -> Response:
    board = await run_in_threadpool(read_dashboard, request.app.state.rt, admin)
    return render(request, "dashboard.html", admin=admin, board=board)
