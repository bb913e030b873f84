"""What one connection must prove before it may carry a mail, and whether it did (pure).

Postfix decides this per next hop with `smtp_tls_security_level`; so do we, per host, from the
job's `Requirement` and the host's DNS facts (the probe's `HostPlan`):

    direct delivery (a level)          LEVEL    STARTTLS, and the graded level >= the minimum
    secure TLSA RRset, usable records  DANE     STARTTLS, and the chain matches the RRset
    secure TLSA RRset, none usable     ENCRYPT  STARTTLS, not authenticated (RFC 7672 §2.2)
    no TLSA, or not DNSSEC-secure      MAY      STARTTLS when offered, else plaintext
    the relay, relay_starttls = true   VERIFY   STARTTLS, chain verified to relay_ca_file
    the relay otherwise                MAY

A host whose TLSA lookup failed never gets a mode: the walk skips it (it is unusable, RFC
7672 §2.2) and the mail is deferred if no other host takes it.

A refusal says how the walk goes on: `below` (a direct delivery's level not met: try the next
host, and if none meets it, policy chooses again), otherwise a temporary failure for this
host (try the next one, and defer if none takes the mail). Nothing here ever turns a refusal
into a weaker attempt on the same host.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sealgate.delivery.outcome import (
    S_NO_ANSWER,
    S_NOT_AUTHENTICATED,
    S_TLS_NOT_OFFERED,
    TemporaryFailure,
)
from sealgate.policy import Requirement
from sealgate.transport import Dnssec, HostGrade, TLSARecord, TransportLevel, is_usable


class TlsMode(StrEnum):
    LEVEL = "level"
    DANE = "dane"
    ENCRYPT = "encrypt"
    MAY = "may"
    VERIFY = "verify"


@dataclass(frozen=True)
class Refusal:
    """This connection may not carry the mail: a temporary failure, or below a level."""

    text: str
    status: str = S_NO_ANSWER
    below: bool = False  # a direct delivery's level was not proven
    observed: TransportLevel = TransportLevel.NONE  # what the host proved (for `below`)

    def failure(self) -> TemporaryFailure:
        return TemporaryFailure(None, self.text, self.status)


def host_mode(requirement: Requirement, tlsa_dnssec: Dnssec, tlsa: Sequence[TLSARecord]) -> TlsMode:
    """The mode for one MX host (RFC 7672 §2.2 for mail without a level)."""
    if not requirement.opportunistic:
        return TlsMode.LEVEL
    if tlsa_dnssec is not Dnssec.SECURE or not tlsa:
        return TlsMode.MAY
    if any(is_usable(record) for record in tlsa):
        return TlsMode.DANE
    return TlsMode.ENCRYPT


def relay_mode(relay_starttls: bool) -> TlsMode:
    return TlsMode.VERIFY if relay_starttls else TlsMode.MAY


def without_starttls(mode: TlsMode, host: str) -> Refusal | None:
    """A server that offers no STARTTLS: None (go on in plaintext) only in MAY mode."""
    if mode is TlsMode.MAY:
        return None
    if mode is TlsMode.LEVEL:
        return Refusal(f"{host} does not offer STARTTLS", below=True)
    if mode is TlsMode.DANE:
        return Refusal(
            f"{host} has a DNSSEC-secure TLSA RRset but does not offer STARTTLS "
            "(RFC 7672: TLS is mandatory)",
            S_NOT_AUTHENTICATED,
        )
    return Refusal(f"TLS is required, but {host} does not offer STARTTLS", S_TLS_NOT_OFFERED)


def handshake_failed(mode: TlsMode, grade: HostGrade, host: str, error: str) -> Refusal:
    """STARTTLS was offered and failed: never plaintext on this host (fail closed)."""
    if mode is TlsMode.LEVEL:
        return Refusal(f"{host}: {error}", below=True, observed=grade.level)
    return Refusal(f"{host} offered STARTTLS, but {error}; not sending in plaintext")


def judge(
    mode: TlsMode,
    requirement: Requirement,
    grade: HostGrade,
    tls_version: str | None,
    host: str,
    relay_problem: str | None = None,
) -> Refusal | None:
    """A TLS session is up: None when it may carry the mail, else why not."""
    if mode is TlsMode.LEVEL:
        if requirement.met_by(grade.level, tls_version):
            return None
        why = "; ".join(grade.reasons) or "no TLS session"
        return Refusal(f"{host} proved {grade.level.name}: {why}", below=True, observed=grade.level)
    if mode is TlsMode.DANE:
        if grade.dane_match is True:
            return None
        why = "; ".join(grade.reasons[1:]) or "no DANE match"
        return Refusal(f"DANE authentication of {host} failed: {why}", S_NOT_AUTHENTICATED)
    if mode is TlsMode.VERIFY and relay_problem is not None:
        return Refusal(f"{host}: {relay_problem}", S_NOT_AUTHENTICATED)
    return None
