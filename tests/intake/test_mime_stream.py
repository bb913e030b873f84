"""The streamed MIME walk: large parts into blobs of their own, the same readable form."""

from __future__ import annotations

import base64
import os
import random
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from sealgate.intake import ReadableMessage, mime_stream, parse_mime, readable_from
from sealgate.intake.mime_stream import SkeletonWalk, lines_of
from sealgate.intake.raw_stream import RawMessage, RawUnreadable
from sealgate.vault import Vault


def _in_memory(raw: bytes, vault: Vault) -> ReadableMessage:
    return readable_from(parse_mime(raw), raw, vault)


def _streamed(raw: bytes, vault: Vault) -> ReadableMessage:
    message = RawMessage.open(vault, vault.put_bytes(raw))
    return message.readable(message.section, vault)


def _contents(readable: ReadableMessage, vault: Vault) -> list[tuple[str, str, int, bytes]]:
    return [
        (a.filename, a.content_type, a.size, vault.get_bytes(a.blob_id))
        for a in readable.attachments
    ]


def _same(raw: bytes, vault: Vault) -> ReadableMessage:
    """Both ways read `raw` alike: bodies, headers, attachments byte for byte."""
    expected, got = _in_memory(raw, vault), _streamed(raw, vault)
    assert _contents(got, vault) == _contents(expected, vault)
    assert got.to_json().replace(b" ", b"") != b""
    strip = {"attachments": ()}
    assert ReadableMessage(**{**got.__dict__, **strip}) == ReadableMessage(
        **{**expected.__dict__, **strip}
    )
    return got


def _blob_count(vault: Vault) -> int:
    return sum(1 for _ in vault.store.ids())  # type: ignore[attr-defined]


