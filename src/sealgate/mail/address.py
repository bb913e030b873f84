"""Mail addresses and their domains, parsed once, one way, for every stage (pure).

`zoë@Exämple.ORG` and `zoë@xn--exmple-cua.org` name one mailbox host. A `Domain` keeps both
forms: `ascii`, the key for every comparison and every DNS or MX look-up (lower case, no
trailing dot, the IDNA A-label of RFC 5890 by Python's IDNA 2003 codec, as dnspython uses
it), and `unicode`, the U-label form for display. What travels in headers and SMTP commands
keeps the form the sender wrote (RFC 6531/6532 allow the U-label there): `Address.text`.

The local part is kept exactly as written: RFC 5321 2.4 lets a receiving host treat
`Zoe@` and `zoe@` as two mailboxes. sealgate itself has always matched addresses without
regard to case (accounts, contacts, control headers, the portal's sessions), as mail
systems do in practice; `Address.key` is that comparison key, so no stage lower-cases an
address by hand.

Errors:
    ValueError
      └── AddressError   not an address or not a domain name
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# RFC 5321 4.1.2 Local-part: a Dot-string of atext (RFC 6531 adds any non-ASCII character)
# or a Quoted-string. Dots are taken as they come (`a..b`, `a.`: RFC 5322's obsolete forms,
# still in use and accepted by submission), so that no address taken in is refused later.
_LOCAL_DOTS = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.\u0080-\U0010ffff]+")
_QUOTED_STRING = re.compile(r'"(?:[^"\\\x00-\x1f\x7f]|\\[ -~])*"')
# RFC 5321 4.5.3.1: the longest local part, domain and path (without the <>).
MAX_LOCAL, MAX_DOMAIN, MAX_ADDRESS, MAX_LABEL = 64, 253, 254, 63
# What a domain name can never hold, in either form.
_NOT_IN_DOMAIN = frozenset(' \t\r\n@<>()[]\\,;:"')


class AddressError(ValueError):
    """Not a mail address or not a domain name."""


def _to_ascii(cleaned: str, original: str) -> str:
    if cleaned.isascii():
        return cleaned
    try:
        return cleaned.encode("idna").decode("ascii")
    except UnicodeError:
        raise AddressError(f"not a valid internationalised domain name: {original!r}") from None


def _to_unicode(ascii_name: str) -> str:
    try:
        return ascii_name.encode("ascii").decode("idna")
    except UnicodeError:
        # An A-label IDNA 2003 cannot decode (e.g. an IDNA 2008-only name) is shown as is.
        return ascii_name


@dataclass(frozen=True)
class Domain:
    """A domain name: compared, hashed and looked up by its A-label, shown by its U-label."""

    ascii: str
    unicode: str = field(compare=False)

    @classmethod
    def parse(cls, text: str) -> Domain:
        """The domain `text` names; `AddressError` when it cannot be one.

        Accepts either form and any case, with or without the trailing dot of a rooted name.
        """
        cleaned = text.strip().rstrip(".").lower()
        if not cleaned or any(not label for label in cleaned.split(".")):
            raise AddressError(f"not a domain name: {text!r}")
        if any(ch in _NOT_IN_DOMAIN or ch.isspace() for ch in cleaned):
            raise AddressError(f"not a domain name: {text!r}")
        ascii_name = _to_ascii(cleaned, text)
        if len(ascii_name) > MAX_DOMAIN or any(len(x) > MAX_LABEL for x in ascii_name.split(".")):
            raise AddressError(f"not a domain name (too long): {text!r}")
        return cls(ascii_name, _to_unicode(ascii_name))

    @property
    def key(self) -> str:
        """The comparison and DNS key (the A-label): what `Domain.name` rows store."""
        return self.ascii

    def __str__(self) -> str:
        return self.ascii


@dataclass(frozen=True)
class Address:
    """A mail address `local@domain`: the local part as written, the domain parsed.

    Two addresses are equal when their `key`s are: the local part without regard to case,
    the domain by its A-label.
    """

    local: str = field(compare=False)
    domain: Domain = field(compare=False)
    text: str = field(compare=False)
    key: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.local.lower()}@{self.domain.ascii}")

    @classmethod
    def parse(cls, text: str) -> Address:
        """The address in `text` (an addr-spec, optionally in <>); `AddressError` if none.

        The local part is split at the last `@`: a quoted local part may hold an `@` of its
        own (RFC 5321 4.1.2)."""
        cleaned = text.strip()
        if cleaned.startswith("<") and cleaned.endswith(">"):
            cleaned = cleaned[1:-1].strip()
        local, at, domain = cleaned.rpartition("@")
        if not at or not (_LOCAL_DOTS.fullmatch(local) or _QUOTED_STRING.fullmatch(local)):
            raise AddressError(f"not a mail address: {text!r}")
        if len(local.encode()) > MAX_LOCAL or len(cleaned.encode()) > MAX_ADDRESS:
            raise AddressError(f"not a mail address: {text!r}")
        try:
            parsed = Domain.parse(domain)
        except AddressError:
            raise AddressError(f"not a mail address: {text!r}") from None
        return cls(local, parsed, cleaned)

    @property
    def written_domain(self) -> str:
        """The domain as the sender wrote it: what headers and SMTP commands carry on."""
        return self.text[len(self.local) + 1 :]

    @property
    def ascii_domain(self) -> str:
        """`local@A-label`: the form for a server that does not offer SMTPUTF8 (when the
        local part is ASCII)."""
        return f"{self.local}@{self.domain.ascii}"

    @property
    def smtputf8(self) -> bool:
        """Only travels with SMTPUTF8 (RFC 6531): the address as written is not ASCII."""
        return not self.text.isascii()

    def __str__(self) -> str:
        return self.text


def normalise_domain(domain: str) -> str:
    """The lookup key of `domain`: lower-case A-label without the trailing dot.

    A ValueError (`AddressError`) when it cannot be one (an empty label, a label IDNA
    refuses). Kept for the callers that hold a plain string; new code parses a `Domain`."""
    return Domain.parse(domain).ascii


def address_domain(address: str) -> str:
    """The normalised domain of `local@domain` (see `normalise_domain`)."""
    return normalise_domain(address.rpartition("@")[2])


def address_key(address: str) -> str:
    """`Address.parse(address).key`, or the lower-cased text when it is no address at all.

    For look-ups that must not fail on a malformed value: a key that matches nothing."""
    try:
        return Address.parse(address).key
    except AddressError:
        return address.strip().strip("<>").lower()


def domain_key(address: str) -> str:
    """The domain key of `address`, or whatever follows its last `@` when it is no address.

    For look-ups that must not fail on a malformed value (see `address_key`)."""
    return address_key(address).rpartition("@")[2].rstrip(".")


def needs_smtputf8(*addresses: str) -> bool:
    """An address with a non-ASCII character can only travel with SMTPUTF8 (RFC 6531)."""
    return not all(address.isascii() for address in addresses)
