"""Choosing a language: from a browser's Accept-Language, and as a plain code."""

from __future__ import annotations

import asyncio

import pytest

from sealgate.locale import (
    DEFAULT_LANGUAGE,
    _,
    current_language,
    language_or_none,
    negotiate,
    use_language,
)
from sealgate.locale.languages import preferred_languages


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7", "nl"),
        ("de-DE", "de"),
        ("de-AT,de;q=0.9", "de"),
        ("nl-BE", "nl"),
        ("fr-FR,fr;q=0.9,de;q=0.5,nl;q=0.4", "de"),
        ("en;q=0.2,nl;q=0.8", "nl"),
        ("nl;q=0,de", "de"),
        ("fr-FR", "en"),
        ("*", "en"),
        ("", "en"),
        (None, "en"),
        ("nl;q=bogus,de;q=0.5", "de"),
        ("x" * 1000, "en"),
    ],
)
def test_negotiate(header: str | None, language: str) -> None:
    assert negotiate(header) == language


def test_preferred_languages_sorts_by_weight_and_keeps_order_on_ties() -> None:
    assert preferred_languages("en;q=0.5, nl , de;q=1.0, fr;q=0") == ["nl", "de", "en"]


@pytest.mark.parametrize(
    ("value", "language"), [("nl", "nl"), (" DE ", "de"), ("fr", None), ("", None), (None, None)]
)
def test_language_or_none(value: str | None, language: str | None) -> None:
    assert language_or_none(value) == language


def test_use_language_nests_and_falls_back_to_english() -> None:
    assert current_language() == DEFAULT_LANGUAGE
    with use_language("nl"):
        assert _("Open the message") == "Bericht openen"
        with use_language("xx"):
            assert current_language() == "en"
        assert current_language() == "nl"
    assert current_language() == "en"


async def test_two_tasks_each_keep_their_own_language() -> None:
    async def page(language: str) -> str:
        with use_language(language):
            await asyncio.sleep(0.01)
            return _("Open the message")

    assert await asyncio.gather(page("nl"), page("de"), page("en")) == [
        "Bericht openen",
        "Nachricht öffnen",
        "Open the message",
    ]
