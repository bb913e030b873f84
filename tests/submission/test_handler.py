"""The handler's pure checks: mailbox syntax, the From header."""

from __future__ import annotations

import pytest

from sealgate.submission.handler import from_header_addresses, is_mailbox


@pytest.mark.parametrize(
    "address",
    [
        "bob@example.org",
        "b.o+b@mail.example.org",
        '"b o b"@example.org',
        "jos\xe9@b\xfccher.example",
    ],
)
def test_valid_mailboxes(address: str) -> None:
    assert is_mailbox(address)


@pytest.mark.parametrize(
    "address",
    [
        "bob",
        "@example.org",
        "bob@",
        "bob@localhost",
        "bob@[192.0.2.1]",
        "bob@-example.org",
        "bob@example..org",
        "bob@" + "a" * 64 + ".org",
        "b" * 65 + "@example.org",
        "bo\x01b@example.org",
    ],
)
def test_invalid_mailboxes(address: str) -> None:
    assert not is_mailbox(address)


@pytest.mark.parametrize(
    ("raw", "found"),
    [
        (
            b"From: Alice <alice@hospital.example>\r\nTo: b@x.example\r\n\r\nbody\r\n",
            ["alice@hospital.example"],
        ),
        (
            b"From: =?utf-8?q?Al=C3=AFce?= <alice@hospital.example>\r\n\r\n",
            ["alice@hospital.example"],
        ),
        (b"To: b@x.example\r\n\r\nFrom: alice@hospital.example\r\n", None),
        (b"\r\nFrom: alice@hospital.example\r\n", None),
        (b"From: a@x.example, b@x.example\r\n\r\n", ["a@x.example", "b@x.example"]),
        (b"From: a@x.example\r\nFrom: a@x.example\r\n\r\n", ["a@x.example", "a@x.example"]),
        (b"From: undisclosed:;\r\n\r\n", [""]),
        (b"From: not an address\r\n\r\n", [""]),
        (b"From: <<<@>>>\r\n\r\n", [""]),
        (b"From: alice@hospital.example", ["alice@hospital.example"]),
    ],
    ids=[
        "plain",
        "encoded-name",
        "only-in-body",
        "no-headers",
        "two-addresses",
        "two-fields",
        "empty-group",
        "garbage",
        "broken-brackets",
        "no-body",
    ],
)
def test_from_header_addresses(raw: bytes, found: list[str] | None) -> None:
    assert from_header_addresses(raw) == found
