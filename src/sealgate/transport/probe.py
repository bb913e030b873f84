"""Probe a domain's mail servers: the transport level a delivery there can be guaranteed now.

Like posttls-finger(1): look up the MX RRset, each host's addresses and TLSA records (each with
its own DNSSEC status), connect, EHLO, STARTTLS, and grade what the connection proved
(`grade.py`). Delivery walks the same `plan` and `connect` steps, so a level is enforced on the
very connection that carries the mail, not only on the probe's.

Host selection follows RFC 7672 section 2.2: TLSA records are only looked up for a host whose
address records are DNSSEC-secure. A failed lookup (bogus, indeterminate) is never read as
"no records": the host, or the whole domain, is unusable until DNS answers properly.
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sealgate.mail import AddressError, Domain
from sealgate.transport.dnssec import Dnssec, weakest
from sealgate.transport.grade import HostEvidence, HostGrade, domain_level, grade_host
from sealgate.transport.levels import TransportLevel
from sealgate.transport.mx import mx_hosts
from sealgate.transport.pkix import pkix_problem
from sealgate.transport.resolver import DnsAnswer, Resolver, tlsa_name
from sealgate.transport.starttls import TlsFacts, open_starttls, quit_quietly
from sealgate.transport.tlsa import TLSARecord

# Postfix's smtp_mx_address_limit: addresses tried per host; and a bound on the hosts of one
# domain, so a hostile MX RRset cannot make a probe open hundreds of connections.
MAX_ADDRESSES_PER_HOST = 5
MAX_HOSTS = 10


@dataclass(frozen=True)
class HostPlan:
    """One mail host as DNS describes it, before any connection."""

    host: str
    preference: int
    mx_dnssec: Dnssec  # of the MX RRset (for the implicit MX: of the MX NODATA answer)
    addresses: tuple[str, ...]
    address_dnssec: Dnssec
    tlsa_dnssec: Dnssec
    tlsa: tuple[TLSARecord, ...]
    ttl: int
    dns_error: str | None  # a failed lookup for this host: unusable, fail closed
    tlsa_base: str = ""  # the CNAME-expanded name, when the TLSA records came from there

    @property
    def tls_name(self) -> str:
        """The name sent as SNI and that DANE-TA checks first: the TLSA base domain."""
        return self.tlsa_base or self.host


class PlanProblem(StrEnum):
    """Why a domain has no mail host to try; delivery maps each to its status code."""

    NOT_A_DOMAIN = "not a domain"
    DNS_FAILURE = "dns failure"  # the MX lookup failed (bogus, indeterminate)
    NXDOMAIN = "nxdomain"
    NULL_MX = "null mx"  # RFC 7505
    NO_MAIL_HOST = "no mail host"  # no MX, and the domain itself has no address
    NO_ADDRESS = "no address"  # MX hosts, none of which has an address


@dataclass(frozen=True)
class DomainPlan:
    domain: str
    mx_dnssec: Dnssec
    hosts: tuple[HostPlan, ...]
    ttl: int
    error: str | None = None  # no usable mail host at all (reason)
    permanent: bool = False  # NXDOMAIN or null MX: will not change by retrying
    problem: PlanProblem | None = None  # set exactly when `error` is


@dataclass(frozen=True)
class HostReport:
    """What one host proved on one connection (a probe's `mx` entry)."""

    plan: HostPlan
    address: str | None
    tls: TlsFacts
    pkix_error: str | None
    grade: HostGrade

    def to_json(self) -> dict[str, Any]:
        chain = bool(self.tls.chain)
        return {
            "host": self.plan.host,
            "preference": self.plan.preference,
            "addresses": list(self.plan.addresses),
            "address": self.address,
            "dnssec": weakest([self.plan.mx_dnssec, self.plan.address_dnssec]).value,
            "starttls": self.tls.starttls,
            "tls_version": self.tls.tls_version,
            "cipher": self.tls.cipher,
            "pkix_valid": chain and self.pkix_error is None,
            "pkix_error": self.pkix_error if chain else None,
            "tlsa": [_tlsa_text(record) for record in self.plan.tlsa],
            "tlsa_dnssec": self.plan.tlsa_dnssec.value,
            "tlsa_base": self.plan.tlsa_base or None,
            "dane_match": self.grade.dane_match,
            "level": self.grade.level.to_text(),
            "reasons": list(self.grade.reasons),
            "error": self.plan.dns_error or self.tls.error,
        }


@dataclass(frozen=True)
class ProbeResult:
    domain: str
    level: TransportLevel
    dnssec: Dnssec
    mx: tuple[dict[str, Any], ...]
    errors: tuple[str, ...]
    ttl: int
    # DNS failed (bogus, indeterminate) or no host answered: `level` proves nothing, and
    # policy must treat the domain as unknown (= no requirement met).
    inconclusive: bool
    # NXDOMAIN, a null MX, or no mail host with an address: a conclusive NONE that retrying
    # will not change (unlike a SERVFAIL or a timeout, which are inconclusive).
    permanent: bool = False

    @property
    def known_level(self) -> TransportLevel | None:
        """The level policy may rely on. None when inconclusive, and when permanent: no
        level reaches a domain that does not exist or takes no mail, so policy decides as
        for an unknown one and delivery reports the permanent failure to the sender."""
        return None if self.inconclusive or self.permanent else self.level

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "level": self.level.to_text(),
            "dnssec": self.dnssec.value,
            "mx": list(self.mx),
            "errors": list(self.errors),
            "inconclusive": self.inconclusive,
            "permanent": self.permanent,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], ttl: int = 0) -> ProbeResult:
        return cls(
            domain=data["domain"],
            level=TransportLevel.from_text(data["level"]),
            dnssec=Dnssec(data["dnssec"]),
            mx=tuple(data["mx"]),
            errors=tuple(data["errors"]),
            ttl=ttl,
            inconclusive=bool(data["inconclusive"]),
            permanent=bool(data.get("permanent", False)),
        )


