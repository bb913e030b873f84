"""The control headers: read them from a raw message, cut them out, and parse them.

A sender's mail system sets these headers to steer the policy for one message; they are
instructions to the gateway, not part of the message, so nothing stored for reading and
nothing delivered may carry them. `parse_control_headers` keeps their raw values;
`parse_access_rights`, `parse_direct_delivery` and `parse_minimum_verification` turn those
into policy facts (their effect belongs to `policy/`). Besides the zivver-* ones there are
our extensions (SPEC.md "Extension headers"): `sealgate-expiry`, read by `expiry.py`.
Pure: bytes in, values out.

The header section is read by `sealgate.mail`, the parser every check uses: a field name may
be followed by blanks before its colon (RFC 5322 obsolete syntax) and a stray line does not end
the section, so that the part we strip is never smaller than what any downstream parser could
take for a control header.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import phonenumbers

from sealgate.mail import HeaderField, HeaderSection, address_key, parse_header_section
from sealgate.policy import AccessRight, DirectDeliveryHeader
from sealgate.transport import TransportLevel

ACCESS_RIGHT = "zivver-access-right"
DIRECT_DELIVERY = "zivver-direct-delivery"
MINIMUM_RECIPIENT_VERIFICATION = "zivver-minimum-recipient-verification"
EXPIRY = "sealgate-expiry"
# Our extension (SPEC.md "Extension headers"), read by `language_header.py`.
LANGUAGE = "sealgate-language"
CONTROL_HEADER_NAMES = frozenset(
    {ACCESS_RIGHT, DIRECT_DELIVERY, MINIMUM_RECIPIENT_VERIFICATION, EXPIRY, LANGUAGE}
)

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass(frozen=True)
class ControlHeaders:
    """The raw values of the control headers of one message, every occurrence, in order.

    Each field is a tuple because a header may be repeated; what a repeated
    `zivver-direct-delivery` means is for the policy grammar to decide (fail closed).
    An empty tuple means the header was absent; `("",)` means present but empty.
    """

    access_rights: tuple[str, ...] = ()
    direct_delivery: tuple[str, ...] = ()
    minimum_recipient_verification: tuple[str, ...] = ()
    expiry: tuple[str, ...] = ()

    @property
    def present(self) -> bool:
        return bool(
            self.access_rights
            or self.direct_delivery
            or self.minimum_recipient_verification
            or self.expiry
        )

    def to_json(self) -> dict[str, list[str]]:
        return {
            ACCESS_RIGHT: list(self.access_rights),
            DIRECT_DELIVERY: list(self.direct_delivery),
            MINIMUM_RECIPIENT_VERIFICATION: list(self.minimum_recipient_verification),
            EXPIRY: list(self.expiry),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ControlHeaders:
        def values(name: str) -> tuple[str, ...]:
            raw = data.get(name, [])
            if not isinstance(raw, list | tuple):
                raise ValueError(f"{name}: expected a list of strings")
            return tuple(str(value) for value in raw)

        return cls(
            access_rights=values(ACCESS_RIGHT),
            direct_delivery=values(DIRECT_DELIVERY),
            minimum_recipient_verification=values(MINIMUM_RECIPIENT_VERIFICATION),
            expiry=values(EXPIRY),
        )


def _value(field: HeaderField) -> str:
    """The unfolded value of a field, fit to be stored.

    Control characters (NUL, ...) become U+FFFD, like bytes that are not UTF-8: they can be
    no valid value, and must not reach a database column or a log line as they are.
    """
    return _CONTROL_CHARACTERS.sub("\ufffd", field.value)


def controls_of(section: HeaderSection) -> ControlHeaders:
    """The control headers among the fields of an already parsed header section."""
    found: dict[str, list[str]] = {name: [] for name in CONTROL_HEADER_NAMES}
    for field in section.fields:
        if field.key in CONTROL_HEADER_NAMES:
            found[field.key].append(_value(field))
    return ControlHeaders(
        access_rights=tuple(found[ACCESS_RIGHT]),
        direct_delivery=tuple(found[DIRECT_DELIVERY]),
        minimum_recipient_verification=tuple(found[MINIMUM_RECIPIENT_VERIFICATION]),
        expiry=tuple(found[EXPIRY]),
    )


def parse_control_headers(raw: bytes) -> ControlHeaders:
    """The control headers of the message's top-level header section (never of its parts)."""
    return controls_of(parse_header_section(raw))


