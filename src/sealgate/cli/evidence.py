"""sealgate message evidence ID [--json] [--verify] [--pdf FILE]: a message's proof of delivery.

ID is what `message show` accepts (a message id or its submission's id). The report lists
every recorded event per recipient in UTC and ends with the head of the hash chain;
`--verify` recomputes the chain and exits 1 naming the first event that does not match.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from sealgate.cli.common import CliError, common_options, emit, fail, unit_of_work
from sealgate.directory import find_message
from sealgate.evidence import (
    Event,
    Subject,
    first_broken,
    head,
    load,
    message_subject,
    to_json,
    to_pdf,
    to_text,
)
from sealgate.store import utcnow


def register(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `evidence` to the `message` command (ID as `message show` takes it)."""
    parser = actions.add_parser(
        "evidence", parents=[common_options()], help="proof of delivery: every event, hashed"
    )
    parser.add_argument("id", help="a message id or a submission id")
    parser.add_argument(
        "--verify", action="store_true", help="check the hash chain; exit 1 if it is broken"
    )
    parser.add_argument("--pdf", metavar="FILE", help="also write the report as a PDF to FILE")
    parser.set_defaults(run=run_evidence)


def _verdict(args: argparse.Namespace, subject: Subject, events: list[Event]) -> int:
    broken = first_broken(events)
    value: dict[str, Any] = {
        "message_id": subject.message_id,
        "intact": broken is None,
        "events": len(events),
        "head": head(events),
        "broken": None if broken is None else {"seq": broken.seq, "kind": broken.kind},
    }
    if broken is not None:
        if args.json:
            emit(args, value, "")
        return fail(
            f"chain broken at event {broken.seq} ({broken.kind}) of message {subject.message_id}"
        )
    emit(args, value, f"chain intact ({len(events)} events, head {head(events)})")
    return 0


def run_evidence(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        message = find_message(session, args.id)
        subject = message_subject(
            session, message.id, message.submission_id, message.sender_address
        )
        events = load(session, subject.message_id)
    if args.verify:
        return _verdict(args, subject, events)
    if args.pdf:
        _write_pdf(args.pdf, subject, events)
    value = {
        "message_id": subject.message_id,
        "head": head(events),
        "events": [to_json(event) for event in events],
    }
    emit(args, value, to_text(subject, events))
    return 0


def _write_pdf(path: str, subject: Subject, events: list[Event]) -> None:
    """The report as a PDF at `path` (made private: it names recipients and hosts)."""
    document = to_pdf(subject, events, utcnow())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(document)
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}") from None
