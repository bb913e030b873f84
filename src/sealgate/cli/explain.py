"""sealgate explain --from ADDR [--to|--cc|--bcc ADDR]... [--header H]... [--eml FILE]

Shows, per conversation and recipient, the method and delivery policy would choose for such
a message and why each stronger method was not, through the same routing a real message
gets (`route.facts`, facts from `directory.facts`). Nothing is sent. Transport levels are
unknown (= not met) unless given with --assume-level DOMAIN=LEVEL, or, with --probe, taken
from the probe cache that `sealgate serve` uses (probing what is missing, and storing it
there); like route, it asks for a level only where a rule could use it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from sealgate.cli.common import CliError, common_options, emit, runtime_work
from sealgate.directory import DirectoryError, find_account, normalise_address
from sealgate.intake import (
    CONTROL_HEADER_NAMES,
    ControlHeaderError,
    ControlHeaders,
    header_addresses,
    parse_control_headers,
    parse_mime,
    split_conversations,
)
from sealgate.mail import AddressError, Domain
from sealgate.policy import Decision, explain_json, explain_text
from sealgate.route import decide_recipient, message_policy
from sealgate.transport import (
    AssumedLevels,
    CachedProbes,
    ProbedTransport,
    TransportFacts,
    TransportLevel,
    UnknownTransport,
)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "explain",
        parents=[common_options()],
        help="show how the policy treats each recipient of a message (stores and sends nothing)",
    )
    parser.add_argument("--from", dest="sender", metavar="ADDR", help="an active account")
    for role in ("to", "cc", "bcc"):
        parser.add_argument(
            f"--{role}",
            action="append",
            default=[],
            metavar="ADDR",
            help=f"a {role.capitalize()} recipient (repeatable)",
        )
    parser.add_argument(
        "--header", action="append", default=[], metavar='"NAME: VALUE"', help="a zivver-* header"
    )
    parser.add_argument("--eml", metavar="FILE", help="a message: its From, To, Cc, Bcc, headers")
    parser.add_argument(
        "--assume-level",
        action="append",
        default=[],
        metavar="DOMAIN=LEVEL",
        help="transport level of a recipient domain (none, tls, pkix, pane, dane)",
    )
    parser.add_argument(
        "--probe",
        action="store_true",
        help="other domains' levels from the probe cache (probing what is missing)",
    )
    parser.set_defaults(run=run)


@dataclass
class Draft:
    """The message to explain: sender, header recipients, envelope and control header values."""

    sender: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    envelope: list[str] = field(default_factory=list)
    controls: dict[str, list[str]] = field(
        default_factory=lambda: {name: [] for name in CONTROL_HEADER_NAMES}
    )


def _read_eml(path: str, draft: Draft) -> None:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CliError(f"--eml {path}: {exc.strerror or exc}") from None
    mail = parse_mime(raw)
    senders = header_addresses(mail, "From")
    draft.sender = senders[0] if senders else ""
    draft.to += header_addresses(mail, "To")
    draft.cc += header_addresses(mail, "Cc")
    draft.envelope += [*draft.to, *draft.cc, *header_addresses(mail, "Bcc")]
    for name, values in parse_control_headers(raw).to_json().items():
        draft.controls[name] += values


def _add_header(text: str, draft: Draft) -> None:
    name, colon, value = text.partition(":")
    name = name.strip().lower()
    if not colon or name not in CONTROL_HEADER_NAMES:
        known = ", ".join(sorted(CONTROL_HEADER_NAMES))
        raise CliError(f'--header {text!r}: expected "NAME: VALUE" with NAME one of {known}')
    draft.controls[name].append(value.strip())


def build_draft(args: argparse.Namespace) -> Draft:
    draft = Draft()
    if args.eml:
        _read_eml(args.eml, draft)
    draft.sender = args.sender or draft.sender
    draft.to += args.to
    draft.cc += args.cc
    draft.envelope += [*args.to, *args.cc, *args.bcc]
    for text in args.header:
        _add_header(text, draft)
    if not draft.sender:
        raise CliError("give --from (or an --eml with a From header)")
    if not draft.envelope:
        raise CliError("no recipients: give --to, --cc, --bcc or an --eml with recipients")
    try:
        for address in draft.envelope:
            normalise_address(address)
    except DirectoryError as exc:
        raise CliError(str(exc)) from None
    return draft


def assumed_levels(values: list[str], fallback: TransportFacts) -> AssumedLevels:
    levels: dict[str, TransportLevel] = {}
    for value in values:
        domain, equals, level = value.partition("=")
        if not equals or not domain.strip():
            raise CliError(f"--assume-level {value!r}: expected DOMAIN=LEVEL")
        try:
            # Keyed as fact gathering asks for it: the A-label (`exämple.org` works too).
            levels[Domain.parse(domain).key] = TransportLevel.from_text(level)
        except (AddressError, ValueError) as exc:
            raise CliError(f"--assume-level {value!r}: {exc}") from None
    return AssumedLevels(levels, fallback)


def decide_draft(
    session: Session, draft: Draft, transport: TransportFacts, region: str
) -> list[list[tuple[str, Decision]]]:
    """The decision for every recipient, grouped by conversation as intake would group them."""
    account = find_account(session, draft.sender)
    if account is None or not account.active:
        raise CliError(f"--from {draft.sender}: not an active account on this system")
    controls = ControlHeaders.from_json(draft.controls)
    try:
        policy = message_policy(session, account.org_id, controls, draft.envelope, region)
    except ControlHeaderError as exc:
        raise CliError(str(exc)) from None
    return [
        [
            (
                addressee.address,
                decide_recipient(
                    session,
                    policy,
                    org_id=account.org_id,
                    account_id=account.id,
                    address=addressee.address,
                    transport=transport,
                ),
            )
            for addressee in plan.addressees
        ]
        for plan in split_conversations(draft.to, draft.cc, draft.envelope)
    ]


def run(args: argparse.Namespace) -> int:
    draft = build_draft(args)
    assumed = assumed_levels(args.assume_level, UnknownTransport())
    with runtime_work(args) as (rt, session):
        transport = assumed
        if args.probe:
            probed = ProbedTransport(CachedProbes.for_settings(rt.settings, rt.db))
            transport = AssumedLevels(assumed.levels, probed)
        region = rt.settings.policy.default_phone_region
        conversations = decide_draft(session, draft, transport, region)
    emit(args, explain_json(conversations), explain_text(conversations))
    return 0
