"""sealgate probe DOMAIN: the transport level a delivery to DOMAIN can be guaranteed now.

Like posttls-finger(1): MX, addresses and TLSA with their DNSSEC status, then STARTTLS to
each mail host, graded by the same rules (and code) that direct delivery enforces. Always a
fresh probe: the cache of `sealgate serve` is neither read nor written.
"""

from __future__ import annotations

import argparse
import asyncio
import re

from sealgate.cli.common import CliError, common_options, emit, load_settings
from sealgate.mail import AddressError, Domain
from sealgate.transport import Prober, ProbeResult, Resolver

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    probe = commands.add_parser(
        "probe", parents=[common_options()], help="probe a domain's mail servers (TLS/PKIX/DANE)"
    )
    probe.add_argument("domain", help="recipient domain, e.g. example.org")
    probe.add_argument("--resolver", metavar="IP[:PORT]", help="validating resolver to ask")
    probe.add_argument("--ca-file", metavar="PEM", help="CA bundle for PKIX (default: system)")
    probe.add_argument("--port", type=int, help="SMTP port of the mail hosts (default 25)")
    probe.add_argument("--timeout", type=float, help="seconds per DNS look-up and connection")
    probe.set_defaults(run=run_probe)


def _prober(args: argparse.Namespace) -> Prober:
    settings = load_settings(args)
    transport = settings.transport
    resolver = transport.resolver if args.resolver is None else args.resolver
    port = transport.smtp_port if args.port is None else args.port
    if not 0 < port < 65536:
        raise CliError(f"--port: {port} is not a TCP port")
    dns_timeout = transport.dns_timeout if args.timeout is None else args.timeout
    connect_timeout = transport.connect_timeout if args.timeout is None else args.timeout
    if dns_timeout <= 0:
        raise CliError("--timeout must be more than 0 seconds")
    try:
        dns = Resolver(resolver, timeout=dns_timeout)
    except ValueError as exc:
        raise CliError(f"resolver {resolver!r}: {exc}") from None
    return Prober(
        dns,
        ca_file=(transport.ca_file if args.ca_file is None else args.ca_file) or None,
        port=port,
        timeout=connect_timeout,
        helo=settings.delivery.helo_name,
    )


def run_probe(args: argparse.Namespace) -> int:
    try:
        domain = Domain.parse(args.domain).ascii
    except AddressError:
        domain = ""
    if not _DOMAIN.match(domain):
        raise CliError(f"{args.domain!r} is not a domain name")
    if args.ca_file:
        try:
            with open(args.ca_file, "rb"):
                pass
        except OSError as exc:
            raise CliError(f"--ca-file: {exc.strerror}: {args.ca_file}") from None
    result = asyncio.run(_prober(args).probe(domain))
    emit(args, result.to_json(), report(result))
    return 0


def report(result: ProbeResult) -> str:
    """A readable summary, host by host, like posttls-finger's."""
    lines = [
        f"{result.domain}: level {result.level.to_text().upper()}"
        + (" (inconclusive: not trusted for delivery)" if result.inconclusive else "")
        + (" (permanent: retrying will not change it)" if result.permanent else ""),
        f"  MX RRset: DNSSEC {result.dnssec.value}",
    ]
    for host in result.mx:
        lines.append(
            f"  {host['host']} (preference {host['preference']}) "
            f"[{', '.join(host['addresses']) or 'no address'}] DNSSEC {host['dnssec']}"
        )
        if host["tls_version"]:
            lines.append(f"    STARTTLS: {host['tls_version']} {host['cipher'] or ''}".rstrip())
        elif host["starttls"]:
            lines.append(f"    STARTTLS offered, no TLS session: {host['error']}")
        elif host["error"]:
            lines.append(f"    {host['error']}")
        else:
            lines.append("    no STARTTLS offered")
        if host["tls_version"]:
            pkix = "valid" if host["pkix_valid"] else f"not valid: {host['pkix_error']}"
            lines.append(f"    PKIX: {pkix}")
        for record in host["tlsa"]:
            lines.append(f"    TLSA ({host['tlsa_dnssec']}): {record}")
        if host["dane_match"] is not None:
            lines.append(f"    DANE: {'match' if host['dane_match'] else 'NO match'}")
        lines.append(f"    level: {host['level'].upper()}")
        lines.extend(f"      - {reason}" for reason in host["reasons"])
    lines.extend(f"  error: {error}" for error in result.errors)
    return "\n".join(lines)
