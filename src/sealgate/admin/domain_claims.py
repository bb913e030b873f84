"""Claiming a domain for an organisation by DNS: the challenge to publish, and its check.

A claim is proven by a TXT record `_sealgate-challenge.<domain>` whose value is an HMAC of
the organisation and domain under a master-key subkey: unguessable without the key, yet
nothing to store; the same claim always asks for the same value, so an admin can publish
it, come back later and verify. Verify asks the configured resolver ([transport] resolver),
the one delivery uses. The REST API and the console both call these two functions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.admin.errors import AdminError
from sealgate.bootstrap import Runtime
from sealgate.delivery import LookupFailed, resolver_txt_lookup
from sealgate.directory import claimable_domain
from sealgate.store import Domain

CHALLENGE_PURPOSE = "domain-claim"
CHALLENGE_PREFIX = "_sealgate-challenge."


class ClaimError(AdminError):
    """A claim refused: `reason` is "conflict", "challenge_failed" or "dns_lookup_failed"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Challenge:
    domain: str
    record_name: str
    record_value: str

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "status": "pending",
            "record_name": self.record_name,
            "record_type": "TXT",
            "record_value": self.record_value,
        }


def challenge_value(rt: Runtime, org_id: int, domain: str) -> str:
    mac = hmac.new(rt.subkey(CHALLENGE_PURPOSE), f"{org_id}:{domain}".encode(), hashlib.sha256)
    return "sealgate-challenge=" + base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def _held(session: Session, org_id: int, domain: str) -> Domain | None:
    """The domain's row if this organisation holds it; a conflict if another one does."""
    row = session.scalar(select(Domain).where(Domain.name == domain))
    if row is not None and row.org_id != org_id:
        raise ClaimError("conflict", f"domain {domain} is claimed by another organisation")
    return row


def claim_domain(session: Session, rt: Runtime, org_id: int, typed: str) -> Challenge:
    """The TXT record to publish for `typed` (DirectoryError: not a domain name)."""
    domain = claimable_domain(typed)
    if _held(session, org_id, domain) is not None:
        raise ClaimError("conflict", f"domain {domain} is already claimed by this organisation")
    return Challenge(domain, CHALLENGE_PREFIX + domain, challenge_value(rt, org_id, domain))


def verify_claim(session: Session, rt: Runtime, org_id: int, typed: str) -> Domain:
    """The domain's row, added once its TXT record holds the challenge value."""
    domain = claimable_domain(typed)
    row = _held(session, org_id, domain)
    if row is not None:
        return row
    transport = rt.settings.transport
    lookup = resolver_txt_lookup(transport.resolver, timeout=transport.dns_timeout)
    try:
        found = lookup(CHALLENGE_PREFIX + domain)
    except LookupFailed as exc:
        raise ClaimError("dns_lookup_failed", str(exc)) from None
    expected = challenge_value(rt, org_id, domain).encode()
    if not any(hmac.compare_digest(text.strip().encode(), expected) for text in found):
        raise ClaimError(
            "challenge_failed",
            f"no TXT record {CHALLENGE_PREFIX}{domain} with the challenge value was found",
        )
    row = Domain(org_id=org_id, name=domain)
    session.add(row)
    session.flush()
    return row