def strip_control_headers(raw: bytes, section: HeaderSection | None = None) -> bytes:
    """The message with every control header field removed, continuation lines included.

    The other fields are kept byte for byte, except that a name written with blanks before
    its colon (RFC 5322 obsolete syntax) loses them: the email package, which reads the
    result for the portal, would otherwise end the header section at that field and take
    the rest of the header section for body. The body and its MIME structure are untouched.
    `section` is `raw`'s header section when the caller parsed it already.
    """
    if section is None:
        section = parse_header_section(raw)
    kept = b"".join(
        field.canonical() for field in section.fields if field.key not in CONTROL_HEADER_NAMES
    )
    return kept + raw[section.end :]


class ControlHeaderError(ValueError):
    """A control header is invalid; the submission fails at end of DATA (550 5.6.0).

    The message is one ASCII sentence that names the header and what is wrong with it, fit to
    be the text of the SMTP reply as it is. It never repeats a phone number or access code.
    """


_METHOD_WORDS = {"sms": "sms", "access-code": "access_code", "sharedaccesscode": "access_code"}
_FORMS = '"<address> sms <phone>" or "<address> access-code <code>"'


def _shown(text: str, limit: int = 80) -> str:
    """Text from a header, fit for an SMTP reply line: short and ASCII only."""
    short = text if len(text) <= limit else text[:limit] + "..."
    return short.encode("ascii", "backslashreplace").decode("ascii")


