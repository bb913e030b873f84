"""sealgate message resend ID --recipient ADDR: a new notification for one recipient.

    message resend ID --recipient ADDR [--json]

Queues the recipient a fresh notification with a new link (route/resend.py: only for a
recipient notified through the portal whose link is open; earlier links keep working).
ID is what `message show` takes. Recorded in the audit trail as `message.resend`.
"""

from __future__ import annotations

import argparse

from sealgate.cli.common import common_options, emit, runtime_work
from sealgate.directory import find_message
from sealgate.route import resend_notification
from sealgate.store import utcnow


def register(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add resend to the `message` group."""
    resend = actions.add_parser(
        "resend",
        parents=[common_options()],
        help="send one recipient a new notification (helpdesk)",
    )
    resend.add_argument("id", help="a message id or a submission id")
    resend.add_argument(
        "--recipient", metavar="ADDR", required=True, help="the recipient to notify again"
    )
    resend.set_defaults(run=run_resend)


def run_resend(args: argparse.Namespace) -> int:
    with runtime_work(args) as (rt, session):
        message = find_message(session, args.id)
        resent = resend_notification(session, rt, message.id, args.recipient, utcnow())
    text = f"message {resent.message_id}: a new notification to {resent.address} is queued"
    emit(args, resent.to_json(), f"{text} (job {resent.job_id})")
    return 0
