"""(pure) An organisation's accent colour, and the WCAG 2.2 contrast it must keep.

The portal draws buttons in the accent with white text on them, and links in the accent on
the white page and on the grey page behind it; mails draw their button the same way. Each
of those is text, so each pair must reach WCAG AA's 4.5:1 (success criterion 1.4.3). A
colour that misses any of them is refused with the ratio it reached, never quietly darkened.
"""

from __future__ import annotations

import re

from sealgate.directory.errors import DirectoryError

# WCAG AA for normal-size text.
AA_TEXT = 4.5
WHITE = "#ffffff"
# The portal's own background behind its white panels (portal.css `--page`).
PAGE = "#f4f5f7"
# (what, foreground, background) for every place the accent meets text; None is the accent.
PAIRINGS: tuple[tuple[str, str | None, str | None], ...] = (
    ("white button text on the accent", WHITE, None),
    ("the accent as link colour on white", None, WHITE),
    ("the accent as link colour on the page background", None, PAGE),
)

_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def parse_accent(value: str) -> str:
    """`#rrggbb` in lower case; anything else is refused."""
    if not _HEX.fullmatch(value.strip()):
        raise DirectoryError(f"accent must be a colour written #rrggbb, not {value!r}")
    return value.strip().lower()


def _channel(byte: int) -> float:
    # sRGB to linear light, as WCAG 2.x defines relative luminance.
    value = byte / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours: 1.0 (same) to 21.0 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def check_accent(value: str) -> str:
    """The accent, parsed, if every pairing in `PAIRINGS` reaches AA; else a one-line refusal."""
    accent = parse_accent(value)
    for what, foreground, background in PAIRINGS:
        ratio = contrast_ratio(foreground or accent, background or accent)
        # Rounded down to two places, so 4.499 is never shown as a passing "4.50".
        if int(ratio * 100) / 100 < AA_TEXT:
            raise DirectoryError(
                f"accent {accent} is refused: {what} has contrast {int(ratio * 100) / 100:.2f}:1,"
                f" WCAG AA needs {AA_TEXT}:1"
            )
    return accent
