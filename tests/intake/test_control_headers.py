"""Control headers: read every zivver-* value, and cut them out of what is stored or delivered."""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sealgate.intake import ControlHeaders, parse_control_headers, strip_control_headers

MESSAGE = (
    b"From: Alice Arts <alice@hospital.example>\r\n"
    b"To: bob@clinic.example\r\n"
    b"zivver-access-right: bob@clinic.example sms +31612345678\r\n"
    b"Subject: Lab results\r\n"
    b"Zivver-Access-Right: carol@clinic.example access-code\r\n"
    b"  sesame\r\n"
    b"ZIVVER-DIRECT-DELIVERY: tls tls1.2\r\n"
    b"\tauth certificate-validation\r\n"
    b"zivver-minimum-recipient-verification: email-verification\r\n"
    b"Message-ID: <1@hospital.example>\r\n"
    b"\r\n"
    b"Body line mentioning zivver-direct-delivery: tls tls1.3\r\n"
)


def _header_names(raw: bytes) -> list[str]:
    return [name.lower() for name in BytesParser(policy=policy.default).parsebytes(raw)]


def test_reads_every_value_unfolded_and_case_insensitively() -> None:
    controls = parse_control_headers(MESSAGE)
    assert controls == ControlHeaders(
        access_rights=(
            "bob@clinic.example sms +31612345678",
            "carol@clinic.example access-code  sesame",
        ),
        direct_delivery=("tls tls1.2\tauth certificate-validation",),
        minimum_recipient_verification=("email-verification",),
    )
    assert controls.present


def test_strip_removes_fields_with_their_continuation_lines_and_keeps_the_rest() -> None:
    stripped = strip_control_headers(MESSAGE)
    assert stripped == (
        b"From: Alice Arts <alice@hospital.example>\r\n"
        b"To: bob@clinic.example\r\n"
        b"Subject: Lab results\r\n"
        b"Message-ID: <1@hospital.example>\r\n"
        b"\r\n"
        b"Body line mentioning zivver-direct-delivery: tls tls1.3\r\n"
    )
    assert parse_control_headers(stripped) == ControlHeaders()
    assert not parse_control_headers(stripped).present


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(b"", b"", id="empty"),
        pytest.param(b"Subject: x\r\n\r\nbody", b"Subject: x\r\n\r\nbody", id="none present"),
        pytest.param(b"zivver-direct-delivery: tls\r\n", b"", id="only a control header"),
        pytest.param(
            b"Subject: x\nzivver-direct-delivery: tls\n  auth\n\nbody\n",
            b"Subject: x\n\nbody\n",
            id="LF line endings",
        ),
        pytest.param(
            b"Subject: x\r\nzivver-direct-delivery  : tls\r\n\r\nbody",
            b"Subject: x\r\n\r\nbody",
            id="blanks before the colon",
        ),
        pytest.param(
            b"zivver-direct-delivery:\r\n\r\n",
            b"\r\n",
            id="empty value",
        ),
        pytest.param(
            b"From alice Mon Jan  1 00:00:00 2024\r\nzivver-direct-delivery: tls\r\n\r\nbody",
            b"From alice Mon Jan  1 00:00:00 2024\r\n\r\nbody",
            id="mbox envelope line first",
        ),
        pytest.param(
            b"Subject: x\r\n\r\nzivver-direct-delivery: tls\r\n",
            b"Subject: x\r\n\r\nzivver-direct-delivery: tls\r\n",
            id="in the body",
        ),
        pytest.param(
            b"Subject: x\r\nnot a header line\r\nzivver-direct-delivery: tls\r\n",
            b"Subject: x\r\nnot a header line\r\nzivver-direct-delivery: tls\r\n",
            id="after the header section ended",
        ),
        pytest.param(
            b"zivver-direct-delivery-extra: x\r\nx-zivver-access-right: y\r\n\r\n",
            b"zivver-direct-delivery-extra: x\r\nx-zivver-access-right: y\r\n\r\n",
            id="similar names are not control headers",
        ),
    ],
)
def test_strip_table(raw: bytes, expected: bytes) -> None:
    assert strip_control_headers(raw) == expected


def test_present_but_empty_is_not_absent() -> None:
    controls = parse_control_headers(b"zivver-minimum-recipient-verification:\r\n\r\n")
    assert controls.minimum_recipient_verification == ("",)
    assert controls.present


def test_headers_of_mime_parts_are_content_not_control() -> None:
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nzivver-direct-delivery: tls\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n"
    )
    assert parse_control_headers(raw) == ControlHeaders()
    assert strip_control_headers(raw) == raw


def test_json_round_trip() -> None:
    controls = parse_control_headers(MESSAGE)
    data = json.loads(json.dumps(controls.to_json()))
    assert data["zivver-access-right"][0] == "bob@clinic.example sms +31612345678"
    assert ControlHeaders.from_json(data) == controls
    assert ControlHeaders.from_json({}) == ControlHeaders()
    with pytest.raises(ValueError):
        ControlHeaders.from_json({"zivver-direct-delivery": "tls"})


def test_non_utf8_bytes_in_a_value_are_replaced() -> None:
    controls = parse_control_headers(b"zivver-direct-delivery: tls \xff\r\n\r\n")
    assert controls.direct_delivery == ("tls \ufffd",)


_NAMES = st.sampled_from(
    [
        "Subject",
        "To",
        "X-Mailer",
        "zivver-access-right",
        "Zivver-Direct-Delivery",
        "ZIVVER-MINIMUM-RECIPIENT-VERIFICATION",
    ]
)
_VALUE = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20)
_FIELD = st.tuples(_NAMES, st.lists(_VALUE, min_size=1, max_size=3))


@given(st.lists(_FIELD, max_size=8), st.sampled_from([b"\r\n", b"\n"]))
def test_after_stripping_the_email_package_sees_no_control_header(
    fields: list[tuple[str, list[str]]], newline: bytes
) -> None:
    lines = [
        (name + ": " + (newline.decode() + " ").join(parts)).encode() + newline
        for name, parts in fields
    ]
    raw = b"".join(lines) + newline + b"body" + newline
    stripped = strip_control_headers(raw)
    controls = {"zivver-access-right", "zivver-direct-delivery"}
    controls.add("zivver-minimum-recipient-verification")
    kept = [name.lower() for name, _ in fields if name.lower() not in controls]
    assert _header_names(stripped) == kept
    assert stripped.endswith(newline + b"body" + newline)
    found = parse_control_headers(raw)
    count = len(found.access_rights + found.direct_delivery)
    count += len(found.minimum_recipient_verification)
    assert count == len(fields) - len(kept)
