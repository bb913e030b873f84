"""Control headers: read every zivver-* value, and cut them out of what is stored or delivered."""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sealgate.intake import ControlHeaders, parse_control_headers, strip_control_headers
from sealgate.intake.control_headers import (
    ControlHeaderError,
    parse_access_rights,
    parse_direct_delivery,
    parse_minimum_verification,
)
from sealgate.policy import AccessRight, DirectDeliveryHeader
from sealgate.transport import TransportLevel

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
            b"Subject: x\r\nnot a header line\r\n",
            id="after a stray line, which does not end the section",
        ),
        pytest.param(
            b"From : a@x.example\r\nzivver-direct-delivery: tls\r\nSubject : y\r\n\r\nb",
            b"From: a@x.example\r\nSubject: y\r\n\r\nb",
            id="obsolete blanks before the colon are removed from kept fields",
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


# The grammar of the control headers: access rights, direct delivery, minimum verification.

RECIPIENTS = ("bob@clinic.example", "Carol@Lab.Example")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param((), {}, id="absent"),
        pytest.param(
            ("bob@clinic.example sms +31612345678",),
            {"bob@clinic.example": AccessRight("sms", "+31612345678")},
            id="sms in E.164",
        ),
        pytest.param(
            ("bob@clinic.example SMS 06 1234 5678",),
            {"bob@clinic.example": AccessRight("sms", "+31612345678")},
            id="national phone in the default region, method in any case",
        ),
        pytest.param(
            ("bob@clinic.example sms +44 20 7946 0958",),
            {"bob@clinic.example": AccessRight("sms", "+442079460958")},
            id="international phone",
        ),
        pytest.param(
            ("bob@clinic.example access-code 135789",),
            {"bob@clinic.example": AccessRight("access_code", "135789")},
            id="access-code",
        ),
        pytest.param(
            ("carol@lab.example sharedAccessCode   open sesame  ",),
            {"Carol@Lab.Example": AccessRight("access_code", "open sesame")},
            id="sharedAccessCode, rest of line trimmed, keyed by the recipient's spelling",
        ),
        pytest.param(
            ("<bob@clinic.example> access-code x",),
            {"bob@clinic.example": AccessRight("access_code", "x")},
            id="address in angle brackets",
        ),
        pytest.param(
            ("bob@clinic.example sms +31612345678", "BOB@clinic.example sms 0612345678"),
            {"bob@clinic.example": AccessRight("sms", "+31612345678")},
            id="identical duplicates after normalising",
        ),
        pytest.param(
            ("bob@clinic.example sms +31612345678", "carol@lab.example access-code 1"),
            {
                "bob@clinic.example": AccessRight("sms", "+31612345678"),
                "Carol@Lab.Example": AccessRight("access_code", "1"),
            },
            id="one header per recipient",
        ),
    ],
)
def test_access_rights_table(values: tuple[str, ...], expected: dict[str, AccessRight]) -> None:
    assert parse_access_rights(values, RECIPIENTS, "NL") == expected


def _for_bob(problem: str) -> str:
    return f"The zivver-access-right header for bob@clinic.example {problem}"


FORMS = 'it must read "<address> sms <phone>" or "<address> access-code <code>".'


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param(("",), f"A zivver-access-right header is empty: {FORMS}", id="empty"),
        pytest.param(
            ("bob@clinic.example",),
            f'A zivver-access-right header is malformed ("bob@clinic.example"): {FORMS}',
            id="malformed",
        ),
        pytest.param(
            ("bob@clinic.example fax 123",),
            _for_bob(
                'names an unknown method "fax": use "sms", "access-code" or "sharedAccessCode".'
            ),
            id="unknown method",
        ),
        pytest.param(
            ("dan@clinic.example sms +31612345678",),
            "The zivver-access-right header for dan@clinic.example names an address "
            "that is not a recipient of this message.",
            id="not a recipient",
        ),
        pytest.param(
            ("bob@clinic.example sms +31612345678", "bob@clinic.example sms +31687654321"),
            "Two zivver-access-right headers for bob@clinic.example conflict: "
            "give one header per recipient.",
            id="conflicting phones",
        ),
        pytest.param(
            ("bob@clinic.example sms +31612345678", "bob@clinic.example access-code 1"),
            "Two zivver-access-right headers for bob@clinic.example conflict: "
            "give one header per recipient.",
            id="conflicting methods",
        ),
        pytest.param(
            ("bob@clinic.example sms",),
            _for_bob('gives no phone number after "sms".'),
            id="no phone",
        ),
        pytest.param(
            ("bob@clinic.example sms call me",),
            _for_bob("has a phone number that cannot be parsed."),
            id="unparsable phone",
        ),
        pytest.param(
            ("bob@clinic.example sms +3161234",),
            _for_bob("has a phone number that is not a valid number."),
            id="invalid phone",
        ),
        pytest.param(
            ("bob@clinic.example access-code",),
            _for_bob("has an empty access code."),
            id="empty code",
        ),
        pytest.param(
            ("bob@clinic.example sharedAccessCode   ",),
            _for_bob("has an empty access code."),
            id="blank code",
        ),
        pytest.param(
            ("bob@clinic.example access-code ab\ufffd",),
            _for_bob("has an access code with invalid characters."),
            id="code with replaced bytes",
        ),
        pytest.param(
            ("b\u00f6b@clinic.example sms +31612345678",),
            "The zivver-access-right header for b\\xf6b@clinic.example names an address "
            "that is not a recipient of this message.",
            id="non-ASCII shown escaped for the SMTP reply",
        ),
    ],
)
def test_access_right_errors_name_the_header(values: tuple[str, ...], message: str) -> None:
    with pytest.raises(ControlHeaderError) as raised:
        parse_access_rights(values, RECIPIENTS, "NL")
    assert str(raised.value) == message
    assert str(raised.value).isascii() and "\n" not in str(raised.value)


