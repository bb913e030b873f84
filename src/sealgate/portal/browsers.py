"""A browser's family from its User-Agent, in words a person recognises (pure).

The "new device" mail names the browser ("Firefox on Windows") so that its reader can tell
whether it was them. The whole User-Agent string is long, a fingerprint, and chosen by the
client, so only the family is kept: a few known names, else "an unknown browser" (which the
caller words in its language). The order matters: Edge and Opera also say "Chrome", and
Chrome also says "Safari".
"""

from __future__ import annotations

# (marker in the User-Agent, family), first match wins.
_BROWSERS = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)
# Longer input is not a browser's; only this much is looked at.
_MAX_USER_AGENT = 512


def browser_family(user_agent: str) -> tuple[str, str]:
    """(browser, system), each "" when not recognised."""
    user_agent = user_agent[:_MAX_USER_AGENT]
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    return browser, system
