"""The one SMTP client: hand one mail for one recipient to the next hop, report the Outcome.

The next hop is the configured relay (`[delivery] relay = "host:port"`), else the mail hosts
of the recipient's domain found by MX lookup (RFC 5321 section 5.1): MX records by preference,
a null MX (RFC 7505) refuses all mail, no MX at all means the domain's own address records
(the implicit MX). Hosts and their addresses are tried in order until one gives a definite
answer; a temporary failure moves on to the next, a permanent one stops.

TLS: to the relay, STARTTLS is required when `relay_starttls` is set, and a relay that does
not offer it, or whose certificate does not validate against `relay_ca_file` (else the system
store) for the relay's host name, gets nothing (fail closed: TemporaryFailure, the mail
waits). Otherwise, and to
MX hosts, STARTTLS is opportunistic (Postfix's `may`/`encrypt` levels: encrypted, the
certificate not verified): this client carries mail that holds no content (notifications,
code mails, DSNs). Mail with content that must reach a level goes through `direct.py`.

Credentials for the relay never cross the network in the clear: AUTH only inside TLS, or to a
relay on a loopback address.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

import aiosmtplib
import dns.asyncresolver
import dns.exception
import dns.resolver

from sealgate.config import Settings, split_hostport
from sealgate.delivery.mail_options import mail_options
from sealgate.delivery.outcome import (
    S_BAD_DESTINATION,
    S_DNS_FAILURE,
    S_NO_ROUTE,
    S_NULL_MX,
    S_TLS_NOT_OFFERED,
    Delivered,
    Outcome,
    PermanentFailure,
    TemporaryFailure,
    from_exception,
)
from sealgate.mail.address import address_domain
from sealgate.transport.mx import mx_hosts
from sealgate.transport.resolver import plain_resolver

log = logging.getLogger("sealgate.delivery")

# Postfix's smtp_mx_address_limit: stop after this many addresses in one attempt.
MAX_ADDRESSES = 5


def mail_hosts(
    domain: str, records: Iterable[tuple[int, str]], salt: str = ""
) -> list[str] | PermanentFailure:
    """The host names to try for `domain`, or a permanent failure for a null MX."""
    hosts = mx_hosts(domain, records, salt)
    if hosts is None:
        return PermanentFailure(None, f"{domain} accepts no mail (null MX)", S_NULL_MX)
    return [host.name for host in hosts]


@dataclass(frozen=True)
class Hop:
    """One address to connect to, and what the session there must do."""

    address: str  # IP address or host name to connect to
    port: int
    server_name: str  # for TLS SNI and logs
    tls_required: bool = False  # and verified: chain to `ca_file` (or the system store) + name
    credentials: tuple[str, str] | None = None
    ca_file: str = ""


def _tls_context(hop: Hop) -> ssl.SSLContext:
    """A required TLS hop (the relay) is verified; otherwise encrypt, don't verify
    (opportunistic TLS for mail without content; direct deliveries use direct.py)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=hop.ca_file or None)
    if not hop.tls_required:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


async def _greet(smtp: aiosmtplib.SMTP) -> None:
    try:
        await smtp.ehlo()
    except aiosmtplib.SMTPHeloError:
        await smtp.helo()


async def _secure(smtp: aiosmtplib.SMTP, hop: Hop) -> TemporaryFailure | None:
    """STARTTLS if offered; a hop that requires TLS and gets no offer fails closed."""
    if smtp.supports_extension("starttls"):
        await smtp.starttls(server_hostname=hop.server_name, tls_context=_tls_context(hop))
        await _greet(smtp)
    elif hop.tls_required:
        return TemporaryFailure(
            None,
            f"TLS is required, but {hop.server_name} does not offer STARTTLS",
            S_TLS_NOT_OFFERED,
        )
    if hop.credentials is not None:
        encrypted = smtp.get_transport_info("sslcontext") is not None
        if not encrypted and not _is_loopback(hop.address):
            return TemporaryFailure(
                None, f"refusing to send credentials to {hop.server_name} without TLS", "4.7.0"
            )
        try:
            await smtp.login(*hop.credentials)
        except aiosmtplib.SMTPAuthenticationError as error:
            # Our credentials are wrong, not the recipient: defer, like Postfix's
            # smtp_sasl_auth_soft_bounce, so the mail waits until an admin fixes them.
            return TemporaryFailure(
                None,
                f"{hop.server_name} refused our credentials: {error.code} {error.message}",
                "4.7.0",
            )
    return None


async def _transfer(smtp: aiosmtplib.SMTP, mail_from: str, rcpt_to: str, message: bytes) -> Outcome:
    """MAIL, RCPT, DATA; each refusal raises and is classified by the caller."""
    options = mail_options(mail_from, rcpt_to, message, smtp.supports_extension)
    if isinstance(options, PermanentFailure):
        return options
    await smtp.mail(mail_from, options=options, encoding="utf-8")
    await smtp.rcpt(rcpt_to, encoding="utf-8")
    reply = await smtp.data(message)
    return Delivered(reply.code, reply.message)