def test_access_right_errors_never_repeat_the_phone_or_code() -> None:
    for values in [
        ("bob@clinic.example sms +3161234",),
        ("bob@clinic.example access-code s3cret", "bob@clinic.example access-code other"),
    ]:
        with pytest.raises(ControlHeaderError) as raised:
            parse_access_rights(values, RECIPIENTS, "NL")
        assert "3161234" not in str(raised.value) and "s3cret" not in str(raised.value)


def test_access_right_read_from_a_message() -> None:
    controls = parse_control_headers(MESSAGE)
    rights = parse_access_rights(
        controls.access_rights, ["bob@clinic.example", "carol@clinic.example"], "NL"
    )
    assert rights == {
        "bob@clinic.example": AccessRight("sms", "+31612345678"),
        "carol@clinic.example": AccessRight("access_code", "sesame"),
    }


PKIX, PANE, DANE = TransportLevel.PKIX, TransportLevel.PANE, TransportLevel.DANE


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param((), None, id="absent"),
        pytest.param(("",), DirectDeliveryHeader(PKIX, "1.2"), id="empty: defaults"),
        pytest.param(
            ("tls tls1.2 auth certificate-validation",),
            DirectDeliveryHeader(PKIX, "1.2"),
            id="the manual's example",
        ),
        pytest.param(("tls tls1.3",), DirectDeliveryHeader(PKIX, "1.3"), id="tls1.3 extension"),
        pytest.param(("auth dnssec",), DirectDeliveryHeader(PANE, "1.2"), id="dnssec is PANE"),
        pytest.param(("auth dane",), DirectDeliveryHeader(DANE, "1.2"), id="dane"),
        pytest.param(
            ("TLS TLS1.3 AUTH DANE",), DirectDeliveryHeader(DANE, "1.3"), id="any letter case"
        ),
        pytest.param(
            ("tls=tls1.3 auth=dnssec",), DirectDeliveryHeader(PANE, "1.3"), id="option=value"
        ),
        pytest.param(
            ("tls tls1.0 auth none",), DirectDeliveryHeader(PKIX, "1.2"), id="invalid values"
        ),
        pytest.param(("tls auth",), DirectDeliveryHeader(PKIX, "1.2"), id="missing values"),
        pytest.param(
            ("auth tls tls1.3",), DirectDeliveryHeader(PKIX, "1.3"), id="missing auth value"
        ),
        pytest.param(
            ("colour blue tls tls1.3",), DirectDeliveryHeader(PKIX, "1.3"), id="unknown words"
        ),
        pytest.param(
            ("tls tls1.3\tauth dane",), DirectDeliveryHeader(DANE, "1.3"), id="unfolded tab"
        ),
        pytest.param(
            ("auth dane auth certificate-validation",),
            DirectDeliveryHeader(DANE, "1.2"),
            id="repeated option: strongest",
        ),
        pytest.param(
            ("tls tls1.3", "auth dnssec", "tls tls1.2 auth certificate-validation"),
            DirectDeliveryHeader(PANE, "1.3"),
            id="repeated header: strongest",
        ),
    ],
)
def test_direct_delivery_table(
    values: tuple[str, ...], expected: DirectDeliveryHeader | None
) -> None:
    assert parse_direct_delivery(values) == expected


@pytest.mark.parametrize(
    ("values", "permitted"),
    [
        pytest.param((), False, id="absent"),
        pytest.param(("email-verification",), True, id="exact"),
        pytest.param(("  email-verification\t",), True, id="blanks trimmed"),
        pytest.param(("Email-Verification",), True, id="letter case ignored"),
        pytest.param(("",), False, id="missing value"),
        pytest.param(("email verification",), False, id="invalid value"),
        pytest.param(("email-verification sms",), False, id="extra words"),
        pytest.param(("email-verification;",), False, id="extra characters"),
        pytest.param(("email-verification", "email-verification"), False, id="repeated"),
        pytest.param(("email-verification", "none"), False, id="conflicting"),
    ],
)
def test_minimum_verification_table(values: tuple[str, ...], permitted: bool) -> None:
    assert parse_minimum_verification(values) is permitted
