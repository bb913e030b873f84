"""Domains of mail addresses, normalised one way for every stage (pure).

`zoë@Exämple.ORG` and `zoë@xn--exmple-cua.org` name one mailbox host. Every comparison and
every DNS or MX look-up uses the same key: lower case, no trailing dot, the IDNA A-label
(RFC 5890; Python's IDNA 2003 codec, as dnspython uses it). What travels in headers and
SMTP commands keeps the form the sender wrote (RFC 6531/6532 allow the U-label there).
"""

from __future__ import annotations


def normalise_domain(domain: str) -> str:
    """The lookup key of `domain`: lower-case A-label without the trailing dot.

    ValueError when it cannot be one (an empty label, a label IDNA refuses)."""
    cleaned = domain.strip().rstrip(".").lower()
    if not cleaned or any(not label for label in cleaned.split(".")):
        raise ValueError(f"not a domain name: {domain!r}")
    if cleaned.isascii():
        return cleaned
    try:
        return cleaned.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"not a valid internationalised domain name: {domain!r}") from None


def address_domain(address: str) -> str:
    """The normalised domain of `local@domain` (see `normalise_domain`)."""
    return normalise_domain(address.rpartition("@")[2])


def needs_smtputf8(*addresses: str) -> bool:
    """An address with a non-ASCII character can only travel with SMTPUTF8 (RFC 6531)."""
    return not all(address.isascii() for address in addresses)
