"""sealgate message show ID / message list: what was decided for stored messages.

`list` gives the newest messages (sender, recipients, time) with optional filters; the
subject is only in the encrypted content, so it is null there.

ID is a message id or the id of the submission it was made from. Shows the sender, the
conversations, each recipient's method, delivery, decision trace and opening, and the
outbound jobs; never the subject or the body.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sealgate.cli import evidence
from sealgate.cli.common import CliError, common_options, emit, unit_of_work
from sealgate.store import (
    Conversation,
    Message,
    MessageSummary,
    Organisation,
    OutboundJob,
    Recipient,
    Submission,
    list_messages,
)

_ROLE_ORDER = {"to": 0, "cc": 1, "bcc": 2}


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("message", help="inspect stored messages (never their content)")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", parents=[common_options()], help="decisions and queue state")
    show.add_argument("id", help="a message id or a submission id")
    show.set_defaults(run=run_show)
    listing = actions.add_parser("list", parents=[common_options()], help="the newest messages")
    listing.add_argument("--from", dest="sender", metavar="ADDR", help="only those ADDR sent")
    listing.add_argument("--to", dest="recipient", metavar="ADDR", help="only those sent to ADDR")
    listing.add_argument("--since", metavar="ISO8601", help="only those received at or after")
    listing.add_argument("--limit", default="50", metavar="N", help="at most N (default 50)")
    listing.set_defaults(run=run_list)
    evidence.register(actions, _find_message)


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _find_message(session: Session, ident: str) -> Message:
    ident = ident.strip()
    message = session.get(Message, ident) or session.scalar(
        select(Message).where(Message.submission_id == ident)
    )
    if message is not None:
        return message
    submission = session.get(Submission, ident)
    if submission is None:
        raise CliError(f"no message or submission with id {ident!r}")
    error = f": {submission.error}" if submission.error else ""
    raise CliError(f"submission {ident} is {submission.state}; no message was made of it{error}")


def _recipient(row: Recipient) -> dict[str, Any]:
    return {
        "id": row.id,
        "address": row.address,
        "role": row.role,
        "method": row.method,
        "delivery": row.delivery,
        "trace": list(row.decision.get("trace", [])),
        "opened_at": _when(row.opened_at),
    }


def _conversations(session: Session, message: Message) -> list[dict[str, Any]]:
    """To/Cc conversation first, then each Bcc one; recipients in role, then address order."""
    by_conversation: dict[str, list[Recipient]] = {}
    for row in session.scalars(select(Recipient).where(Recipient.message_id == message.id)):
        by_conversation.setdefault(row.conversation_id, []).append(row)
    conversations = []
    for conversation in session.scalars(
        select(Conversation).where(Conversation.message_id == message.id)
    ):
        recipients = sorted(
            by_conversation.get(conversation.id, []),
            key=lambda row: (_ROLE_ORDER.get(row.role, 3), row.address),
        )
        conversations.append(
            {
                "id": conversation.id,
                "kind": conversation.kind,
                "recipients": [_recipient(row) for row in recipients],
            }
        )
    return sorted(
        conversations,
        key=lambda item: (item["kind"] != "to_cc", [r["address"] for r in item["recipients"]]),
    )


def _job(job: OutboundJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "recipient_id": job.recipient_id,
        "rcpt_to": job.rcpt_to,
        "state": job.state,
        "required_level": job.required_level,
        "attempts": job.attempts,
        "next_attempt_at": _when(job.next_attempt_at),
        "expires_at": _when(job.expires_at),
        "last_error": job.last_error,
        "updated_at": _when(job.updated_at),
    }


def _jobs(session: Session, message: Message, recipient_ids: list[str]) -> list[dict[str, Any]]:
    """Every queued mail for the message: notifications, codes, direct deliveries, DSNs."""
    query = select(OutboundJob).where(
        or_(
            OutboundJob.submission_id == message.submission_id,
            OutboundJob.recipient_id.in_(recipient_ids),
        )
    )
    return [
        _job(job) for job in session.scalars(query.order_by(OutboundJob.created_at, OutboundJob.id))
    ]


def describe_message(session: Session, ident: str) -> dict[str, Any]:
    message = _find_message(session, ident)
    conversations = _conversations(session, message)
    ids = [r["id"] for c in conversations for r in c["recipients"]]
    return {
        "id": message.id,
        "submission_id": message.submission_id,
        "org": session.get_one(Organisation, message.org_id).name,
        "sender": message.sender_address,
        "created": _when(message.created_at),
        "conversations": conversations,
        "jobs": _jobs(session, message, ids),
    }


def _text(value: dict[str, Any]) -> str:
    lines = [
        f"message {value['id']} (submission {value['submission_id']})",
        f"  from {value['sender']} ({value['org']}), created {value['created']}",
    ]
    for number, conversation in enumerate(value["conversations"], 1):
        lines.append(f"  conversation {number} ({conversation['kind']})")
        for r in conversation["recipients"]:
            opened = f"opened {r['opened_at']}" if r["opened_at"] else "not opened"
            lines.append(
                f"    {r['address']} [{r['role']}]: {r['method']}, {r['delivery']}, {opened}"
            )
            lines.extend(f"      {s['outcome']:<8} {s['step']}: {s['reason']}" for s in r["trace"])
    lines.append("  outbound jobs")
    lines.extend(
        f"    {j['kind']:<12} {j['rcpt_to']:<32} {j['state']:<9} attempts {j['attempts']}"
        + (f"  at least {j['required_level'].upper()}" if j["required_level"] else "")
        + (f"  ({j['last_error']})" if j["last_error"] else "")
        for j in value["jobs"]
    )
    if not value["jobs"]:
        lines.append("    (none)")
    return "\n".join(lines)


def run_show(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        value = describe_message(session, args.id)
    emit(args, value, _text(value))
    return 0


def parse_since(value: str) -> datetime:
    """An ISO 8601 time as the naive UTC the database holds; a time without zone is UTC."""
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CliError(f"--since {value!r} is not an ISO 8601 date or time") from None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def parse_limit(value: str) -> int:
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if limit < 1:
        raise CliError(f"--limit {value!r} is not a whole number of at least 1")
    return limit


def _summary(item: MessageSummary) -> dict[str, Any]:
    return {
        "id": item.id,
        "submission_id": item.submission_id,
        "from": item.sender,
        "subject": item.subject,
        "received_at": _when(item.received_at),
        "recipients": list(item.recipients),
        "in_reply_to": item.in_reply_to,
    }


def _list_text(items: list[dict[str, Any]]) -> str:
    if not items:
        return "no messages"
    lines = [f"{'RECEIVED':<19}  {'ID':<32}  {'FROM':<32}  RECIPIENTS"]
    lines.extend(
        f"{(item['received_at'] or '')[:19]:<19}  {item['id']:<32}  {item['from']:<32}  "
        + ", ".join(item["recipients"])
        for item in items
    )
    return "\n".join(lines)


def run_list(args: argparse.Namespace) -> int:
    since = parse_since(args.since) if args.since is not None else None
    limit = parse_limit(args.limit)
    with unit_of_work(args) as session:
        found = list_messages(
            session, sender=args.sender, recipient=args.recipient, since=since, limit=limit
        )
        items = [_summary(item) for item in found]
    emit(args, items, _list_text(items))
    return 0