def _tlsa_text(record: TLSARecord) -> str:
    return f"{record.usage} {record.selector} {record.mtype} {record.data.hex()}"


def _failure(answer: DnsAnswer, what: str) -> str | None:
    if answer.failed:
        return f"{what} lookup for {answer.name} failed: {answer.status.value} ({answer.rcode})"
    return None


class Prober:
    """Plans and connections for one resolver, CA bundle and port (shared by probe and delivery)."""

    def __init__(
        self,
        resolver: Resolver,
        *,
        ca_file: str | None = None,
        port: int = 25,
        timeout: float = 20.0,
        helo: str = "localhost",
    ) -> None:
        self.resolver = resolver
        self.ca_file = ca_file or None
        self.port = port
        self.timeout = timeout
        self.helo = helo

    async def plan(self, domain: str, salt: str = "") -> DomainPlan:
        """The mail hosts of `domain` in MX order, with their DNS facts; `salt` spreads hosts
        of equal preference (delivery passes the recipient, so retries keep one order)."""
        try:
            domain = Domain.parse(domain).ascii
        except AddressError:
            return DomainPlan(
                domain,
                Dnssec.INSECURE,
                (),
                0,
                f"{domain!r} is not a domain",
                True,
                PlanProblem.NOT_A_DOMAIN,
            )
        mx = await self.resolver.lookup(domain, "MX")
        if (failure := _failure(mx, "MX")) is not None:
            return DomainPlan(domain, mx.status, (), 0, failure, problem=PlanProblem.DNS_FAILURE)
        if mx.rcode == "NXDOMAIN":
            error = f"{domain} does not exist"
            return DomainPlan(domain, mx.status, (), mx.ttl, error, True, PlanProblem.NXDOMAIN)
        records = []
        for text in mx.records:
            preference, exchange = text.split(maxsplit=1)
            records.append((int(preference), exchange))
        hosts = mx_hosts(domain, records, salt)
        if hosts is None:
            error = f"{domain} accepts no mail"
            return DomainPlan(domain, mx.status, (), mx.ttl, error, True, PlanProblem.NULL_MX)
        plans = await asyncio.gather(
            *(self._host(host.name, host.preference, mx.status) for host in hosts[:MAX_HOSTS])
        )
        ttl = min([mx.ttl, *(plan.ttl for plan in plans)])
        if all(not plan.addresses and plan.dns_error is None for plan in plans):
            if not records:
                error, problem = f"{domain} has no mail host", PlanProblem.NO_MAIL_HOST
            else:
                error = f"no mail host of {domain} has an address"
                problem = PlanProblem.NO_ADDRESS
            return DomainPlan(domain, mx.status, tuple(plans), ttl, error, True, problem)
        return DomainPlan(domain, mx.status, tuple(plans), ttl)

    async def _host(self, host: str, preference: int, mx_dnssec: Dnssec) -> HostPlan:
        a, aaaa = await asyncio.gather(
            self.resolver.lookup(host, "A"), self.resolver.lookup(host, "AAAA")
        )
        address_dnssec = weakest([a.status, aaaa.status])
        addresses = tuple([*a.records, *aaaa.records])[:MAX_ADDRESSES_PER_HOST]
        problem = _failure(a, "A") or _failure(aaaa, "AAAA")
        tlsa_dnssec, ttl = Dnssec.INSECURE, min(a.ttl, aaaa.ttl)
        tlsa: tuple[TLSARecord, ...] = ()
        tlsa_base = ""
        if problem is None and address_dnssec is Dnssec.SECURE and addresses:
            answer, tlsa_base = await self._tlsa(host, a.canonical_name or aaaa.canonical_name)
            tlsa_dnssec, ttl = answer.status, min(ttl, answer.ttl)
            problem = _failure(answer, "TLSA")
            if problem is None:
                tlsa = tuple(TLSARecord.from_text(text) for text in answer.records)
        return HostPlan(
            host,
            preference,
            mx_dnssec,
            addresses,
            address_dnssec,
            tlsa_dnssec,
            tlsa,
            ttl,
            problem,
            tlsa_base,
        )

    async def _tlsa(self, host: str, expanded: str) -> tuple[DnsAnswer, str]:
        """The host's TLSA answer and, when it came from there, the CNAME-expanded name:
        RFC 7672 §2.2.2 asks there first (secure address records only), then at `host`."""
        if expanded:
            answer = await self.resolver.lookup(tlsa_name(expanded, self.port), "TLSA")
            if answer.failed or answer.records:
                return answer, expanded
        return await self.resolver.lookup(tlsa_name(host, self.port), "TLSA"), ""

    async def connect(self, host: HostPlan, address: str) -> tuple[HostReport, smtplib.SMTP | None]:
        """Open STARTTLS to one address of `host` and grade it; the caller quits the session."""
        return await asyncio.to_thread(self.connect_blocking, host, address)

    def connect_blocking(
        self, host: HostPlan, address: str
    ) -> tuple[HostReport, smtplib.SMTP | None]:
        """`connect`, in the calling thread (delivery runs it in its bounded pool)."""
        tls, smtp = open_starttls(
            address, self.port, server_name=host.tls_name, helo=self.helo, timeout=self.timeout
        )
        return self.report(host, address, tls), smtp

    def report(self, host: HostPlan, address: str | None, tls: TlsFacts) -> HostReport:
        """Grade what one connection showed (blocking: PKIX reads the CA bundle)."""
        now = datetime.now(UTC)
        pkix_error = None
        if tls.chain:
            pkix_error = pkix_problem(tls.chain, host.host, ca_file=self.ca_file, now=now)
        grade = grade_host(_evidence(host, tls, pkix_error, now))
        return HostReport(host, address, tls, pkix_error, grade)

    async def probe(self, domain: str) -> ProbeResult:
        plan = await self.plan(domain)
        errors = [plan.error] if plan.error else []
        reports = await asyncio.gather(*(self._probe_host(host) for host in plan.hosts))
        graded: list[HostGrade] = []
        # A domain that does not exist or takes no mail is known: it is permanent, not a DNS
        # failure, so policy sees level NONE rather than "unknown".
        inconclusive = plan.error is not None and not plan.permanent
        for report in reports:
            if report.plan.dns_error is not None:
                errors.append(report.plan.dns_error)
                # A bogus answer smells of forgery: the host counts, as NONE. An answer that
                # did not come leaves the host out of what a delivery could use now.
                if report.plan.address_dnssec is Dnssec.BOGUS or (
                    report.plan.tlsa_dnssec is Dnssec.BOGUS
                ):
                    graded.append(report.grade)
            elif report.tls.connected:
                graded.append(report.grade)
            elif report.tls.error:
                errors.append(f"{report.plan.host}: {report.tls.error}")
        if not graded and not plan.permanent:
            inconclusive = True
        return ProbeResult(
            domain=plan.domain,
            level=domain_level(graded),
            dnssec=plan.mx_dnssec,
            mx=tuple(report.to_json() for report in reports),
            errors=tuple(errors),
            ttl=plan.ttl,
            inconclusive=inconclusive,
            permanent=plan.permanent,
        )

    async def _probe_host(self, host: HostPlan) -> HostReport:
        no_session = TlsFacts(False, False, None, None, (), host.dns_error or "no address")
        ungraded = grade_host(_evidence(host, no_session, None, datetime.now(UTC)))
        last = HostReport(host, None, no_session, None, ungraded)
        if host.dns_error is not None:
            return last
        for address in host.addresses:
            last, smtp = await self.connect(host, address)
            if smtp is not None:
                await asyncio.to_thread(quit_quietly, smtp)
            if last.tls.connected:
                return last
        return last


def _evidence(host: HostPlan, tls: TlsFacts, pkix_error: str | None, now: datetime) -> HostEvidence:
    return HostEvidence(
        host=host.host,
        mx_dnssec=host.mx_dnssec,
        address_dnssec=host.address_dnssec,
        tlsa_dnssec=host.tlsa_dnssec,
        tlsa=host.tlsa,
        tls=tls,
        pkix_error=pkix_error,
        now=now,
        tlsa_base=host.tlsa_base,
    )
