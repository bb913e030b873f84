"""Grade one MX host: which transport level did this very connection prove? (pure)

The evidence is what the probe (or a delivery attempt) saw: the STARTTLS facts, the PKIX
verdict on the presented chain, the TLSA RRset and the DNSSEC status of each DNS answer.
The rules, strongest first, as Postfix's `dane`/`secure`/`verify`/`encrypt` levels:

- NONE: no connection, no STARTTLS, no TLS >= 1.2; or any DNS answer the host depends on
  (MX, address, TLSA) is bogus or indeterminate: it cannot be proven that there is no DANE,
  so we fail closed (Postfix defers).
- A secure TLSA RRset with usable records (DANE-TA/DANE-EE) must match the chain, else NONE,
  even when PKIX would pass (RFC 7672 §2.2). A match is DANE when the MX and address records
  are secure; a host reached through an insecure MX RRset keeps the enforced match but is
  reported as PKIX or TLS (its name was not authenticated, RFC 7672 §2.2.1).
- A secure TLSA RRset without usable records counts as none (RFC 7672 §3.1.3: unauthenticated
  TLS is still mandatory, which the TLS floor gives).
- No (or insecure) TLSA: a valid PKIX chain is PKIX, and PANE when MX and address records are
  DNSSEC-secure; otherwise TLS.

No I/O, no clock: `now` is part of the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509

from sealgate.transport.dane import is_usable, match_chain
from sealgate.transport.dnssec import Dnssec
from sealgate.transport.levels import TransportLevel
from sealgate.transport.tlsa import TLSARecord

if TYPE_CHECKING:  # a plain value; importing it at run time would pull in pyOpenSSL
    from sealgate.transport.starttls import TlsFacts

_FAILED = (Dnssec.BOGUS, Dnssec.INDETERMINATE)
_VERSION = re.compile(r"TLSv(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class HostEvidence:
    host: str  # MX host name (DANE-TA name check uses it, and `tlsa_base` if set)
    mx_dnssec: Dnssec  # of the MX RRset (implicit MX: of the domain's address records)
    address_dnssec: Dnssec  # weakest of the host's A/AAAA lookups
    tlsa_dnssec: Dnssec
    tlsa: tuple[TLSARecord, ...]
    tls: TlsFacts
    pkix_error: str | None  # from pkix_problem (None = valid)
    now: datetime
    # The CNAME-expanded host name when the TLSA records were found there (RFC 7672 §2.2.2).
    tlsa_base: str = ""


@dataclass(frozen=True)
class HostGrade:
    level: TransportLevel  # what THIS connection proved
    dane_match: bool | None  # None when no usable secure TLSA applied
    reasons: tuple[str, ...]  # why, one sentence each (probe reports and traces)


def grade_host(evidence: HostEvidence) -> HostGrade:
    """The level one connection to one MX host proved, with the reasons, by the rules above."""
    host, tls = evidence.host, evidence.tls
    if not tls.connected:
        return _none(f"no connection to {host}: {tls.error or 'unknown error'}")
    if not tls.starttls:
        return _none(f"{host} does not offer STARTTLS")
    if not is_modern_tls(tls.tls_version):
        return _none(f"no TLS 1.2 or newer with {host}: {tls.error or tls.tls_version}")
    if tls.error is not None:
        return _none(f"no usable TLS session with {host}: {tls.error}")
    reasons = [f"STARTTLS with {tls.tls_version} ({tls.cipher or 'unknown cipher'})"]
    for what, status in (
        ("MX", evidence.mx_dnssec),
        ("address", evidence.address_dnssec),
        ("TLSA", evidence.tlsa_dnssec),
    ):
        if status in _FAILED:
            reasons.append(f"the {what} lookup for {host} is {status}: fail closed")
            return HostGrade(TransportLevel.NONE, None, tuple(reasons))
    dns_secure = evidence.mx_dnssec == evidence.address_dnssec == Dnssec.SECURE
    pkix_level = TransportLevel.PKIX if evidence.pkix_error is None else TransportLevel.TLS
    pkix_reason = (
        f"certificate is valid for {host} (PKIX)"
        if evidence.pkix_error is None
        else f"certificate not trusted: {evidence.pkix_error}"
    )
    secure_tlsa = evidence.tlsa_dnssec == Dnssec.SECURE
    if secure_tlsa and any(is_usable(record) for record in evidence.tlsa):
        names = [name for name in (evidence.tlsa_base, host) if name]
        verdict = match_chain(evidence.tlsa, parse_chain(tls.chain), names=names, now=evidence.now)
        if not verdict.matched:
            reasons.append(f"secure TLSA RRset of {host} matches nothing: {verdict.reason}")
            return HostGrade(TransportLevel.NONE, False, tuple(reasons))
        reasons.append(f"secure TLSA RRset: {verdict.reason}")
        if dns_secure:
            reasons.append("MX and address records are DNSSEC-secure (DANE)")
            return HostGrade(TransportLevel.DANE, True, tuple(reasons))
        reasons.append(
            f"{host} was not reached through DNSSEC-secure MX and address records, "
            "so the TLSA match is enforced but not reported as DANE"
        )
        reasons.append(pkix_reason)
        return HostGrade(pkix_level, True, tuple(reasons))
    if secure_tlsa and evidence.tlsa:
        reasons.append("secure TLSA RRset has no usable records (DANE-TA/EE): treated as none")
    elif evidence.tlsa:
        reasons.append(f"TLSA RRset is {evidence.tlsa_dnssec}, not secure: ignored")
    reasons.append(pkix_reason)
    if pkix_level is TransportLevel.PKIX and dns_secure:
        reasons.append("MX and address records are DNSSEC-secure (PANE)")
        return HostGrade(TransportLevel.PANE, None, tuple(reasons))
    return HostGrade(pkix_level, None, tuple(reasons))


def domain_level(grades: Sequence[HostGrade]) -> TransportLevel:
    """What delivery to the domain is guaranteed: the weakest host; NONE without hosts."""
    return min((grade.level for grade in grades), default=TransportLevel.NONE)


def is_modern_tls(version: str | None) -> bool:
    """TLS 1.2 or newer, from OpenSSL's protocol name ("TLSv1.3"); SSLv3 and DTLS are not."""
    match = _VERSION.fullmatch(version or "")
    if match is None:
        return False
    return (int(match[1]), int(match[2] or 0)) >= (1, 2)


def parse_chain(chain: Sequence[bytes]) -> list[x509.Certificate]:
    """The presented chain as certificates, up to the first one that cannot be parsed."""
    certs: list[x509.Certificate] = []
    for der in chain:
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except ValueError:
            break
    return certs


def _none(reason: str) -> HostGrade:
    return HostGrade(TransportLevel.NONE, None, (reason,))
