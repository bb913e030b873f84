"""(pure) Keyed pseudonyms for people's addresses, and their replacement in stored text.

A pseudonym is `p-<24 hex of HMAC-SHA256(key, address key)>@<domain>`: the same person gets
the same pseudonym in every message (counts per recipient and per domain still add up), no
one without the key can tell who it was, and the domain stays so that transport statistics
per recipient domain survive. The key is a master-key subkey, so a database copy alone
cannot test a guessed address against a pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

from sealgate.mail import address_key, domain_key

PSEUDONYM_KEY_PURPOSE = "pseudonyms"


def pseudonym(key: bytes, address: str) -> str:
    ident = address_key(address)
    mac = hmac.new(key, ident.encode("utf-8", errors="surrogateescape"), hashlib.sha256)
    return f"p-{mac.hexdigest()[:24]}@{domain_key(address) or 'pseudonymised.invalid'}"


def replace_addresses(text: str, pseudonyms: Mapping[str, str]) -> str:
    """`text` with every address of `pseudonyms` (matched without regard to case) replaced."""
    if not pseudonyms or not text:
        return text
    pattern = re.compile(
        "|".join(re.escape(a) for a in sorted(pseudonyms, key=len, reverse=True)), re.IGNORECASE
    )
    lowered = {address.lower(): value for address, value in pseudonyms.items()}
    return pattern.sub(lambda match: lowered[match.group(0).lower()], text)
