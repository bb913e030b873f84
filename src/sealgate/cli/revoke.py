"""sealgate message revoke | unrevoke | expire: withdraw a message's links, or set their expiry.

    message revoke ID [--recipient ADDR] [--everyone]
    message unrevoke ID [--recipient ADDR]
    message expire ID (--at ISO8601 | --in 30d | --never) [--recipient ADDR]

ID is what `message show` takes (a message or submission id). Without --recipient every
recipient is changed; revoke skips (and names) those delivered directly, whose copy no one
can take back. --everyone also hides the message from its sender and cannot be undone.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sealgate.cli.command_audit import cli_actor
from sealgate.cli.common import CliError, common_options, emit, iso, unit_of_work
from sealgate.directory import LinkChange, find_message, revoke_links, set_expiry, unrevoke_links
from sealgate.intake import ExpiryError, parse_expiry_days, parse_expiry_time
from sealgate.store import utcnow


def register(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add revoke, unrevoke and expire to the `message` group."""
    revoke = actions.add_parser("revoke", parents=[common_options()], help="withdraw the links")
    revoke.add_argument("id", help="a message id or a submission id")
    revoke.add_argument("--recipient", metavar="ADDR", help="only this recipient's link")
    revoke.add_argument(
        "--everyone", action="store_true", help="also hide it from the sender (cannot be undone)"
    )
    revoke.set_defaults(run=run_revoke)
    unrevoke = actions.add_parser("unrevoke", parents=[common_options()], help="reopen the links")
    unrevoke.add_argument("id", help="a message id or a submission id")
    unrevoke.add_argument("--recipient", metavar="ADDR", help="only this recipient's link")
    unrevoke.set_defaults(run=run_unrevoke)
    expire = actions.add_parser("expire", parents=[common_options()], help="set when links expire")
    expire.add_argument("id", help="a message id or a submission id")
    when = expire.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", metavar="ISO8601", help="at this date or date-time (UTC if no zone)")
    when.add_argument("--in", dest="within", metavar="DAYS", help="this many days from now: 30d")
    when.add_argument("--never", action="store_true", help="never")
    expire.add_argument("--recipient", metavar="ADDR", help="only this recipient's link")
    expire.set_defaults(run=run_expire)


def _text(verb: str, change: LinkChange) -> str:
    lines = [f"message {change.message_id}: {verb}"]
    for state in change.changed:
        status = f"revoked {iso(state.revoked_at)}" if state.revoked_at else "open"
        expiry = f"expires {iso(state.expires_at)}" if state.expires_at else "no expiry"
        lines.append(f"  {state.address}: {status}, {expiry}")
    lines.extend(f"  {address}: skipped, {why}" for address, why in change.skipped)
    if change.revoked_for_everyone:
        lines.append("  revoked for everyone: hidden from the sender too, for good")
    return "\n".join(lines)


def _message_id(session: Session, ident: str) -> str:
    return find_message(session, ident).id


def run_revoke(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        change = revoke_links(
            session,
            _message_id(session, args.id),
            utcnow(),
            address=args.recipient,
            everyone=args.everyone,
            by=cli_actor(),
        )
    emit(args, change.to_json(), _text("revoked", change))
    return 0


def run_unrevoke(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        change = unrevoke_links(
            session, _message_id(session, args.id), address=args.recipient, by=cli_actor()
        )
    emit(args, change.to_json(), _text("revocation undone", change))
    return 0


def expiry_from_args(args: argparse.Namespace, now: datetime) -> datetime | None:
    """The expiry --at, --in or --never asks for; --at must lie in the future."""
    try:
        if args.within is not None:
            return now + timedelta(days=parse_expiry_days(args.within))
        if args.at is not None:
            when = parse_expiry_time(args.at)
            if when <= now:
                raise ExpiryError(f"{when.isoformat()}Z lies in the past")
            return when
    except ExpiryError as exc:
        option = "--in" if args.within is not None else "--at"
        raise CliError(f"{option}: {exc}") from None
    return None


def run_expire(args: argparse.Namespace) -> int:
    expires_at = expiry_from_args(args, utcnow())
    with unit_of_work(args) as session:
        change = set_expiry(
            session,
            _message_id(session, args.id),
            expires_at,
            address=args.recipient,
            by=cli_actor(),
        )
    emit(args, change.to_json(), _text("expiry set", change))
    return 0
