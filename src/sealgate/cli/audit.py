"""sealgate audit verify | export | list | prune: the audit trail, for an inspector.

verify  recompute the hash chain; exit 1 naming the first entry that does not match
export  [--since ISO] [--until ISO] --format jsonl|csv [--output FILE]: every field, so the
        chain can be checked again elsewhere
list    [--since ISO] [--action NAME] [--actor WHO] [--limit N]: the newest entries
prune   delete entries older than [audit] retention_days; the chain stays verifiable
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import IO

from sealgate.audit import (
    AuditEntry,
    entries,
    entry_json,
    format_actor,
    newest,
    prune,
    verify,
    write_export,
)
from sealgate.cli.common import (
    CliError,
    common_options,
    emit,
    parse_limit,
    parse_time,
    runtime_work,
    unit_of_work,
)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("audit", help="the hash-chained audit trail (NEN 7513)")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("verify", parents=[common_options()], help="check the hash chain")
    check.set_defaults(run=run_verify)
    export = actions.add_parser("export", parents=[common_options()], help="write every entry")
    export.add_argument("--since", metavar="ISO8601", help="only entries at or after this time")
    export.add_argument("--until", metavar="ISO8601", help="only entries before this time")
    export.add_argument("--format", required=True, choices=("jsonl", "csv"), help="output format")
    export.add_argument("--output", metavar="FILE", help="write to FILE (0600), not stdout")
    export.set_defaults(run=run_export)
    listing = actions.add_parser("list", parents=[common_options()], help="the newest entries")
    listing.add_argument("--since", metavar="ISO8601", help="only entries at or after this time")
    listing.add_argument("--action", dest="name", metavar="NAME", help="an action or its prefix")
    listing.add_argument("--actor", metavar="WHO", help='"cli:root", "guest:ADDR" or a kind')
    listing.add_argument("--limit", default="50", metavar="N", help="at most N (default 50)")
    listing.set_defaults(run=run_list)
    clean = actions.add_parser(
        "prune", parents=[common_options()], help="delete entries past [audit] retention_days"
    )
    clean.set_defaults(run=run_prune)


def _time(option: str, value: str | None) -> datetime | None:
    return None if value is None else parse_time(value, option)


def run_verify(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        result = verify(session)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0 if result.intact else 1
    if not result.intact:
        raise CliError(f"audit trail broken at entry {result.broken_seq}: {result.reason}")
    print(
        f"audit trail intact: {result.entries} entries, head {result.head_seq} {result.head_hash}"
    )
    return 0


@contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise CliError(f"--output {path}: {exc.strerror}") from None
    with open(descriptor, "w", encoding="utf-8", newline="") as stream:
        yield stream


def run_export(args: argparse.Namespace) -> int:
    since, until = _time("--since", args.since), _time("--until", args.until)
    with unit_of_work(args) as session, _output(args.output) as stream:
        written = write_export(stream, args.format, entries(session, since=since, until=until))
    if args.output is not None:
        print(f"exported {written} audit entries to {args.output}", file=sys.stderr)
    return 0


def _line(entry: AuditEntry) -> str:
    actor = format_actor(entry.actor_kind, entry.actor_id)
    return (
        f"{entry.seq:>8} {entry.at[:19]}Z {entry.action:<22} {entry.outcome:<6} "
        f"{actor:<32} {entry.organisation or '-':<16} {entry.object_id or '-'}"
    )


def run_list(args: argparse.Namespace) -> int:
    limit = parse_limit(args.limit)
    since = _time("--since", args.since)
    with unit_of_work(args) as session:
        found = newest(session, limit, since=since, action=args.name, actor=args.actor)
    value = [entry_json(entry) for entry in found]
    emit(args, value, "\n".join(_line(entry) for entry in found) or "(no audit entries)")
    return 0


def run_prune(args: argparse.Namespace) -> int:
    with runtime_work(args) as (rt, session):
        days = rt.settings.audit.retention_days
        before = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
        removed = prune(session, before)
    value = {"pruned": removed, "before": before.isoformat() + "Z", "retention_days": days}
    emit(args, value, f"pruned {removed} audit entries older than {days} days")
    return 0
