"""The proof-of-delivery report of one message, as text (pure: values in, text out).

One section for the message itself (its acceptance), then one per recipient, each event
with its time in UTC, its place in the chain and its details; the head of the chain last,
so that a reader can later check that no event was cut off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sealgate.evidence.events import Event, head

MESSAGE_SECTION = "the message"


@dataclass(frozen=True, slots=True)
class Subject:
    """What a report is about: the message and its recipients, in the order to show them."""

    message_id: str
    submission_id: str
    sender: str
    recipients: tuple[str, ...]


def sections(subject: Subject, events: Iterable[Event]) -> list[tuple[str, list[Event]]]:
    """(title, events) per section: the message's own events, then each recipient's."""
    by_title: dict[str, list[Event]] = {MESSAGE_SECTION: []}
    by_title.update({address: [] for address in subject.recipients})
    for event in events:
        by_title.setdefault(event.recipient or MESSAGE_SECTION, []).append(event)
    return list(by_title.items())


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_value(v) for v in value)
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _record(item: dict[str, Any]) -> str:
    """A trace step as `message show` prints one; any other record as its pairs."""
    if set(item) == {"step", "outcome", "reason"}:
        return f"{item['outcome']:<8} {item['step']}: {item['reason']}"
    return _value(item)


def detail_lines(details: dict[str, Any], indent: str) -> list[str]:
    """One line per detail that has a value; a list of records (a decision trace) one line
    per record. (The JSON report keeps every key, the empty ones too.)"""
    lines = []
    for key, value in details.items():
        if value is None:
            continue
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(f"{indent}{key}:")
            lines.extend(f"{indent}  - {_record(item)}" for item in value)
        else:
            lines.append(f"{indent}{key}: {_value(value)}")
    return lines


def when(event: Event) -> str:
    """The event's time as a reader wants it: date, time to the second, UTC."""
    return f"{event.at[:10]} {event.at[11:19]} UTC"


def to_text(subject: Subject, events: list[Event]) -> str:
    lines = [
        f"proof of delivery: message {subject.message_id} (submission {subject.submission_id})",
        f"  from {subject.sender}; {len(events)} events; all times UTC",
    ]
    for title, found in sections(subject, events):
        lines.append("")
        lines.append(f"  {title}")
        if not found:
            lines.append("    (no events)")
        for event in found:
            lines.append(f"    {when(event)}  #{event.seq} {event.kind}")
            lines.extend(detail_lines(event.details, "        "))
    lines.append("")
    lines.append(f"  head of the chain: {head(events)}")
    return "\n".join(lines)
