"""Mail: pure values every stage shares: the one header-section parser, addresses and
domains (`address.py`: `Address` and `Domain`, parsed once, IDNA), xtext (`xtext.py`).

Receives: the raw bytes of a message (or of its start), from submission, intake and the CLI.
Hands off: a `HeaderSection`: the fields of the top-level header section, each with its name,
raw lines and unfolded value, where the section ends, and the lines that are no field at all.
Trust: pure; no I/O, no clock. Every decision about a header (From, Sender, the control
headers, To/Cc for the conversation split) reads it through this parser, so that no two checks
can disagree about where the header section ends or which fields it holds.
Refuses: nothing itself; `HeaderSection.stray` tells a caller that the section holds a line
that is neither a field nor a continuation, which submission refuses (550 5.6.0).
Standards: RFC 5322 2.2, 2.2.3 (folding), 3.6.8 (field names), 4.5 (obsolete `name WSP :`);
RFC 3461 section 4 (xtext), RFC 5890 (IDNA), RFC 6531/6532 (SMTPUTF8).
"""

from sealgate.mail.address import (
    Address,
    AddressError,
    Domain,
    address_domain,
    address_key,
    domain_key,
    needs_smtputf8,
    normalise_domain,
)
from sealgate.mail.headers import (
    HeaderField,
    HeaderSection,
    field_addresses,
    parse_header_section,
)
from sealgate.mail.xtext import decode_xtext, encode_xtext, is_xtext

__all__ = [
    "Address",
    "AddressError",
    "Domain",
    "address_key",
    "domain_key",
    "HeaderField",
    "HeaderSection",
    "field_addresses",
    "parse_header_section",
    "address_domain",
    "decode_xtext",
    "encode_xtext",
    "is_xtext",
    "needs_smtputf8",
    "normalise_domain",
]
