"""MIME: the readable form of a message, and text for whatever cannot be read as MIME."""

from __future__ import annotations

import base64
import random
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sealgate.intake import ReadableMessage, header_addresses, parse_mime, readable_from
from sealgate.intake.mime import text_from_html
from sealgate.vault import Vault

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40


def _read(raw: bytes, vault: Vault) -> ReadableMessage:
    readable = readable_from(parse_mime(raw), raw, vault)
    # Whatever came in, the stored form must survive its own round trip.
    assert ReadableMessage.from_json(readable.to_json()) == readable
    return readable


def _letter() -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Alice Arts <alice@hospital.example>"
    mail["To"] = "Bob Bakker <bob@clinic.example>, carol@clinic.example"
    mail["Cc"] = "Dave <dave@lab.example>"
    mail["Subject"] = "Uitslag lab — vertrouwelijk"
    mail["Date"] = "Tue, 07 May 2024 10:00:00 +0200"
    mail.set_content("Dear Bob,\nthe results are in.\n")
    return mail


def test_text_message_headers_and_body(vault: Vault) -> None:
    readable = _read(_letter().as_bytes(), vault)
    assert readable.subject == "Uitslag lab — vertrouwelijk"
    assert readable.sender == "Alice Arts <alice@hospital.example>"
    assert readable.to == ("Bob Bakker <bob@clinic.example>", "carol@clinic.example")
    assert readable.cc == ("Dave <dave@lab.example>",)
    assert readable.date == "Tue, 07 May 2024 10:00:00 +0200"
    assert readable.text == "Dear Bob,\nthe results are in.\n"
    assert readable.html is None
    assert readable.attachments == ()


def test_header_addresses_are_bare_addresses() -> None:
    mail = parse_mime(
        b"To: Bob <bob@clinic.example>, team: carol@clinic.example, erin@x.example;\r\n"
        b"Cc: undisclosed-recipients:;\r\n\r\n"
    )
    assert header_addresses(mail, "To") == (
        "bob@clinic.example",
        "carol@clinic.example",
        "erin@x.example",
    )
    assert header_addresses(mail, "Cc") == ()
    assert header_addresses(mail, "Bcc") == ()


def test_alternative_prefers_text_and_keeps_html_raw(vault: Vault) -> None:
    mail = _letter()
    mail.add_alternative("<p>Dear <b>Bob</b></p><script>x()</script>", subtype="html")
    readable = _read(mail.as_bytes(), vault)
    assert readable.text == "Dear Bob,\nthe results are in.\n"
    assert readable.html == "<p>Dear <b>Bob</b></p><script>x()</script>\n"
    assert readable.attachments == ()


def test_html_only_gets_a_text_version(vault: Vault) -> None:
    mail = _letter()
    mail.set_content(
        "<html><head><title>t</title><style>p{color:red}</style></head>"
        "<body><p>Dear&nbsp;Bob &amp; Carol,</p><div>results <i>are</i> in</div>"
        "<script>alert(1)</script></body></html>",
        subtype="html",
    )
    readable = _read(mail.as_bytes(), vault)
    assert readable.text == "Dear Bob & Carol,\n\nresults are in"
    assert readable.html is not None and "<script>" in readable.html


def test_attachments_are_vault_blobs_byte_identical(vault: Vault) -> None:
    mail = _letter()
    mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="results.pdf")
    mail.add_attachment(b"a,b\r\n1,2\r\n", maintype="text", subtype="csv", filename="data.csv")
    mail.add_attachment(b"\x00\x01", maintype="application", subtype="octet-stream")
    readable = _read(mail.as_bytes(), vault)
    assert readable.text == "Dear Bob,\nthe results are in.\n"
    names = [(a.filename, a.content_type, a.size) for a in readable.attachments]
    assert names == [
        ("results.pdf", "application/pdf", len(PDF)),
        ("data.csv", "text/csv", len(b"a,b\r\n1,2\r\n")),
        ("attachment-3.bin", "application/octet-stream", 2),
    ]
    assert vault.get_bytes(readable.attachments[0].blob_id) == PDF
    assert vault.get_bytes(readable.attachments[1].blob_id) == b"a,b\r\n1,2\r\n"
    assert len({a.blob_id for a in readable.attachments}) == 3