async def _session(
    settings: Settings, hop: Hop, mail_from: str, rcpt_to: str, message: bytes
) -> Outcome:
    """One SMTP session to one address; never raises, every error becomes an Outcome."""
    delivery = settings.delivery
    smtp = aiosmtplib.SMTP(
        hostname=hop.address,
        port=hop.port,
        local_hostname=delivery.helo_name,
        timeout=delivery.timeout,
        start_tls=False,
    )
    try:
        await smtp.connect()
        await _greet(smtp)
        refused = await _secure(smtp, hop)
        return refused or await _transfer(smtp, mail_from, rcpt_to, message)
    except Exception as error:
        return from_exception(error)
    finally:
        if smtp.is_connected:
            # The outcome is already known; a failing QUIT changes nothing.
            with contextlib.suppress(Exception):
                await smtp.quit(timeout=min(delivery.timeout, 5.0))
            smtp.close()


async def _addresses(resolver: dns.asyncresolver.Resolver, host: str, lifetime: float) -> list[str]:
    """IPv4 then IPv6 addresses of `host`; empty if it has none. DNS errors propagate."""
    found: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            answer = await resolver.resolve(host, rdtype, lifetime=lifetime)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            continue
        found.extend(record.to_text() for record in answer)
    return found


async def _mx_hops(
    settings: Settings, domain: str, resolver: dns.asyncresolver.Resolver, salt: str
) -> list[Hop] | PermanentFailure | TemporaryFailure:
    """The addresses to try for `domain`, or why there are none."""
    lifetime = settings.delivery.timeout
    try:
        answer = await resolver.resolve(domain, "MX", lifetime=lifetime)
        records = [(record.preference, record.exchange.to_text()) for record in answer]
    except dns.resolver.NXDOMAIN:
        return PermanentFailure(None, f"domain {domain} does not exist", S_BAD_DESTINATION)
    except dns.resolver.NoAnswer:
        records = []
    except dns.exception.DNSException as error:
        return TemporaryFailure(None, f"MX lookup for {domain} failed: {error}", S_DNS_FAILURE)
    hosts = mail_hosts(domain, records, salt)
    if isinstance(hosts, PermanentFailure):
        return hosts
    hops: list[Hop] = []
    dns_error: str = ""
    for host in hosts:
        try:
            addresses = await _addresses(resolver, host, lifetime)
        except dns.exception.DNSException as error:
            dns_error = f"address lookup for {host} failed: {error}"
            continue
        hops.extend(Hop(address, settings.transport.smtp_port, host) for address in addresses)
    if hops:
        return hops[:MAX_ADDRESSES]
    if dns_error:
        return TemporaryFailure(None, dns_error, S_DNS_FAILURE)
    if not records:
        return PermanentFailure(None, f"{domain} has no mail host", S_BAD_DESTINATION)
    return TemporaryFailure(None, f"no mail host of {domain} has an address", S_NO_ROUTE)


def _relay_hop(settings: Settings) -> Hop:
    delivery = settings.delivery
    host, port = split_hostport(delivery.relay)
    credentials = None
    if delivery.relay_username:
        credentials = (delivery.relay_username, delivery.relay_password.get_secret_value())
    return Hop(
        host,
        port,
        host,
        tls_required=delivery.relay_starttls,
        credentials=credentials,
        ca_file=delivery.relay_ca_file,
    )


async def send(
    settings: Settings,
    mail_from: str,
    rcpt_to: str,
    message: bytes,
    *,
    resolver: dns.asyncresolver.Resolver | None = None,
) -> Outcome:
    """Deliver `message` to `rcpt_to` via the relay or the recipient's MX hosts."""
    if settings.delivery.relay:
        hops: list[Hop] | PermanentFailure | TemporaryFailure = [_relay_hop(settings)]
    else:
        try:
            domain = address_domain(rcpt_to)
        except ValueError as error:
            return PermanentFailure(None, str(error), S_BAD_DESTINATION)
        try:
            resolver = resolver or plain_resolver(
                settings.transport.resolver, settings.transport.dns_timeout
            )
        except dns.exception.DNSException as error:
            return TemporaryFailure(None, f"no DNS resolver: {error}", S_DNS_FAILURE)
        hops = await _mx_hops(settings, domain, resolver, salt=rcpt_to)
    if not isinstance(hops, list):
        return hops
    outcome: Outcome = TemporaryFailure(None, "no mail host to try", S_NO_ROUTE)
    for hop in hops:
        log.debug("to %s: connecting to %s[%s]:%d", rcpt_to, hop.server_name, hop.address, hop.port)
        outcome = await _session(settings, hop, mail_from, rcpt_to, message)
        if not isinstance(outcome, TemporaryFailure):
            break
        log.info("to %s via %s[%s]: %s", rcpt_to, hop.server_name, hop.address, outcome.describe())
    return outcome
