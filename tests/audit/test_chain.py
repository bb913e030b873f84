"""The audit hash chain: an intact chain verifies; any edit names the first broken entry."""

from __future__ import annotations

import dataclasses

from sealgate.audit.chain import GENESIS_HASH, AuditEntry, entry_hash, first_broken


def _chain(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        fields = dict(
            seq=seq,
            at=f"2026-12-02T21:0{seq}:00Z",
            actor_kind="cli",
            actor_id="root",
            action="org.create",
            organisation="acme",
            object_id=str(seq),
            outcome="ok",
            prev_hash=prev,
        )
        h = entry_hash(**fields)
        entries.append(AuditEntry(entry_hash=h, **fields))  # type: ignore[arg-type]
        prev = h
    return entries


def test_intact_chain_verifies() -> None:
    assert first_broken(_chain(5)) is None


def test_edited_entry_is_named() -> None:
    entries = _chain(5)
    entries[2] = dataclasses.replace(entries[2], action="org.delete")
    broken = first_broken(entries)
    assert broken is not None and broken.seq == 3


def test_deleted_entry_is_named() -> None:
    entries = _chain(5)
    del entries[1]
    broken = first_broken(entries)
    assert broken is not None and broken.seq == 3
