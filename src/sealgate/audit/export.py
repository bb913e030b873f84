"""An audit entry as JSON, and the export of entries as JSON lines or CSV.

Every field is exported (with the hashes), so that an inspector can check the chain again
elsewhere. `sealgate audit export|list` and the REST API (`/api/v1/audit…`) share this form.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO, Any

from sealgate.audit.chain import AuditEntry
from sealgate.audit.trail import format_actor

EXPORT_FIELDS = (
    "seq",
    "at",
    "actor",
    "client",
    "organisation",
    "action",
    "target",
    "outcome",
    "details",
    "prev_hash",
    "hash",
)
EXPORT_FORMATS = ("jsonl", "csv")


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": format_actor(entry.actor_kind, entry.actor_id),
        "client": entry.client,
        "organisation": entry.organisation,
        "action": entry.action,
        "target": entry.object_id,
        "outcome": entry.outcome,
        "details": json.loads(entry.details),
        "prev_hash": entry.prev_hash,
        "hash": entry.entry_hash,
    }


def write_export(stream: IO[str], form: str, found: Iterable[AuditEntry]) -> int:
    """Write `found` to `stream` as `form` (jsonl or csv); how many entries were written."""
    written = 0
    writer = csv.DictWriter(stream, fieldnames=EXPORT_FIELDS) if form == "csv" else None
    if writer is not None:
        writer.writeheader()
    for entry in found:
        value = entry_json(entry)
        if writer is not None:
            writer.writerow({**value, "details": entry.details})
        else:
            stream.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n")
        written += 1
    return written
