"""The HTML body allow-list: nothing active survives, mail layout does."""

from __future__ import annotations

import re

import pytest

from sealgate.portal.sanitise import html_document, sanitise_html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<p onclick="alert(1)">x</p>',
        '<a href="javascript:alert(1)">x</a>',
        '<iframe src="https://evil.example"></iframe>',
        '<form action="https://evil.example"><input name=p></form>',
        "<svg><script>alert(1)</script></svg>",
        '<object data="x.swf"></object><embed src="x">',
        '<meta http-equiv="refresh" content="0;url=https://evil.example">',
        "<style>body{background:url(https://evil.example)}</style>",
        '<base href="https://evil.example/">',
        '<div style="background:url(javascript:alert(1))">x</div>',
    ],
)
def test_nothing_active_survives(attack: str):
    clean = sanitise_html(f"<p>before</p>{attack}<p>after</p>").lower()
    assert "before" in clean and "after" in clean
    for marker in (
        "<script",
        "javascript:",
        "<iframe",
        "<form",
        "<object",
        "<embed",
        "<meta",
        "<style",
        "<base",
        "<svg",
        "url(",
    ):
        assert marker not in clean
    assert not re.search(r"\son[a-z]+\s*=", clean)


def test_mail_layout_survives():
    html = (
        '<table width="600" cellpadding="4" bgcolor="#eeeeee"><tr>'
        '<td align="center" style="color: #333; font-weight: bold">Hi</td></tr></table>'
        '<font color="red">note</font>'
    )
    clean = sanitise_html(html)
    for kept in (
        'width="600"',
        'cellpadding="4"',
        'bgcolor="#eeeeee"',
        'align="center"',
        "color:#333",
        "font-weight:bold",
        '<font color="red">',
    ):
        assert kept in clean.replace(": ", ":"), kept


def test_links_get_no_referrer():
    assert 'rel="noopener noreferrer"' in sanitise_html('<a href="https://x.example">x</a>')


def test_document_wraps_the_fragment():
    document = html_document("<p>hi</p>")
    assert document.startswith("<!doctype html>") and '<meta charset="utf-8">' in document
    assert "<body><p>hi</p></body>" in document
