"""The audit trail: query (oldest first, by sequence number), export, verify the chain.

An organisation's auditor sees the entries that name their organisation; the operator sees
all. Verify checks the whole chain (its answer names no entry's content). An export is an
access to the trail and is itself recorded.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from starlette.responses import Response

from sealgate.admin.api.endpoint import Call
from sealgate.admin.api.errors import ApiError
from sealgate.admin.api.pagination import decode_cursor, encode_cursor
from sealgate.admin.api.times import parse_time
from sealgate.audit import AuditEntry, entries, entry_json, verify, write_export
from sealgate.store import Organisation

_MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


def _names(call: Call) -> frozenset[str] | None:
    scope = call.scope()
    if scope is None:
        return None
    rows = call.session.query(Organisation.name).filter(Organisation.id.in_(list(scope)))
    return frozenset(name for (name,) in rows)


def _matching(call: Call, after_seq: int = 0, **filters: Any) -> Iterator[AuditEntry]:
    return entries(call.session, after_seq=after_seq, organisations=_names(call), **filters)


def _after(cursor: str | None) -> int:
    key = decode_cursor(cursor)
    if key is None:
        return 0
    if len(key) != 1 or not isinstance(key[0], int) or isinstance(key[0], bool):
        raise ApiError(400, "invalid_cursor", "the cursor belongs to another listing")
    return key[0]


def query_audit(call: Call) -> dict[str, Any]:
    q = call.query
    found: list[AuditEntry] = []
    for entry in _matching(
        call,
        after_seq=_after(q.cursor),
        since=parse_time(q.since, "since"),
        until=parse_time(q.until, "until"),
        action=q.action,
        actor=q.actor,
    ):
        found.append(entry)
        if len(found) > q.limit:
            break
    shown = found[: q.limit]
    cursor = encode_cursor([shown[-1].seq]) if len(found) > q.limit else None
    return {"items": [entry_json(entry) for entry in shown], "next_cursor": cursor}


def export_audit(call: Call) -> Response:
    q = call.query
    stream = io.StringIO()
    found = _matching(call, since=parse_time(q.since, "since"), until=parse_time(q.until, "until"))
    written = write_export(stream, q.format, found)
    call.wrote = True
    call.details = {"exported": written, "format": q.format}
    return Response(stream.getvalue(), media_type=_MEDIA[q.format])


def verify_audit(call: Call) -> dict[str, Any]:
    return verify(call.session).to_json()
