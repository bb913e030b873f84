"""The browser family the "new device" mail names."""

from __future__ import annotations

import pytest

from sealgate.portal.browsers import browser_family

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("user_agent", "family"),
    [
        (CHROME_LINUX, ("Chrome", "Linux")),
        (CHROME_LINUX + " Edg/131.0.0.0", ("Edge", "Linux")),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            ("Firefox", "Windows"),
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            ("Safari", "iPhone"),
        ),
        ("python-httpx/0.28.1", ("", "")),
        ("", ("", "")),
    ],
)
def test_browser_family(user_agent: str, family: tuple[str, str]):
    assert browser_family(user_agent) == family
