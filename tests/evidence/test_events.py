"""Evidence events as values: the fields a hash covers, content refused, a broken link named."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime

import pytest

from sealgate.audit import GENESIS_HASH
from sealgate.evidence import Event, EvidenceError, event_hash, first_broken, format_at, head
from sealgate.evidence.events import normal_details, to_json


def _chain(n: int) -> list[Event]:
    events, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        fields = dict(
            message_id="m1",
            seq=seq,
            at=f"2026-12-03T06:0{seq}:00.000000Z",
            recipient=None if seq == 1 else "pat@example.org",
            kind="opened",
            details={"n": seq},
            prev_hash=prev,
        )
        digest = event_hash(**fields)
        events.append(Event(entry_hash=digest, **fields))  # type: ignore[arg-type]
        prev = digest
    return events


def test_the_hash_is_sha256_of_the_reported_fields_in_canonical_json() -> None:
    """A --json report can be re-checked with nothing but sha256 and a JSON encoder."""
    event = _chain(1)[0]
    shown = to_json(event)
    fields = {k: v for k, v in shown.items() if k != "hash"} | {"message_id": "m1"}
    encoded = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    assert hashlib.sha256(encoded).hexdigest() == shown["hash"] == event.entry_hash


def test_intact_chain_and_its_head() -> None:
    events = _chain(4)
    assert first_broken(events) is None
    assert head(events) == events[-1].entry_hash
    assert head([]) == GENESIS_HASH


@pytest.mark.parametrize(
    "change",
    [
        {"details": {"n": 99}},
        {"recipient": "mallory@example.org"},
        {"at": "2026-12-03T07:00:00.000000Z"},
        {"kind": "downloaded"},
    ],
)
def test_any_changed_field_names_that_event(change: dict[str, object]) -> None:
    events = _chain(4)
    events[2] = dataclasses.replace(events[2], **change)  # type: ignore[arg-type]
    broken = first_broken(events)
    assert broken is not None and broken.seq == 3


def test_a_removed_first_event_is_seen() -> None:
    broken = first_broken(_chain(3)[1:])
    assert broken is not None and broken.seq == 2


def test_details_are_stored_as_json_reads_them_back() -> None:
    when = datetime(2026, 12, 3, 6, 30, 1, 5)
    assert normal_details({"at": when, "hosts": ("a", "b")}) == {
        "at": "2026-12-03T06:30:01.000005Z",
        "hosts": ["a", "b"],
    }
    assert format_at(datetime(2026, 12, 3)) == "2026-12-03T00:00:00.000000Z"


@pytest.mark.parametrize(
    "details",
    [{"subject": "x"}, {"attachments": [{"filename": "a.pdf"}]}, {"Body": "x"}, {"x": object()}],
)
def test_content_and_non_json_details_are_refused(details: dict[str, object]) -> None:
    with pytest.raises(EvidenceError):
        normal_details(details)
