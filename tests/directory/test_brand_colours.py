"""WCAG AA contrast of an organisation's accent: computed as WCAG 2.x defines it, refused below."""

from __future__ import annotations

import pytest

from sealgate.directory import DirectoryError, check_accent, contrast_ratio


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#767676", "#ffffff", 4.54),  # the well-known lightest grey that passes on white
        ("#777777", "#ffffff", 4.48),
        ("#ff0000", "#ffffff", 4.0),
        ("#ffffff", "#1f5fa8", 6.44),  # symmetric
    ],
)
def test_contrast_ratio_as_wcag_defines_it(first: str, second: str, ratio: float) -> None:
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)


@pytest.mark.parametrize("accent", ["#1f5fa8", "#0B6E4F", "#000000", " #5a2d82 "])
def test_dark_enough_accents_are_taken_in_lower_case(accent: str) -> None:
    assert check_accent(accent) == accent.strip().lower()


@pytest.mark.parametrize(
    ("accent", "reason"),
    [
        # Light: white text on it is unreadable.
        ("#ffd700", "white button text on the accent has contrast 1.40:1, WCAG AA needs 4.5:1"),
        ("#ff0000", "white button text on the accent has contrast 3.99:1"),
        # Passes on white (4.54) but not as a link on the grey page background (4.16).
        ("#767676", "the accent as link colour on the page background has contrast 4.16:1"),
    ],
)
def test_low_contrast_accents_are_refused_with_their_ratio(accent: str, reason: str) -> None:
    with pytest.raises(DirectoryError) as refused:
        check_accent(accent)
    assert reason in str(refused.value)
    assert str(refused.value).startswith(f"accent {accent} is refused: ")
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("value", ["1f5fa8", "#1f5fa", "#1f5fa8ff", "blue", "#gggggg", ""])
def test_only_rrggbb_is_a_colour(value: str) -> None:
    with pytest.raises(DirectoryError, match="accent must be a colour written #rrggbb"):
        check_accent(value)