def test_attachment_names_lose_paths_and_control_characters(vault: Vault) -> None:
    raw = (
        MULTIPART + b"--AAA\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="../../etc/\x01pw"\r\n\r\nx\r\n--AAA--\r\n'
    )
    (attachment,) = _read(raw, vault).attachments
    assert "/" not in attachment.filename and "\n" not in attachment.filename
    assert attachment.filename.endswith("pw")


def test_attached_message_is_one_attachment(vault: Vault) -> None:
    inner = _letter()
    del inner["Subject"]
    inner["Subject"] = "forwarded"
    mail = _letter()
    mail.add_attachment(inner)
    readable = _read(mail.as_bytes(), vault)
    (attachment,) = readable.attachments
    assert attachment.content_type == "message/rfc822"
    assert attachment.filename == "attachment-1.eml"
    assert b"Subject: forwarded" in vault.get_bytes(attachment.blob_id)
    assert readable.text == "Dear Bob,\nthe results are in.\n"


def test_encoded_words_and_declared_charsets(vault: Vault) -> None:
    raw = (
        b"Subject: =?iso-8859-1?q?caf=E9?=\r\n"
        b"From: =?utf-8?b?w4lsaXNl?= <elise@hospital.example>\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        b"Caf\xe9 cr\xe8me\r\n"
    )
    readable = _read(raw, vault)
    assert readable.subject == "café"
    assert readable.sender == "Élise <elise@hospital.example>"
    assert readable.text == "Café crème\r\n"


MULTIPART = (
    b"From: alice@hospital.example\r\nSubject: broken\r\n"
    b'Content-Type: multipart/mixed; boundary="AAA"\r\n\r\n'
)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param(
            MULTIPART + b"--AAA\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--AAA\r\n"
            b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBER",
            "first part",
            id="truncated multipart",
        ),
        pytest.param(
            MULTIPART + b"--BBB\r\nContent-Type: text/plain\r\n\r\nhidden text\r\n--BBB--\r\n",
            "hidden text",
            id="boundary never used",
        ),
        pytest.param(
            b"Subject: broken\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all\r\n",
            "no boundary at all",
            id="multipart without boundary",
        ),
        pytest.param(
            b"Subject: broken\r\nContent-Transfer-Encoding: base64\r\n\r\n!!not*base64==\r\n",
            "",
            id="bad base64 body",
        ),
        pytest.param(
            b"Subject: broken\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n"
            b"caf\xc3\xa9 \xff\r\n",
            "café \ufffd",
            id="unknown charset",
        ),
        pytest.param(
            b"Subject: broken\r\nContent-Type: text/plain; charset=rot13\r\n\r\nabc\r\n",
            "abc",
            id="charset that is not a text codec",
        ),
        pytest.param(
            b"Subject: =?utf-8?q?broken=ZZ?= =?x-unknown?b?@@@?=\r\n"
            b'To: <<<@@@>>>, "unterminated\r\n\r\nbody text\r\n',
            "body text",
            id="garbled headers",
        ),
        pytest.param(b"", "", id="empty message"),
        pytest.param(b"\r\n\r\n", "", id="only blank lines"),
        pytest.param(b"no headers, only text", "no headers, only text", id="no header section"),
    ],
)
def test_malformed_mime_is_still_shown_as_text(raw: bytes, shown: str, vault: Vault) -> None:
    readable = _read(raw, vault)
    assert shown in readable.text


