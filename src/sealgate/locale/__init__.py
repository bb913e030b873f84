"""Locale: the gettext catalogs (en, nl, de) and the language of the page or mail being made.

Receives: a language code, chosen by the portal per request (cookie, then `Accept-Language`)
or by route and the portal per mail (the `sealgate-language` header, then the organisation's
default).
Hands off: `gettext` / `ngettext` in that language, for Python code and for the Jinja
templates of `portal/` and `notify/`, which mark their words with `_()`.
Trust: reads only the catalogs shipped in this package; a language code from outside is
checked against `LANGUAGES` before it is used, and anything else falls back to English.

The catalogs are `<lang>/LC_MESSAGES/messages.po`, kept up to date with `scripts/i18n`. They
are compiled in memory at first use (`catalogs.py`), so there is no build step and no
compiled file that could go stale.
"""

from sealgate.locale.catalogs import translations
from sealgate.locale.current import (
    current_language,
    gettext,
    install_into,
    ngettext,
    plain_gettext,
    plain_ngettext,
    use_language,
)
from sealgate.locale.dates import long_when, short_day
from sealgate.locale.languages import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    N_,
    language_or_none,
    negotiate,
)

# The name every extractor and every reader knows for "translate this".
_ = gettext

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "N_",
    "_",
    "current_language",
    "gettext",
    "install_into",
    "language_or_none",
    "long_when",
    "negotiate",
    "ngettext",
    "plain_gettext",
    "plain_ngettext",
    "short_day",
    "translations",
    "use_language",
]
