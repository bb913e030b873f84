"""The proof-of-delivery report as a PDF, for a sender or auditor who wants a document.

The same sections as the text report (report.py): the message's own events, then each
recipient's, every event with its UTC time, place in the chain, details and own hash; the
head of the chain on the last line. DejaVu Sans (Debian's fonts-dejavu-core) is embedded when
it is installed, so any address or reason prints as it is; without it the PDF falls back to
a core font and replaces what Latin-1 cannot show with "?" (the JSON report stays exact).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fpdf import FPDF

from sealgate.evidence.events import Event, format_at, head
from sealgate.evidence.report import Subject, detail_lines, sections, when

FONT_FOLDERS = (Path("/usr/share/fonts/truetype/dejavu"),)
_REGULAR, _BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"


class _Report(FPDF):
    """An A4 document with one font family and a page number in every footer."""

    def __init__(self, fonts: Sequence[Path]) -> None:
        super().__init__(format="A4")
        self.unicode = False
        for folder in fonts:
            if (folder / _REGULAR).is_file() and (folder / _BOLD).is_file():
                self.add_font("report", "", str(folder / _REGULAR))
                self.add_font("report", "B", str(folder / _BOLD))
                self.unicode = True
                break
        self.family = "report" if self.unicode else "helvetica"
        self.set_auto_page_break(True, margin=15)

    def shown(self, value: str) -> str:
        """`value` as the font can show it."""
        return value if self.unicode else value.encode("latin-1", "replace").decode("latin-1")

    def paragraph(
        self, value: str, *, size: float = 9, bold: bool = False, indent: float = 0
    ) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, size * 0.5, self.shown(value), new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 7)
        self.cell(0, 5, f"sealgate proof of delivery, page {self.page_no()}", align="C")


def to_pdf(
    subject: Subject, events: list[Event], now: datetime, fonts: Sequence[Path] = FONT_FOLDERS
) -> bytes:
    """The report as PDF bytes; `now` (naive UTC) is printed as the time it was made."""
    pdf = _Report(fonts)
    pdf.set_title(f"Proof of delivery {subject.message_id}")
    pdf.set_creator("sealgate")
    pdf.add_page()
    pdf.paragraph("Proof of delivery", size=16, bold=True)
    pdf.ln(2)
    pdf.paragraph(f"Message {subject.message_id} (submission {subject.submission_id})")
    pdf.paragraph(f"From {subject.sender}; {len(events)} events; all times UTC")
    pdf.paragraph(f"Report made {format_at(now)}", size=8)
    for title, found in sections(subject, events):
        pdf.ln(3)
        pdf.paragraph(title, size=11, bold=True)
        if not found:
            pdf.paragraph("(no events)", indent=4)
        for event in found:
            pdf.ln(1)
            pdf.paragraph(f"{when(event)}   #{event.seq} {event.kind}", bold=True, indent=4)
            for detail in detail_lines(event.details, ""):
                pdf.paragraph(detail, size=8, indent=8)
            pdf.paragraph(f"hash {event.entry_hash}", size=7, indent=8)
    pdf.ln(4)
    pdf.paragraph("Head of the chain", size=10, bold=True)
    pdf.paragraph(head(events), size=8)
    pdf.paragraph(
        "Each event's hash is the sha256 of the canonical JSON of its fields and the hash "
        "before it; `sealgate message evidence ID --verify` recomputes the chain.",
        size=7,
    )
    return bytes(pdf.output())
