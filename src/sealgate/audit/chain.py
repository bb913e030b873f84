"""The hash chain of the audit trail (pure: no I/O, no clock).

Why a chain: each entry's hash covers the previous entry's hash, so editing, deleting or
reordering any stored entry breaks every hash after it, and `verify` can name the first
entry that no longer matches. The encoding is canonical JSON (sorted keys, no spaces,
UTF-8) so the same entry always hashes to the same value on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

GENESIS_HASH = "0" * 64
"""The `prev_hash` of the first entry: there is nothing before it."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit entry as stored: who (actor), what (action), which object, when, outcome.

    Never carries message content: `object_id` names a row, not what is in it.
    """

    seq: int
    at: str  # UTC, ISO 8601, chosen by the caller (this module reads no clock)
    actor_kind: str  # "cli" | "account" | "guest" | "system" | "token"
    actor_id: str
    action: str
    organisation: str | None
    object_id: str | None
    outcome: str  # "ok" | "denied" | "failed"
    prev_hash: str
    entry_hash: str
    client: str | None = None  # the actor's network address, when known
    details: str = "{}"  # canonical JSON (`canonical_details`); ids and flags, never content


def canonical_bytes(
    *,
    seq: int,
    at: str,
    actor_kind: str,
    actor_id: str,
    action: str,
    organisation: str | None,
    object_id: str | None,
    outcome: str,
    prev_hash: str,
    client: str | None = None,
    details: str = "{}",
) -> bytes:
    """The bytes that are hashed: every field of the entry, the previous hash included."""
    fields = {
        "client": client,
        "details": details,
        "seq": seq,
        "at": at,
        "actor_kind": actor_kind,
        "actor_id": actor_id,
        "action": action,
        "organisation": organisation,
        "object_id": object_id,
        "outcome": outcome,
        "prev_hash": prev_hash,
    }
    return canonical_json(fields)


def entry_hash(**fields: object) -> str:
    """The sha256 (hex) of an entry's canonical bytes."""
    return hashlib.sha256(canonical_bytes(**fields)).hexdigest()  # type: ignore[arg-type]


def canonical_details(details: Mapping[str, object] | None) -> str:
    """The one JSON text of an entry's details, so that it hashes alike wherever it is read."""
    return canonical_json(details or {}).decode()


def first_broken(
    entries: Iterable[AuditEntry], *, anchor: str = GENESIS_HASH, first_seq: int | None = None
) -> AuditEntry | None:
    """The first entry (in seq order) whose link or hash does not match, or None if intact.

    `anchor` is the hash the first entry must link to: GENESIS_HASH for a whole chain, or
    the hash of the last entry pruned by retention. `first_seq`, when given, is the seq the
    first entry must have, so that deleting the oldest entries is noticed too.
    """

    def recompute(entry: AuditEntry) -> str:
        return entry_hash(
            seq=entry.seq,
            at=entry.at,
            actor_kind=entry.actor_kind,
            actor_id=entry.actor_id,
            action=entry.action,
            organisation=entry.organisation,
            object_id=entry.object_id,
            outcome=entry.outcome,
            prev_hash=entry.prev_hash,
            client=entry.client,
            details=entry.details,
        )

    return first_broken_link(entries, recompute, anchor=anchor, first_seq=first_seq)


# -- any chain of links: the audit trail above, and each message's evidence (sealgate.evidence)


def canonical_json(fields: Mapping[str, object]) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8): what a link's hash is computed over."""
    return json.dumps(
        dict(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def fields_hash(fields: Mapping[str, object]) -> str:
    """The sha256 (hex) of `fields` in canonical JSON; `fields` includes the previous hash."""
    return hashlib.sha256(canonical_json(fields)).hexdigest()


class Link(Protocol):
    """What `first_broken_link` needs of a stored link: its place and the two hashes."""

    @property
    def seq(self) -> int: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def entry_hash(self) -> str: ...


L = TypeVar("L", bound=Link)


def first_broken_link(
    links: Iterable[L],
    recompute: Callable[[L], str],
    *,
    anchor: str = GENESIS_HASH,
    first_seq: int | None = None,
) -> L | None:
    """The first link (in seq order) that is out of sequence, points to the wrong previous
    hash, or whose own hash `recompute` does not reproduce; None if the chain is intact.

    The first link must point to `anchor` (GENESIS_HASH unless the oldest links were pruned)
    and, when `first_seq` is given, carry that seq: so cutting off the oldest is seen too.
    """
    prev = anchor
    expected_seq = first_seq
    for link in links:
        if expected_seq is not None and link.seq != expected_seq:
            return link
        if link.prev_hash != prev or link.entry_hash != recompute(link):
            return link
        prev = link.entry_hash
        expected_seq = link.seq + 1
    return None
