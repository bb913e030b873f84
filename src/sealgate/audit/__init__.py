"""The audit trail (issue 12): an append-only, hash-chained record of who did what."""

from sealgate.audit.chain import (
    GENESIS_HASH,
    AuditEntry,
    canonical_json,
    entry_hash,
    fields_hash,
    first_broken,
    first_broken_link,
)

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "canonical_json",
    "entry_hash",
    "fields_hash",
    "first_broken",
    "first_broken_link",
]
