"""sealgate message show ID / message list / message search: what was decided for messages.

`list` gives the newest messages (sender, recipients, time) with optional filters; the
subject is only in the encrypted content, so it is null there.

ID is a message id or the id of the submission it was made from. Shows the sender, the
conversations, each recipient's method, delivery, status, decision trace, opening, revocation
and expiry, and the outbound jobs; never the subject or the body. A recipient's times are
ISO 8601 UTC ("Z"); `replied_at` is the first portal reply.

A recipient's `status` is the first that holds of: revoked, expired, replied, opened,
pending (not decided yet), refused (policy sends nothing), bounced, deferred, delivered
(direct) or notified (notification sent), queued.
"""

from __future__ import annotations

import argparse
from typing import Any

from sealgate.cli import evidence, message_list, resend, revoke, unlock
from sealgate.cli.common import common_options, emit, unit_of_work
from sealgate.directory import describe_message


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("message", help="inspect stored messages (never their content)")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", parents=[common_options()], help="decisions and queue state")
    show.add_argument("id", help="a message id or a submission id")
    show.set_defaults(run=run_show)
    message_list.register(actions)
    revoke.register(actions)
    evidence.register(actions)
    unlock.register(actions)
    resend.register(actions)


def _text(value: dict[str, Any]) -> str:
    lines = [
        f"message {value['id']} (submission {value['submission_id']})",
        f"  from {value['sender']} ({value['org']}), created {value['created']}",
    ]
    if value["revoked_for_everyone"]:
        lines.append("  revoked for everyone (hidden from the sender)")
    if value["content_deleted_at"]:
        lines.append(f"  content deleted {value['content_deleted_at']} (retention)")
    for number, conversation in enumerate(value["conversations"], 1):
        lines.append(f"  conversation {number} ({conversation['kind']})")
        for r in conversation["recipients"]:
            opened = f"opened {r['opened_at']}" if r["opened_at"] else "not opened"
            lines.append(
                f"    {r['address']} [{r['role']}]: {r['status']}, {r['method']}, "
                f"{r['delivery']}, {opened}"
                + (f", revoked {r['revoked_at']}" if r["revoked_at"] else "")
                + (f", expires {r['expires_at']}" if r["expires_at"] else "")
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