@pytest.fixture
def small_stubs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stub every part over a few kilobytes, so that small messages take the stream path."""
    monkeypatch.setattr(mime_stream, "STUB_THRESHOLD", 2000)


def _letter() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@hospital.example", "b@clinic.example", "Lab"
    mail.set_content("Dear Bob,\nthe results are in.\n" * 200)
    mail.add_alternative("<p>Dear Bob,</p><p>the results are in.</p>" * 200, subtype="html")
    return mail


def test_large_attachments_of_every_encoding_read_alike(vault: Vault, small_stubs: None) -> None:
    mail = _letter()
    mail.add_attachment(os.urandom(50_000), maintype="application", subtype="pdf", filename="a.pdf")
    mail.add_attachment(
        ("Zeile mit Umlaut äöü = gleich\n" * 500).encode("latin-1"),
        maintype="text",
        subtype="plain",
        filename="q.txt",
        cte="quoted-printable",
    )
    mail.add_attachment(b"tiny", maintype="application", subtype="octet-stream", filename="t")
    raw = mail.as_bytes()
    before = _blob_count(vault)
    got = _same(raw, vault)
    assert [a.filename for a in got.attachments] == ["a.pdf", "q.txt", "t"]
    # Two raw blobs (one per way in), three attachments each way, no stub left behind.
    assert _blob_count(vault) - before == 1 + 3 + 3


def test_large_text_body_is_read_back_and_its_blob_removed(vault: Vault, small_stubs: None) -> None:
    mail = EmailMessage()
    mail["From"], mail["Subject"] = "a@hospital.example", "Long"
    mail.set_content("Regel met tekst.\n" * 5000, cte="base64")
    raw = mail.as_bytes()
    got = _same(raw, vault)
    assert got.text.startswith("Regel met tekst.")
    assert got.attachments == ()
    assert _blob_count(vault) == 1  # the raw message only; the body's stub blob is gone


def test_single_part_attachment_and_lf_line_ends(vault: Vault, small_stubs: None) -> None:
    part = MIMEApplication(os.urandom(30_000), "pdf", Name="scan.pdf")
    part["From"] = "a@hospital.example"
    raw = part.as_bytes().replace(b"\r\n", b"\n")
    got = _same(raw, vault)
    assert got.attachments[0].size == 30_000


def test_nested_multiparts_digest_and_forwarded_message(vault: Vault, small_stubs: None) -> None:
    outer = MIMEMultipart("mixed")
    outer["From"], outer["Subject"] = "a@hospital.example", "Forward"
    outer.attach(MIMEText("see below\n"))
    related = MIMEMultipart("related")
    related.attach(MIMEText("<img src=cid:x>" * 300, "html"))
    related.attach(MIMEApplication(os.urandom(9000), "octet-stream"))
    outer.attach(related)
    digest = MIMEMultipart("digest")
    outer.attach(digest)
    raw = outer.as_bytes()
    _same(raw, vault)


def test_forwarded_large_message_is_one_attachment(vault: Vault, small_stubs: None) -> None:
    inner = _letter()
    inner.add_attachment(os.urandom(20_000), maintype="image", subtype="png", filename="x.png")
    outer = EmailMessage()
    outer["From"], outer["Subject"] = "a@hospital.example", "Fwd"
    outer.set_content("forwarded\n")
    outer.add_attachment(inner)
    raw = outer.as_bytes()
    got = _streamed(raw, vault)
    expected = _in_memory(raw, vault)
    assert got.text == expected.text
    assert [(a.filename, a.content_type) for a in got.attachments] == [
        (a.filename, a.content_type) for a in expected.attachments
    ]
    # Taken out as it came, the forwarded message is its raw bytes: headers and body intact.
    forwarded = vault.get_bytes(got.attachments[0].blob_id)
    assert b"Subject: Lab" in forwarded
    assert base64.b64encode(vault.get_bytes(expected.attachments[0].blob_id)[:30])[:8] != b""


def test_broken_structures_read_alike(vault: Vault, small_stubs: None) -> None:
    rng = random.Random(13)
    mail = _letter()
    mail.add_attachment(rng.randbytes(20_000), maintype="application", subtype="zip", filename="z")
    raw = mail.as_bytes()
    boundary = parse_mime(raw).get_boundary()
    assert boundary is not None
    cut_close = raw.replace(f"--{boundary}--".encode(), b"")
    no_boundary = raw.replace(f'boundary="{boundary}"'.encode(), b"")
    bad_base64 = raw.replace(b"Content-Transfer-Encoding: base64\n", b"")
    for variant in (cut_close, no_boundary, bad_base64, raw[: len(raw) // 2]):
        _same(variant, vault)


def test_lines_split_as_feedparser_across_chunks() -> None:
    data = b"a\r\nb\rc\nd\r\n\r\ne"
    for size in range(1, len(data) + 1):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert list(lines_of(chunks)) == [b"a\r\n", b"b\r", b"c\n", b"d\r\n", b"\r\n", b"e"]


def test_a_failing_walk_leaves_no_blob(vault: Vault, small_stubs: None) -> None:
    mail = _letter()
    mail.add_attachment(os.urandom(40_000), maintype="application", subtype="pdf", filename="a")
    raw = mail.as_bytes()

    def chunks() -> object:
        yield raw[: len(raw) - 100]
        raise RawUnreadable("VaultCorrupt")

    with pytest.raises(RawUnreadable):
        SkeletonWalk(vault).run(chunks())  # type: ignore[arg-type]
    assert _blob_count(vault) == 0


def test_a_truncated_blob_is_unreadable_halfway(vault: Vault, small_stubs: None) -> None:
    mail = _letter()
    mail.add_attachment(os.urandom(400_000), maintype="application", subtype="pdf", filename="a")
    blob_id = vault.put_bytes(mail.as_bytes())
    path = vault.store.path_of(blob_id)  # type: ignore[attr-defined]
    path.write_bytes(path.read_bytes()[:300_000])
    message = RawMessage.open(vault, blob_id)
    with pytest.raises(RawUnreadable):
        message.readable(message.section, vault)
    assert _blob_count(vault) == 1  # the (damaged) raw blob only