def _phone_e164(text: str, default_region: str, about: str) -> str:
    """A phone number in E.164, read like a person would write it in `default_region`."""
    if not text:
        raise ControlHeaderError(f'The {about} gives no phone number after "sms".')
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise ControlHeaderError(f"The {about} has a phone number that cannot be parsed.") from None
    if not phonenumbers.is_valid_number(number):
        raise ControlHeaderError(f"The {about} has a phone number that is not a valid number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _access_code(text: str, about: str, minimum: int) -> str:
    if not text:
        raise ControlHeaderError(f"The {about} has an empty access code.")
    if "\ufffd" in text:
        raise ControlHeaderError(f"The {about} has an access code with invalid characters.")
    if len(text) < minimum:
        raise ControlHeaderError(
            f"The {about} has an access code shorter than the organisation's minimum of "
            f"{minimum} characters."
        )
    return text


def _access_right(
    value: str, recipients: Mapping[str, object], region: str, code_minimum: int
) -> tuple[str, AccessRight]:
    """One header: the recipient it names (lower case) and its access right."""
    parts = value.split(None, 2)
    if not parts:
        raise ControlHeaderError(f"A {ACCESS_RIGHT} header is empty: it must read {_FORMS}.")
    if len(parts) < 2:
        raise ControlHeaderError(
            f'A {ACCESS_RIGHT} header is malformed ("{_shown(value)}"): it must read {_FORMS}.'
        )
    address, word = parts[0], parts[1]
    if address.startswith("<") and address.endswith(">"):
        address = address[1:-1]
    about = f"{ACCESS_RIGHT} header for {_shown(address)}"
    method = _METHOD_WORDS.get(word.lower())
    if method is None:
        raise ControlHeaderError(
            f'The {about} names an unknown method "{_shown(word, 30)}": '
            'use "sms", "access-code" or "sharedAccessCode".'
        )
    if address_key(address) not in recipients:
        raise ControlHeaderError(
            f"The {about} names an address that is not a recipient of this message."
        )
    rest = parts[2].strip() if len(parts) == 3 else ""
    if method == "sms":
        return address_key(address), AccessRight("sms", _phone_e164(rest, region, about))
    return address_key(address), AccessRight("access_code", _access_code(rest, about, code_minimum))


def parse_access_rights(
    values: tuple[str, ...],
    recipients: Iterable[str],
    default_region: str,
    code_minimum: int = 1,
) -> dict[str, AccessRight]:
    """The access right each `zivver-access-right` header gives, keyed by recipient address.

    A header reads `<address> sms <phone>` or `<address> access-code <code>` (the manuals'
    own example spells it `sharedAccessCode`; both are accepted, in any case). The code is
    the rest of the line, trimmed. Addresses compare case-insensitively; the result has an
    entry for every spelling in `recipients` that a header names. Anything wrong raises
    `ControlHeaderError`, never a silent downgrade: an address that is not a recipient, two
    different headers for one recipient (identical repeats are harmless), a phone number
    that is not a valid number (normalised to E.164), an empty code, a code shorter than
    `code_minimum` characters (the organisation's minimum), an unknown method.
    """
    spellings: dict[str, list[str]] = {}
    for recipient in recipients:
        spellings.setdefault(address_key(recipient), []).append(recipient)
    found: dict[str, AccessRight] = {}
    for value in values:
        key, right = _access_right(value, spellings, default_region, code_minimum)
        if found.setdefault(key, right) != right:
            raise ControlHeaderError(
                f"Two {ACCESS_RIGHT} headers for {_shown(key)} conflict: "
                "give one header per recipient."
            )
    return {spelling: right for key, right in found.items() for spelling in spellings[key]}


# Values of the `zivver-direct-delivery` options; each is a minimum. The manual documents
# `tls1.2` and `certificate-validation`; the others are our extensions.
_TLS_VERSIONS = {"tls1.2": "1.2", "tls1.3": "1.3"}
_AUTH_LEVELS = {
    "certificate-validation": TransportLevel.PKIX,
    "dnssec": TransportLevel.PANE,
    "dane": TransportLevel.DANE,
}
_OPTIONS = ("tls", "auth")


def _options(value: str) -> Iterator[tuple[str, str]]:
    """The (option, value) pairs of one header, in lower case; a missing value is ""."""
    tokens = value.lower().replace("=", " ").split()
    for index, token in enumerate(tokens):
        if token in _OPTIONS:
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            yield token, "" if following in _OPTIONS else following


def parse_direct_delivery(values: tuple[str, ...]) -> DirectDeliveryHeader | None:
    """What the `zivver-direct-delivery` header asks for, or None when the message has none.

    Options are separated by blanks: `tls tls1.2|tls1.3` and `auth certificate-validation|
    dnssec|dane` (`tls=tls1.2` is read too; unknown words are ignored). A missing or invalid
    value falls back to the defaults, `tls1.2` and `certificate-validation`, which are the
    weakest values, so a mistake never asks for less. Values are minimums, and a repeated
    header or option adds up to the strongest of them (fail closed).

    The minimum transport level comes from `auth` alone: certificate-validation is PKIX,
    dnssec is PANE, dane is DANE. TLS 1.3 has no level of its own on that scale; it is kept
    in `tls_version` for delivery to enforce on the connection.
    """
    if not values:
        return None
    tls_version, minimum = "1.2", TransportLevel.PKIX
    for value in values:
        for option, choice in _options(value):
            if option == "tls":
                # "1.2" < "1.3" as text too, so max keeps the stronger version.
                tls_version = max(tls_version, _TLS_VERSIONS.get(choice, "1.2"))
            else:
                minimum = max(minimum, _AUTH_LEVELS.get(choice, TransportLevel.PKIX))
    return DirectDeliveryHeader(minimum=minimum, tls_version=tls_version)


def parse_minimum_verification(values: tuple[str, ...]) -> bool:
    """Whether `zivver-minimum-recipient-verification` permits falling back to email.

    Only exactly one header whose value is `email-verification` permits it. "Exactly" is
    read as: surrounding blanks trimmed and letter case ignored (header values are words a
    mail administrator types), nothing else. A missing, invalid or repeated value prevents
    the fallback, and so does an absent header (it only matters with direct delivery).
    """
    return len(values) == 1 and values[0].strip().lower() == "email-verification"
