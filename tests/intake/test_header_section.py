"""Intake reads the header section with the same parser as submission's checks."""

from __future__ import annotations

from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.intake import ReadableMessage
from sealgate.store import Conversation, Message, Recipient
from tests.intake.conftest import Submit
from tests.route.pipeline import process_incoming

BOB, CAROL, DAVE = "bob@clinic.example", "carol@clinic.example", "dave@lab.example"

OBSOLETE = (
    b"From : Alice Arts <alice@hospital.example>\r\n"
    b"To : bob@clinic.example\r\n"
    b"Cc\t: carol@clinic.example\r\n"
    b"zivver-direct-delivery : tls\r\n"
    b"Subject : Lab results\r\n"
    b"\r\n"
    b"Hello.\r\n"
)


def test_obsolete_field_syntax_is_read_as_the_fields_it_is(
    runtime: Runtime, submit: Submit
) -> None:
    """Issue 8 item 3: `To : bob` (RFC 5322 4.5) is a To field for the conversation split and
    the portal alike; the email package alone ended the header section at the first such
    field, took every recipient for Bcc and showed the headers as body text."""
    submit(OBSOLETE, [BOB, CAROL, DAVE])
    assert process_incoming(runtime) == 1
    with runtime.db.begin() as session:
        message = session.scalars(select(Message)).one()
        kinds = {c.id: c.kind for c in session.scalars(select(Conversation))}
        placed = sorted(
            (kinds[r.conversation_id], r.address, r.role)
            for r in session.scalars(select(Recipient))
        )
    assert placed == [("bcc", DAVE, "bcc"), ("to_cc", BOB, "to"), ("to_cc", CAROL, "cc")]
    assert message.control_headers["zivver-direct-delivery"] == ["tls"]
    readable = ReadableMessage.from_json(runtime.vault.get_bytes(message.content_blob_id))
    assert (readable.subject, readable.to, readable.cc) == ("Lab results", (BOB,), (CAROL,))
    assert "Alice Arts" in readable.sender
    assert readable.text.strip() == "Hello."
