"""The PDF report says what the text report says: per recipient, UTC, the head of the chain."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pypdf
import pytest

from sealgate.audit import GENESIS_HASH
from sealgate.evidence import Event, Subject, event_hash, to_pdf
from sealgate.evidence.pdf import FONT_FOLDERS
from sealgate.evidence.pdf import to_pdf as render

SUBJECT = Subject("m1", "s1", "alice@hospital.example", ("pät@exämple.org", "olga@example.org"))


def _events() -> list[Event]:
    fields = dict(
        message_id="m1",
        seq=1,
        at="2026-12-03T06:30:01.000000Z",
        recipient="pät@exämple.org",
        kind="decided",
        details={
            "method": "sms",
            "trace": [{"step": "nta7516", "outcome": "skipped", "reason": "x"}],
        },
        prev_hash=GENESIS_HASH,
    )
    return [Event(entry_hash=event_hash(**fields), **fields)]  # type: ignore[arg-type]


def _text(document: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(document))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_has_each_section_event_and_the_head() -> None:
    events = _events()
    document = to_pdf(SUBJECT, events, datetime(2026, 12, 3, 7, 0))
    assert document.startswith(b"%PDF-")
    shown = _text(document)
    assert "Proof of delivery" in shown and "Message m1 (submission s1)" in shown
    assert "2026-12-03 06:30:01 UTC" in shown and "#1 decided" in shown
    assert "olga@example.org" in shown and "(no events)" in shown
    assert "skipped nta7516: x" in " ".join(shown.split())
    assert events[0].entry_hash in shown.replace("\n", "")


@pytest.mark.skipif(
    not (FONT_FOLDERS[0] / "DejaVuSans.ttf").is_file(), reason="fonts-dejavu-core missing"
)
def test_addresses_beyond_latin1_print_as_they_are() -> None:
    assert "pät@exämple.org" in _text(to_pdf(SUBJECT, _events(), datetime(2026, 12, 3)))


def test_without_the_font_a_core_font_still_makes_the_pdf(tmp_path: Path) -> None:
    odd = Subject("m1", "s1", "a@b", ("李@例え.jp",))
    shown = _text(render(odd, [], datetime(2026, 12, 3), fonts=(tmp_path,)))
    assert "?@??.jp" in shown and GENESIS_HASH in shown
