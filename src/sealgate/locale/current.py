"""The language of the page or mail being made, and gettext in that language.

The language lives in a context variable: the portal's middleware sets it for one request
(`portal/language.py`), and whoever composes a mail sets it around the composing with
`use_language`. A context variable follows the request into Starlette's thread pool and
never leaks from one asyncio task into another, so two requests in two languages at once
each see their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from jinja2 import Environment

from sealgate.locale.catalogs import translations
from sealgate.locale.languages import DEFAULT_LANGUAGE, language_or_none

_language: ContextVar[str] = ContextVar("sealgate_language", default=DEFAULT_LANGUAGE)


def current_language() -> str:
    return _language.get()


@contextmanager
def use_language(language: str | None) -> Iterator[str]:
    """Make pages and mails in `language` inside the block (English if it is not ours)."""
    chosen = language_or_none(language) or DEFAULT_LANGUAGE
    token = _language.set(chosen)
    try:
        yield chosen
    finally:
        _language.reset(token)


def plain_gettext(msgid: str) -> str:
    """`msgid` in the current language, unformatted (what Jinja's newstyle gettext wraps)."""
    return translations(_language.get()).gettext(msgid)


def plain_ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_language.get()).ngettext(singular, plural, n)


def gettext(msgid: str, **params: Any) -> str:
    """`msgid` in the current language, with `%(name)s` placeholders filled from `params`.

    The same call as in the templates (`_("Hello %(name)s", name=...)`), so one string reads
    the same wherever it is used.
    """
    text = plain_gettext(msgid)
    return text % params


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    """The form for `n` in the current language; `%(num)d` is `n`, as in the templates."""
    return plain_ngettext(singular, plural, n) % {"num": n, **params}


def install_into(environment: Environment) -> None:
    """Give a Jinja environment `_`, `gettext` and `ngettext` in the current language.

    Newstyle gettext: the template's own values are escaped before they are put into the
    translated text, and `%(name)s` works in every string.
    """
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        plain_gettext, plain_ngettext, newstyle=True
    )
