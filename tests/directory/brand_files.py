"""Logo files for the brand tests: a real PNG made byte by byte, a clean SVG, hostile SVGs."""

from __future__ import annotations

import struct
import zlib


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width: int = 4, height: int = 2, rgb: tuple[int, int, int] = (11, 110, 79)) -> bytes:
    """A whole RGB PNG of one colour, every chunk with its CRC."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


CLEAN_SVG = (
    b'<?xml version="1.0"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
    b' xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" viewBox="0 0 120 40"'
    b' inkscape:version="1.2">'
    b"<metadata>made with an editor</metadata>"
    b"<style>.a { fill: red }</style>"
    b'<defs><linearGradient id="g"><stop offset="0" stop-color="#0b6e4f"/></linearGradient>'
    b"</defs>"
    b'<rect width="120" height="40" rx="6" fill="url(#g)" style="stroke:#000;behavior:x"/>'
    b'<use xlink:href="#g"/><text x="10" y="26" fill="#fff">Noord</text></svg>'
)

# Each is refused, and the reason names what was wrong.
HOSTILE_SVGS = {
    "script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "onload": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
    "xlink-http": (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<use xlink:href="http://evil.example/sprite.svg#a"/></svg>'
    ),
    "foreignObject": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject width="9" height="9">'
        b'<div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject></svg>'
    ),
    "javascript-href": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>'
    ),
    "css-url": b'<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(http://e.example/)"/></svg>',
    "style-import": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(//e.example/a.css);</style>'
        b"</svg>"
    ),
    "animate": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="href" to="javascript:x"/>'
        b"</svg>"
    ),
    "entity": (
        b'<!DOCTYPE svg [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&e;</text></svg>'
    ),
}
