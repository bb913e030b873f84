"""Logos: a PNG only when it is one whole PNG; an SVG rewritten from an allow-list, hostile
ones refused with their reason."""

from __future__ import annotations

import pytest

from sealgate.directory import (
    MAX_LOGO_BYTES,
    PNG_TYPE,
    SVG_TYPE,
    DirectoryError,
    check_logo,
    sanitise_svg,
)
from tests.directory.brand_files import CLEAN_SVG, HOSTILE_SVGS, chunk, png


def test_a_whole_png_is_kept_byte_for_byte() -> None:
    logo = check_logo(png(), "logo.png")
    assert logo.content == png() and logo.content_type == PNG_TYPE


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (png()[:-17], "a chunk runs past the end"),
        (png()[:-12], "it has no end chunk"),
        (png() + b"<script>", "there are bytes after its end"),
        (png()[:24] + bytes([png()[24] ^ 1]) + png()[25:], "checksum is wrong"),
        (png(width=4096), "4096x2 pixels; each side must be 1 to 2048 pixels"),
        (png(width=0), "0x2 pixels"),
        (b"\x89PNG\r\n\x1a\n" + chunk(b"IDAT", b"x") + chunk(b"IEND", b""), "its header"),
        (b"GIF89a....", "neither a PNG nor a well-formed SVG"),
    ],
    ids=["cut", "no-end", "trailing", "crc", "wide", "empty", "no-header", "gif"],
)
def test_a_broken_png_is_refused(content: bytes, reason: str) -> None:
    with pytest.raises(DirectoryError, match=reason):
        check_logo(content, "logo.png" if content.startswith(b"\x89") else "logo")


def test_a_file_named_png_must_have_the_signature() -> None:
    with pytest.raises(DirectoryError, match="does not start with the PNG signature"):
        check_logo(CLEAN_SVG, "logo.png")


def test_a_logo_over_256_kib_is_refused() -> None:
    big = png() + b"\x00" * (MAX_LOGO_BYTES - len(png()) + 1)
    with pytest.raises(DirectoryError, match=r"at most 262144 bytes \(256 KiB\)"):
        check_logo(big)


def test_a_clean_svg_is_rewritten_from_the_allow_list() -> None:
    logo = check_logo(CLEAN_SVG, "logo.svg")
    assert logo.content_type == SVG_TYPE
    svg = logo.content.decode()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40">')
    # Editor metadata, other namespaces, <style> sheets and unknown style properties go.
    for gone in ("metadata", "inkscape", "<style", "behavior", "<?xml"):
        assert gone not in svg
    assert 'fill="url(#g)"' in svg and 'style="stroke:#000"' in svg
    assert '<use href="#g" />' in svg and ">Noord</text>" in svg
    assert sanitise_svg(logo.content) == logo.content  # a rewrite is stable


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("script", "SVG element <script> can run or load content"),
        ("onload", "event handler onload= in the SVG"),
        ("xlink-http", "the SVG refers to something outside itself"),
        ("foreignObject", "SVG element <foreignObject> can run or load content"),
        ("javascript-href", "SVG element <a> can run or load content"),
        ("css-url", "the SVG refers to something outside itself"),
        ("style-import", "the SVG refers to something outside itself"),
        ("animate", "SVG element <set> can run or load content"),
        ("entity", "no DTD allowed"),
    ],
)
def test_a_hostile_svg_is_refused_with_its_reason(name: str, reason: str) -> None:
    with pytest.raises(DirectoryError) as refused:
        check_logo(HOSTILE_SVGS[name], "logo.svg")
    assert reason in str(refused.value) and "\n" not in str(refused.value)


def test_an_xml_file_that_is_not_svg_is_refused() -> None:
    with pytest.raises(DirectoryError, match="its root is not <svg>"):
        check_logo(b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>')
