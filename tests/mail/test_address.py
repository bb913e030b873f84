"""Address and Domain: one parse, one comparison key, both IDNA forms (mail/address.py)."""

from __future__ import annotations

import pytest

from sealgate.mail import Address, AddressError, Domain, address_key, domain_key, normalise_domain

DOMAINS = [
    # (written, A-label key, U-label display)
    ("example.org", "example.org", "example.org"),
    ("Example.ORG", "example.org", "example.org"),
    ("example.org.", "example.org", "example.org"),
    ("  example.org ", "example.org", "example.org"),
    ("exämple.org", "xn--exmple-cua.org", "exämple.org"),
    ("Exämple.ORG", "xn--exmple-cua.org", "exämple.org"),
    ("xn--exmple-cua.org", "xn--exmple-cua.org", "exämple.org"),
    ("XN--EXMPLE-CUA.ORG.", "xn--exmple-cua.org", "exämple.org"),
    ("bücher.例え.jp", "xn--bcher-kva.xn--r8jz45g.jp", "bücher.例え.jp"),
    ("localhost", "localhost", "localhost"),
]


@pytest.mark.parametrize(("written", "key", "shown"), DOMAINS)
def test_domain_parses_to_one_key_and_shows_its_u_label(written: str, key: str, shown: str) -> None:
    domain = Domain.parse(written)
    assert (domain.ascii, domain.key, str(domain), domain.unicode) == (key, key, key, shown)
    assert normalise_domain(written) == key


@pytest.mark.parametrize(
    "written", ["", ".", "example..org", ".example.org", "exa mple.org", "a@b.org", "<b.org>"]
)
def test_not_a_domain_is_refused(written: str) -> None:
    with pytest.raises(AddressError):
        Domain.parse(written)


def test_domains_compare_by_a_label() -> None:
    assert Domain.parse("Exämple.org") == Domain.parse("xn--exmple-cua.org.")
    assert len({Domain.parse("EXAMPLE.org"), Domain.parse("example.org")}) == 1


ADDRESSES = [
    # (written, local as kept, domain key, comparison key, text as written)
    ("zoe@example.org", "zoe", "example.org", "zoe@example.org", "zoe@example.org"),
    ("Zoe@Example.ORG", "Zoe", "example.org", "zoe@example.org", "Zoe@Example.ORG"),
    ("<Zoe@example.org>", "Zoe", "example.org", "zoe@example.org", "Zoe@example.org"),
    (" zoe@example.org. ", "zoe", "example.org", "zoe@example.org", "zoe@example.org."),
    ("zoë@Exämple.org", "zoë", "xn--exmple-cua.org", "zoë@xn--exmple-cua.org", "zoë@Exämple.org"),
    ('"a@b"@example.org', '"a@b"', "example.org", '"a@b"@example.org', '"a@b"@example.org'),
    (
        "first.last+tag@sub.example.org",
        "first.last+tag",
        "sub.example.org",
        "first.last+tag@sub.example.org",
        "first.last+tag@sub.example.org",
    ),
]


@pytest.mark.parametrize(("written", "local", "domain", "key", "text"), ADDRESSES)
def test_address_keeps_the_local_part_and_keys_case_insensitively(
    written: str, local: str, domain: str, key: str, text: str
) -> None:
    address = Address.parse(written)
    assert (address.local, address.domain.key, address.key, address.text) == (
        local,
        domain,
        key,
        text,
    )
    assert str(address) == text
    assert address_key(written) == key


@pytest.mark.parametrize(
    "written",
    [
        "",
        "zoe",
        "zoe@",
        "@example.org",
        "zoe@example..org",
        "zo e@example.org",
        "<zoe@>",
        "a@b@",
        "a\x01b@example.org",
        "x" * 65 + "@example.org",
        "zoe@" + "a" * 64 + ".org",
        "zoe@" + "a." * 127 + "org",
        "a,b@example.org",
        "a(b)@example.org",
        '"a"b"@example.org',
        "zoe@[192.0.2.1]",
        "zoe@exa;mple.org",
    ],
)
def test_not_an_address_is_refused(written: str) -> None:
    with pytest.raises(AddressError):
        Address.parse(written)


def test_address_error_is_a_value_error() -> None:
    """Callers that caught the old normaliser's ValueError keep working."""
    assert issubclass(AddressError, ValueError)


def test_addresses_compare_by_key() -> None:
    assert Address.parse("ZOË@exämple.org") == Address.parse("zoë@xn--exmple-cua.org")
    assert Address.parse("zoe@example.org") != Address.parse("zoe@example.net")
    assert len({Address.parse("A@x.org"), Address.parse("a@X.org")}) == 1


def test_smtputf8_and_the_ascii_domain_form() -> None:
    assert Address.parse("zoe@exämple.org").smtputf8
    assert not Address.parse("zoe@xn--exmple-cua.org").smtputf8
    assert Address.parse("Zoe@Exämple.org").ascii_domain == "Zoe@xn--exmple-cua.org"


def test_address_key_of_a_malformed_value_matches_nothing_real() -> None:
    assert address_key(" <Not An Address> ") == "not an address"


def test_the_domain_as_written_travels_on() -> None:
    assert Address.parse('"a@b"@Exämple.ORG').written_domain == "Exämple.ORG"


@pytest.mark.parametrize(
    ("written", "key"),
    [("Zoe@Exämple.org", "xn--exmple-cua.org"), ("junk@", ""), ("a b@Some Where.", "some where")],
)
def test_domain_key_never_fails(written: str, key: str) -> None:
    assert domain_key(written) == key
