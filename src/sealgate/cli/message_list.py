"""sealgate message list / message search: the newest messages, and finding stuck or failed
mail among them (ids, sender, time, recipients; never a subject or content).

`search` is `list` with an end time and a state: a message is in STATE when one of its
recipients is (undecided, awaiting_probe, decided) or one of its queue jobs is (incoming,
active, deferred, done, bounced, corrupt, hold). The subject is only in the encrypted
content, so it is null in both.
"""

from __future__ import annotations

import argparse
from typing import Any

from sealgate.cli.common import common_options, emit, iso, parse_limit, parse_time, unit_of_work
from sealgate.cli.listing import Column, listing
from sealgate.store import MESSAGE_STATES, MessageSummary, list_messages


def register(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    listing = actions.add_parser("list", parents=[common_options()], help="the newest messages")
    _filters(listing)
    listing.set_defaults(run=run_list)
    search = actions.add_parser(
        "search", parents=[common_options()], help="messages by sender, recipient, time, state"
    )
    _filters(search)
    search.add_argument("--until", metavar="ISO8601", help="only those received before")
    search.add_argument(
        "--state",
        choices=MESSAGE_STATES,
        metavar="STATE",
        help="only those with a recipient or queue job in STATE: " + ", ".join(MESSAGE_STATES),
    )
    search.set_defaults(run=run_search)


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="sender", metavar="ADDR", help="only those ADDR sent")
    parser.add_argument("--to", dest="recipient", metavar="ADDR", help="only those sent to ADDR")
    parser.add_argument("--since", metavar="ISO8601", help="only those received at or after")
    parser.add_argument("--limit", default="50", metavar="N", help="at most N (default 50)")


def _summary(item: MessageSummary) -> dict[str, Any]:
    return {
        "id": item.id,
        "submission_id": item.submission_id,
        "from": item.sender,
        "subject": item.subject,
        "received_at": iso(item.received_at),
        "recipients": list(item.recipients),
        "in_reply_to": item.in_reply_to,
    }


_COLUMNS = (Column("RECEIVED", 19), Column("ID", 32), Column("FROM", 32), Column("RECIPIENTS"))


def _list_text(items: list[dict[str, Any]]) -> str:
    rows = (
        (
            (item["received_at"] or "")[:19],
            item["id"],
            item["from"],
            ", ".join(item["recipients"]),
        )
        for item in items
    )
    return listing(_COLUMNS, rows, "no messages")


def run_list(args: argparse.Namespace) -> int:
    return _run(args, until=None, state=None)


def run_search(args: argparse.Namespace) -> int:
    until = parse_time(args.until, "--until") if args.until is not None else None
    return _run(args, until=until, state=args.state)


def _run(args: argparse.Namespace, **filters: Any) -> int:
    since = parse_time(args.since, "--since") if args.since is not None else None
    limit = parse_limit(args.limit)
    with unit_of_work(args) as session:
        found = list_messages(
            session,
            sender=args.sender,
            recipient=args.recipient,
            since=since,
            limit=limit,
            **filters,
        )
        items = [_summary(item) for item in found]
    emit(args, items, _list_text(items))
    return 0
