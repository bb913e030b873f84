"""DNSSEC status of one DNS answer, as a validating resolver reports it (Postfix's dns_sec)."""

from __future__ import annotations

from enum import StrEnum


class Dnssec(StrEnum):
    SECURE = "secure"  # validated: the resolver set the AD bit
    INSECURE = "insecure"  # provably unsigned (no DS on the path), or no AD bit
    BOGUS = "bogus"  # signed but failed validation (SERVFAIL that a CD query answers)
    INDETERMINATE = "indeterminate"  # no answer to judge: SERVFAIL, timeout, unreachable


def weakest(statuses: list[Dnssec]) -> Dnssec:
    """Combine answers: any failure dominates, secure only when every part is secure."""
    for status in (Dnssec.BOGUS, Dnssec.INDETERMINATE, Dnssec.INSECURE):
        if status in statuses:
            return status
    return Dnssec.SECURE
