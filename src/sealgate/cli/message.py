"""sealgate message show ID / message list / message search: what was decided for messages.

`list` gives the newest messages (sender, recipients, time) with optional filters; the
subject is only in the encrypted content, so it is null there.

ID is a message id or the id of the submission it was made from. Shows the sender, the
conversations, each recipient's method, delivery, decision trace and opening, and the
outbound jobs; never the subject or the body.
"""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sealgate.cli import message_list
from sealgate.cli.common import CliError, common_options, emit, iso, unit_of_work
from sealgate.store import (
    Conversation,
    Message,
    Organisation,
    OutboundJob,
    Recipient,
    Submission,
)

_ROLE_ORDER = {"to": 0, "cc": 1, "bcc": 2}


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("message", help="inspect stored messages (never their content)")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", parents=[common_options()], help="decisions and queue state")
    show.add_argument("id", help="a message id or a submission id")
    show.set_defaults(run=run_show)
    message_list.register(actions)


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
        "opened_at": iso(row.opened_at),
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
        "next_attempt_at": iso(job.next_attempt_at),
        "expires_at": iso(job.expires_at),
        "last_error": job.last_error,
        "updated_at": iso(job.updated_at),
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
        "created": iso(message.created_at),
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
