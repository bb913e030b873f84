"""Audit: the append-only, hash-chained trail of who did what (issue 12, NEN 7513).

Receives: `record(session, action, actor, …)` calls from the CLI's unit of work and the
portal, inside the transaction of the thing recorded.
Hands off: `audit_entries` rows (one global chain) and the `audit_head` row; `verify`,
`entries`, `prune` for `sealgate audit`.
Trust: holds actors (OS users, account and guest addresses), client addresses, ids and
outcomes; never message content, codes, passwords or tokens. chain.py is pure.
"""

from sealgate.audit.chain import (
    GENESIS_HASH,
    AuditEntry,
    canonical_json,
    entry_hash,
    fields_hash,
    first_broken,
    first_broken_link,
)
from sealgate.audit.export import EXPORT_FIELDS, EXPORT_FORMATS, entry_json, write_export
from sealgate.audit.trail import (
    ACTOR_KINDS,
    AuditError,
    Verification,
    entries,
    format_actor,
    newest,
    prune,
    record,
    verify,
)

__all__ = [
    "EXPORT_FIELDS",
    "EXPORT_FORMATS",
    "entry_json",
    "write_export",
    "ACTOR_KINDS",
    "GENESIS_HASH",
    "AuditEntry",
    "AuditError",
    "Verification",
    "entries",
    "canonical_json",
    "entry_hash",
    "fields_hash",
    "first_broken",
    "first_broken_link",
    "format_actor",
    "newest",
    "prune",
    "record",
    "verify",
]
