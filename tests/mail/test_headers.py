"""The one header-section parser: obsolete syntax, folding, case, where the section ends."""

from __future__ import annotations

import pytest

from sealgate.mail import HeaderField, field_addresses, parse_header_section


def test_obsolete_blanks_before_the_colon_make_a_field() -> None:
    """Issue 8 item 3: `From : bob@other-org` is a From field (RFC 5322 4.5), so it is seen
    next to `From: alice@own-org` instead of ending the header section."""
    raw = b"From : bob@other-org.example\r\nFrom: alice@own-org.example\r\nSubject: x\r\n\r\nhi"
    section = parse_header_section(raw)
    assert section.values("From") == ("bob@other-org.example", "alice@own-org.example")
    assert section.values("subject") == ("x",)
    assert section.stray == ()


def test_names_compare_case_insensitively_and_keep_their_spelling() -> None:
    section = parse_header_section(b"FROM: a@x.example\r\nfrom\t: b@x.example\r\n\r\n")
    assert [field.name for field in section.get_all("From")] == ["FROM", "from"]
    assert {field.key for field in section.fields} == {"from"}


def test_folded_lines_are_one_field_and_the_value_is_unfolded() -> None:
    raw = b"Subject: one\r\n two\r\n\tthree\r\nTo: b@x.example\r\n\r\nbody\r\n"
    section = parse_header_section(raw)
    assert section.values("Subject") == ("one two\tthree",)
    assert section.get_all("Subject")[0].source == b"Subject: one\r\n two\r\n\tthree\r\n"
    assert [field.key for field in section.fields] == ["subject", "to"]


def test_the_section_ends_exactly_at_the_empty_line() -> None:
    raw = b"Subject: x\r\n\r\nFrom: mallory@x.example\r\n"
    section = parse_header_section(raw)
    assert section.get_all("From") == ()
    assert raw[section.end :] == b"\r\nFrom: mallory@x.example\r\n"


@pytest.mark.parametrize(
    ("raw", "end"),
    [
        pytest.param(b"", 0, id="empty"),
        pytest.param(b"\r\nbody", 0, id="no header at all"),
        pytest.param(b"Subject: x\r\n", 12, id="missing blank line"),
        pytest.param(b"Subject: x", 10, id="missing final line break"),
        pytest.param(b"Subject: x\n\nbody", 11, id="LF endings"),
    ],
)
def test_where_the_section_ends(raw: bytes, end: int) -> None:
    assert parse_header_section(raw).end == end


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(b"not a header line\r\n", id="no colon"),
        pytest.param(b": value\r\n", id="empty name"),
        pytest.param(b"From alice Mon Jan  1 00:00:00 2024\r\n", id="mbox envelope line"),
        pytest.param("Näme: x\r\n".encode(), id="non-ASCII name"),
    ],
)
def test_a_bare_line_is_stray_and_does_not_end_the_section(line: bytes) -> None:
    raw = b"Subject: x\r\n" + line + b"From: mallory@x.example\r\n\r\nbody"
    section = parse_header_section(raw)
    assert section.stray == (HeaderField(None, line),)
    assert section.values("From") == ("mallory@x.example",)
    assert raw[section.end :] == b"\r\nbody"


def test_a_continuation_before_any_field_is_stray() -> None:
    section = parse_header_section(b" folded\r\nSubject: x\r\n\r\n")
    assert section.stray == (HeaderField(None, b" folded\r\n"),)
    assert section.values("Subject") == ("x",)


def test_canonical_drops_the_blanks_before_the_colon_only() -> None:
    field = parse_header_section(b"From \t: Alice <a@x.example>\r\n second\r\n").fields[0]
    assert field.canonical() == b"From: Alice <a@x.example>\r\n second\r\n"


def test_value_is_utf8_with_replacements() -> None:
    section = parse_header_section("Subject: Zoë \xff".encode() + b"\xff\r\n\r\n")
    assert section.values("Subject") == ("Zo\u00eb \u00ff\ufffd",)


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("Alice Arts <alice@hospital.example>", ["alice@hospital.example"]),
        ("=?utf-8?q?Al=C3=AFce?= <alice@hospital.example>", ["alice@hospital.example"]),
        ("a@x.example, b@x.example", ["a@x.example", "b@x.example"]),
        ("undisclosed:;", [""]),
        ("not an address", [""]),
        ("<<<@>>>", [""]),
        ("", [""]),
    ],
)
def test_field_addresses(value: str, found: list[str]) -> None:
    assert field_addresses(value) == found
