"""(pure) The languages sealgate speaks, and which one fits a browser's `Accept-Language`."""

from __future__ import annotations

from babel import negotiate_locale

LANGUAGES = ("en", "nl", "de")
DEFAULT_LANGUAGE = "en"

# Each language's own name for itself: the switch shows "Nederlands" to someone who cannot
# read "Dutch".
LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands", "de": "Deutsch"}

# An Accept-Language header longer than this is not a browser's; it is not worth parsing.
_MAX_HEADER = 500
_MAX_RANGES = 20


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a string for the catalogs without translating it (module-level constants)."""
    return msgid


def language_or_none(value: str | None) -> str | None:
    """`value` as one of `LANGUAGES` (case and blanks ignored), or None."""
    if value is None:
        return None
    code = value.strip().lower()
    return code if code in LANGUAGES else None


def _quality(text: str) -> float:
    try:
        quality = float(text)
    except ValueError:
        return 0.0
    return quality if 0.0 <= quality <= 1.0 else 0.0


def preferred_languages(header: str) -> list[str]:
    """The language ranges of an `Accept-Language` header, best first (RFC 9110 12.5.4).

    Ranges with q=0 ("not acceptable") and `*` are left out; equal weights keep their order.
    """
    if len(header) > _MAX_HEADER:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:_MAX_RANGES]):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                quality = _quality(value.strip())
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(header: str | None) -> str:
    """The language to answer an `Accept-Language` header with; English when none fits.

    Babel's `negotiate_locale` matches `nl-BE` to `nl` when no `nl-BE` catalog exists.
    """
    if not header:
        return DEFAULT_LANGUAGE
    chosen = negotiate_locale(preferred_languages(header), LANGUAGES, sep="-")
    return language_or_none(chosen) or DEFAULT_LANGUAGE
