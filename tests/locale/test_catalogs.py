"""The catalogs: complete in Dutch and German, no guesses, and up to date with the source.

"Up to date" is checked the way a developer would fix it: `scripts/i18n extract` into a
temporary file, then the msgids compared with every catalog. A string added to a template or
to Python without running `scripts/i18n` fails here, and so does one left untranslated.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from sealgate.locale import LANGUAGES, translations, use_language
from sealgate.locale.catalogs import LOCALE_DIR, catalog_path

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = ("nl", "de")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalog(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=language)


def _msgids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {
        message.id if isinstance(message.id, str) else tuple(message.id)
        for message in catalog
        if message.id
    }


def _strings(message: Message) -> tuple[str, ...]:
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


def _ids(message: Message) -> tuple[str, ...]:
    return (message.id,) if isinstance(message.id, str) else tuple(message.id)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [str(ROOT / "scripts" / "i18n"), "extract", str(pot)],
        check=True,
        env={**os.environ, "PYTHON": sys.executable},
        cwd=ROOT,
    )
    return _catalog(pot)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    catalog = _catalog(catalog_path(language), language)
    assert len(catalog) > 100
    untranslated = [m.id for m in catalog if m.id and not all(s.strip() for s in _strings(m))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders_and_the_plural_forms(language: str) -> None:
    catalog = _catalog(catalog_path(language), language)
    for message in catalog:
        if not message.id:
            continue
        wanted = set(_PLACEHOLDER.findall(_ids(message)[-1]))
        for string in _strings(message):
            found = set(_PLACEHOLDER.findall(string))
            # A singular may say "one" instead of %(num)d; no other placeholder may go.
            assert found <= wanted and wanted - found <= {"num"}, (message.id, string)
        if message.pluralizable:
            assert len(_strings(message)) == catalog.num_plurals == 2


def test_the_catalogs_hold_every_string_of_the_source_and_no_other(extracted: Catalog) -> None:
    source = _msgids(extracted)
    assert source, "extraction found nothing: check babel.cfg"
    assert _msgids(_catalog(LOCALE_DIR / "messages.pot")) == source
    for language in LANGUAGES:
        in_catalog = _msgids(_catalog(catalog_path(language), language))
        assert in_catalog == source, (
            f"{language}: run scripts/i18n (missing {sorted(map(str, source - in_catalog))}, "
            f"stale {sorted(map(str, in_catalog - source))})"
        )


def test_the_compiled_catalogs_answer_in_their_language() -> None:
    assert translations("nl").gettext("Open the message") == "Bericht openen"
    assert translations("de").gettext("Open the message") == "Nachricht öffnen"
    assert translations("en").gettext("Open the message") == "Open the message"
    with use_language("en"):
        from sealgate.locale import ngettext

        one = ngettext(
            "That code is wrong. %(num)d attempt left.",
            "That code is wrong. %(num)d attempts left.",
            1,
        )
        two = ngettext(
            "That code is wrong. %(num)d attempt left.",
            "That code is wrong. %(num)d attempts left.",
            2,
        )
    assert (one, two) == (
        "That code is wrong. 1 attempt left.",
        "That code is wrong. 2 attempts left.",
    )


def test_no_catalog_for_a_language_we_do_not_speak() -> None:
    with pytest.raises(ValueError):
        translations("fr")
