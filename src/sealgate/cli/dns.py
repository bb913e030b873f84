"""sealgate dns-records|dns-check --org NAME: the DNS records an organisation must publish"""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from sealgate.bootstrap import Runtime
from sealgate.cli.common import CliError, common_options, emit, runtime_work
from sealgate.delivery import (
    DKIM_KEY_PURPOSE,
    DnsRecord,
    RecordCheck,
    check_record,
    org_records,
    resolver_txt_lookup,
)
from sealgate.store import utcnow

# Zone files and most DNS panels want a TXT value as quoted strings of at most 255 bytes.
TXT_STRING = 255


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    records = commands.add_parser(
        "dns-records",
        parents=[common_options()],
        help="print the DKIM, SPF and DMARC records an organisation must publish",
    )
    records.add_argument("--org", required=True, help="the organisation")
    records.set_defaults(run=run_records)
    check = commands.add_parser(
        "dns-check",
        parents=[common_options()],
        help="look the records up; exit 1 unless every DKIM record is published",
    )
    check.add_argument("--org", required=True, help="the organisation")
    check.set_defaults(run=run_check)


def _org_records(rt: Runtime, session: Session, org: str) -> list[DnsRecord]:
    delivery = rt.settings.delivery
    seal_key = rt.subkey(DKIM_KEY_PURPOSE)
    return org_records(session, seal_key, org, delivery.helo_name, delivery.relay, utcnow())


def zone_line(record: DnsRecord) -> str:
    """The record as a zone-file line, the value cut into quoted strings."""
    value = record.value
    strings = [value[i : i + TXT_STRING] for i in range(0, len(value), TXT_STRING)] or [""]
    quoted = " ".join(f'"{text}"' for text in strings)
    return f"{record.name}. IN {record.type} {quoted}"


def _records_text(records: list[DnsRecord]) -> str:
    lines: list[str] = []
    domain = None
    for record in records:
        if record.domain != domain:
            domain = record.domain
            lines.append(f"; {domain}" if not lines else f"\n; {domain}")
        lines.append(f"; {record.purpose}")
        lines.append(zone_line(record))
    return "\n".join(lines)


def run_records(args: argparse.Namespace) -> int:
    with runtime_work(args) as (rt, session):
        records = _org_records(rt, session, args.org)
    emit(args, [record.to_json() for record in records], _records_text(records))
    return 0


def _check_line(check: RecordCheck) -> str:
    line = f"{check.status:<9} {check.record.purpose:<5} {check.record.name}"
    if check.status == "different":
        line += f"  (published: {'; '.join(check.found)[:80]})"
    return line


def _check_text(checks: list[RecordCheck]) -> str:
    return "\n".join(_check_line(check) for check in checks)


def run_check(args: argparse.Namespace) -> int:
    with runtime_work(args) as (rt, session):
        records = _org_records(rt, session, args.org)
        resolver = rt.settings.transport.resolver
    # The look-ups run after the transaction: no database lock is held across DNS waits.
    lookup = resolver_txt_lookup(resolver)
    checks = [check_record(record, lookup) for record in records]
    emit(args, [check.to_json() for check in checks], _check_text(checks))
    bad = [c for c in checks if c.record.purpose == "dkim" and c.status != "ok"]
    if bad:
        names = ", ".join(f"{c.record.name} {c.status}" for c in bad)
        dkim_count = sum(c.record.purpose == "dkim" for c in checks)
        raise CliError(f"{len(bad)} of {dkim_count} DKIM records not published: {names}")
    return 0