def test_bad_base64_attachment_is_kept_not_fatal(vault: Vault) -> None:
    raw = (
        MULTIPART + b"--AAA\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--AAA\r\n"
        b"Content-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"JVBERi0x*&^%$===\r\nQUJD\r\n--AAA--\r\n"
    )
    readable = _read(raw, vault)
    assert readable.text.startswith("see attached")
    (attachment,) = readable.attachments
    assert attachment.filename == "a.pdf"
    assert vault.get_bytes(attachment.blob_id) is not None


@pytest.mark.parametrize("seed", range(5))
def test_binary_garbage_is_accepted(seed: int, vault: Vault) -> None:
    garbage = random.Random(seed).randbytes(4096)
    readable = _read(garbage, vault)
    assert isinstance(readable.text, str)


def test_fallback_shows_the_raw_body_with_replacements(vault: Vault) -> None:
    raw = MULTIPART + b"--ZZZ\r\nContent-Type: text/plain\r\n\r\nr\xe9sum\xc3\xa9\r\n"
    readable = _read(raw, vault)
    assert readable.text == "--ZZZ\r\nContent-Type: text/plain\r\n\r\nr\ufffdsumé\r\n"
    assert readable.subject == "broken"
    assert readable.html is None
    assert readable.attachments == ()


@given(st.binary(max_size=2048))
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_bytes_make_it_crash(vault: Vault, raw: bytes) -> None:
    _read(raw, vault)


_PIECES = st.sampled_from(
    [
        b"\r\n",
        b"--AAA\r\n",
        b"--AAA--\r\n",
        b"Content-Type: multipart/alternative; boundary=AAA\r\n",
        b"Content-Type: text/html; charset=utf-16\r\n",
        b"Content-Type: message/rfc822\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Content-Disposition: attachment; filename*=utf-8''%FF%FE\r\n",
        b"<p>hi</p>",
        b"=E9=\r\n",
        base64.b64encode(b"payload") + b"\r\n",
        b"\xff\xfe\x00",
    ]
)


@given(st.lists(_PIECES, max_size=30))
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_mime_soup_makes_it_crash(vault: Vault, pieces: list[bytes]) -> None:
    _read(MULTIPART + b"".join(pieces), vault)


def test_text_from_html_survives_broken_markup() -> None:
    assert text_from_html("<p>a<br>b</p><unclosed <x").startswith("a\nb")
    assert text_from_html("") == ""


def test_inline_pictures_are_kept_apart_from_attachments(vault: Vault) -> None:
    """A cid: picture the HTML shows is an inline image, not an attachment (issue 11)."""
    from tests.intake.inline_mail import LOGO, LOGO_CID, signature_mail

    readable = _read(signature_mail().as_bytes(), vault)
    assert [a.filename for a in readable.attachments] == ["letter.pdf"]
    (image,) = readable.inline_images
    assert (image.content_id, image.content_type, image.size) == (LOGO_CID, "image/png", len(LOGO))
    assert vault.get_bytes(image.blob_id) == LOGO
    assert readable.text == "Dear Bob,\nyour results are attached.\n"
    assert readable.html is not None and f"cid:{LOGO_CID}" in readable.html


def test_a_picture_the_html_does_not_show_stays_an_attachment(vault: Vault) -> None:
    from tests.intake.inline_mail import LOGO, png

    mail = _letter()
    mail.add_alternative("<p>No pictures here</p>", subtype="html")
    mail.get_payload()[1].add_related(LOGO, maintype="image", subtype="png", cid="<unused@x>")
    mail.add_attachment(png(), maintype="image", subtype="png", filename="photo.png")
    readable = _read(mail.as_bytes(), vault)
    assert readable.inline_images == ()
    assert len(readable.attachments) == 2


def test_stored_forms_without_inline_images_still_read() -> None:
    old = (
        b'{"subject": "s", "sender": "a@b", "to": [], "cc": [], "date": "", "text": "t",'
        b' "html": null, "attachments": []}'
    )
    assert ReadableMessage.from_json(old).inline_images == ()
