"""sealgate message unlock ID --recipient ADDR: reset a recipient's lockout (helpdesk).

    message unlock ID --recipient ADDR [--json]

Resets the recipient's wrong access codes, the attempts at its live verification code and
the link's code sends of the day (directory/lockouts.py says why the lifetime cap stays).
ID is what `message show` takes. Recorded in the audit trail as `message.unlock`.
"""

from __future__ import annotations

import argparse

from sealgate.cli.common import common_options, emit, runtime_work
from sealgate.directory import RecipientUnlock, find_message, unlock_recipient


def register(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add unlock to the `message` group."""
    unlock = actions.add_parser(
        "unlock", parents=[common_options()], help="reset a recipient's lockout (helpdesk)"
    )
    unlock.add_argument("id", help="a message id or a submission id")
    unlock.add_argument(
        "--recipient", metavar="ADDR", required=True, help="the recipient to unlock"
    )
    unlock.set_defaults(run=run_unlock)


def _text(result: RecipientUnlock) -> str:
    code = "no code" if result.code_attempts is None else f"{result.code_attempts} code attempts"
    lines = [
        f"message {result.message_id}: unlocked {result.address} "
        f"(were {result.access_code_attempts} wrong access codes, {code}, "
        f"{result.code_sends_day} codes sent today)"
    ]
    if result.lifetime_cap_reached:
        lines.append(
            f"  the link has sent its most codes ({result.code_sends_total}) and sends no "
            "more: ask the sender to send the message again"
        )
    return "\n".join(lines)


def run_unlock(args: argparse.Namespace) -> int:
    with runtime_work(args) as (rt, session):
        message = find_message(session, args.id)
        result = unlock_recipient(
            session,
            message.id,
            args.recipient,
            sends_per_link=rt.settings.web.code_sends_per_link,
        )
    emit(args, result.to_json(), _text(result))
    return 0
