"""The gettext catalogs, compiled from their `.po` files in memory at first use.

Compiling here (Babel's own `write_mo`) rather than shipping `.mo` files means a fresh
checkout, the quick start and the tests all read exactly the `.po` files in the tree. Fuzzy
entries are left out, as `msgfmt` does: a guess never reaches a reader.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from sealgate.locale.languages import LANGUAGES

LOCALE_DIR = Path(__file__).parent
DOMAIN = "messages"


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> Translations:
    """The compiled catalog of `language` (one of `LANGUAGES`), read once per process."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for language {language!r}")
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
