"""sealgate message search [--from ADDR] [--to ADDR] [--since ISO] [--until ISO] [--state STATE]
[--limit N]: `message list` with an end time and a state, for finding stuck or failed mail.

A message is in STATE when one of its recipients is (undecided, awaiting_probe, decided) or
one of its queue jobs is (incoming, active, deferred, done, bounced, corrupt, hold). The
output is `message list`'s: ids, sender, time, recipients; never a subject or content.
"""

from __future__ import annotations

import argparse

from sealgate.cli.common import common_options, emit, unit_of_work
from sealgate.cli.message import _list_text, _summary, parse_limit, parse_since
from sealgate.store import list_messages
from sealgate.store.message_list import MESSAGE_STATES


def register(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    search = actions.add_parser(
        "search", parents=[common_options()], help="messages by sender, recipient, time, state"
    )
    search.add_argument("--from", dest="sender", metavar="ADDR", help="only those ADDR sent")
    search.add_argument("--to", dest="recipient", metavar="ADDR", help="only those sent to ADDR")
    search.add_argument("--since", metavar="ISO8601", help="only those received at or after")
    search.add_argument("--until", metavar="ISO8601", help="only those received before")
    search.add_argument(
        "--state",
        choices=MESSAGE_STATES,
        metavar="STATE",
        help="only those with a recipient or queue job in STATE: " + ", ".join(MESSAGE_STATES),
    )
    search.add_argument("--limit", default="50", metavar="N", help="at most N (default 50)")
    search.set_defaults(run=run_search)


def run_search(args: argparse.Namespace) -> int:
    since = parse_since(args.since) if args.since is not None else None
    until = parse_since(args.until, "--until") if args.until is not None else None
    limit = parse_limit(args.limit)
    with unit_of_work(args) as session:
        found = list_messages(
            session,
            sender=args.sender,
            recipient=args.recipient,
            since=since,
            until=until,
            state=args.state,
            limit=limit,
        )
        items = [_summary(item) for item in found]
    emit(args, items, _list_text(items))
    return 0
