"""Message tracking: search, and one message's recipients, decision traces and actions.

GET  /admin/messages                  search by sender, recipient, received since (a date)
                                      and state (a recipient's or a queue job's), newest first
GET  /admin/messages/{id}             per recipient: method, delivery, state, opened, revoked,
                                      the jobs of its mail, and the decision trace as
                                      `sealgate explain` prints it (policy.explain_text)
POST /admin/messages/{id}/ACTION      revoke, unrevoke, expire, unlock, resend: see
                                      message_actions.py

Only metadata: the subject and body are in the encrypted content and never read here.
A message of an organisation the admin's roles do not reach is a 403, as is every search
for an admin without `messages.read`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sealgate.admin.console.access import Forbidden, NotFound, require
from sealgate.admin.console.pages import render
from sealgate.admin.console.sessions import Admin
from sealgate.admin.roles import Capability
from sealgate.bootstrap import Runtime
from sealgate.directory import link_closure
from sealgate.locale import _
from sealgate.policy import Decision, Step, explain_text
from sealgate.store import (
    MESSAGE_STATES,
    Message,
    MessageSummary,
    Organisation,
    OutboundJob,
    Recipient,
    list_messages,
    utcnow,
)

SEARCH_LIMIT = 100
_ROLE_ORDER = {"to": 0, "cc": 1, "bcc": 2}


@dataclass(frozen=True)
class RecipientView:
    id: str
    address: str
    role: str
    method: str
    delivery: str
    state: str
    closed: str | None  # revoked, expired, content_deleted; None: open
    opened_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None
    proven_level: str | None
    jobs: list[tuple[str, str, int, str]]  # kind, state, attempts, last error
    trace: tuple[Step, ...]


@dataclass(frozen=True)
class MessageView:
    id: str
    submission_id: str
    org_id: int
    org: str
    sender: str
    created_at: datetime
    revoked_for_everyone: bool
    recipients: list[RecipientView]
    explained: str  # the text `sealgate explain` prints for these decisions


def _since(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _search(rt: Runtime, admin: Admin, filters: dict[str, str]) -> list[MessageSummary]:
    scope = admin.principal.org_scope(Capability.MESSAGES_READ)
    if scope is not None and not scope:
        raise Forbidden(Capability.MESSAGES_READ)
    with rt.db.begin() as session:
        return list_messages(
            session,
            sender=filters["sender"] or None,
            recipient=filters["recipient"] or None,
            since=_since(filters["since"]),
            state=filters["state"] or None,
            limit=SEARCH_LIMIT,
            org_ids=scope,
        )


async def search_page(request: Request, admin: Admin) -> Response:
    query = request.query_params
    filters = {
        name: query.get(name, "").strip()[:320]
        for name in ("sender", "recipient", "since", "state")
    }
    error = None
    if filters["state"] and filters["state"] not in MESSAGE_STATES:
        filters["state"] = ""
        error = _("That is not a state a message can be in.")
    if filters["since"] and _since(filters["since"]) is None:
        filters["since"] = ""
        error = _("Type the date as YYYY-MM-DD.")
    searched = any(filters.values())
    found = await run_in_threadpool(_search, request.app.state.rt, admin, filters)
    return render(
        request,
        "messages.html",
        status=400 if error else 200,
        admin=admin,
        filters=filters,
        states=MESSAGE_STATES,
        found=found,
        searched=searched,
        error=error,
    )


def find_message(session: Session, admin: Admin, ident: str, capability: Capability) -> Message:
    """The message by its id or its submission's; NotFound, or Forbidden without `capability`."""
    message = session.get(Message, ident) or session.scalar(
        select(Message).where(Message.submission_id == ident)
    )
    if message is None:
        raise NotFound(ident)
    require(admin, capability, message.org_id)
    return message


def _jobs(session: Session, message: Message) -> dict[str, list[tuple[str, str, int, str]]]:
    found: dict[str, list[tuple[str, str, int, str]]] = {}
    query = (
        select(OutboundJob)
        .where(OutboundJob.submission_id == message.submission_id)
        .order_by(OutboundJob.created_at, OutboundJob.id)
    )
    for job in session.scalars(query):
        if job.recipient_id is not None:
            found.setdefault(job.recipient_id, []).append(
                (job.kind, job.state, job.attempts, job.last_error)
            )
    return found


def _decision(row: Recipient) -> Decision:
    steps = tuple(Step.from_json(step) for step in (row.decision or {}).get("trace", []))
    return Decision(row.method, row.delivery, steps)


def _view(session: Session, message: Message) -> MessageView:
    now = utcnow()
    jobs = _jobs(session, message)
    rows = session.scalars(select(Recipient).where(Recipient.message_id == message.id)).all()
    rows = sorted(
        rows, key=lambda row: (row.conversation_id, _ROLE_ORDER.get(row.role, 3), row.address)
    )
    recipients = []
    conversations: dict[str, list[tuple[str, Decision]]] = {}
    for row in rows:
        decision = _decision(row)
        conversations.setdefault(row.conversation_id, []).append((row.address, decision))
        closure = link_closure(row.revoked_at, row.expires_at, now, message.content_deleted_at)
        recipients.append(
            RecipientView(
                id=row.id,
                address=row.address,
                role=row.role,
                method=row.method,
                delivery=row.delivery,
                state=row.state,
                closed=closure.reason if closure is not None else None,
                opened_at=row.opened_at,
                revoked_at=row.revoked_at,
                expires_at=row.expires_at,
                proven_level=row.proven_level,
                jobs=jobs.get(row.id, []),
                trace=decision.trace,
            )
        )
    return MessageView(
        id=message.id,
        submission_id=message.submission_id,
        org_id=message.org_id,
        org=session.get_one(Organisation, message.org_id).name,
        sender=message.sender_address,
        created_at=message.created_at,
        revoked_for_everyone=message.revoked_for_everyone,
        recipients=recipients,
        explained=explain_text(list(conversations.values())),
    )


def _read(rt: Runtime, admin: Admin, ident: str) -> MessageView:
    with rt.db.begin() as session:
        return _view(session, find_message(session, admin, ident, Capability.MESSAGES_READ))


def _done(key: str) -> str | None:
    sentences = {
        "revoked": _("The message's links were revoked."),
        "unrevoked": _("The links were reopened."),
        "expiry": _("The links' expiry was set."),
        "unlocked": _("The recipient was unlocked."),
        "resent": _("A new notification was queued for the recipient."),
    }
    return sentences.get(key)


async def message_page(request: Request, admin: Admin, *, error: str | None = None) -> Response:
    ident = str(request.path_params["message_id"])[:64]
    view = await run_in_threadpool(_read, request.app.state.rt, admin, ident)
    may = admin.principal.may
    return render(
        request,
        "message.html",
        status=400 if error else 200,
        admin=admin,
        message=view,
        error=error,
        done=None if error else _done(request.query_params.get("done", "")),
        may_revoke=may(Capability.MESSAGES_REVOKE, view.org_id),
        may_unlock=may(Capability.RECIPIENTS_UNLOCK, view.org_id),
        may_resend=may(Capability.RECIPIENTS_RESEND, view.org_id),
        may_evidence=may(Capability.EVIDENCE_READ, view.org_id),
    )
