"""(pure) Check an organisation's logo before it is stored: a PNG, or an SVG made safe.

The portal serves the logo to every recipient from its own origin, so a logo that could run
a script or fetch anything would be an attack from the portal itself. Hence:

- a PNG is taken only when its bytes are one: the signature, a well-formed IHDR with sane
  dimensions, every chunk's length and CRC, and an IEND at the very end;
- an SVG is parsed with defusedxml (no DTD, no entities, no external anything) and rewritten
  from an allow-list of elements and attributes. Active content is *refused* with its
  reason: `<script>`, `<foreignObject>`, animation, event-handler attributes (`on…`), and
  any reference that leaves the document (`href`/`xlink:href` or `url(…)` not starting with
  `#`). What is merely unknown (editor metadata, `<style>` sheets, other namespaces) is
  dropped. The stored SVG is the rewrite, never the upload.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from xml.etree import ElementTree

import defusedxml.ElementTree as SafeTree
from defusedxml import DefusedXmlException

from sealgate.directory.errors import DirectoryError

MAX_LOGO_BYTES = 256 * 1024
MAX_PNG_SIDE = 2048
PNG_TYPE = "image/png"
SVG_TYPE = "image/svg+xml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

# Elements that can run or load something: a logo that has one is refused.
REFUSED_ELEMENTS = frozenset(
    {"script", "foreignObject", "iframe", "embed", "object", "image", "feImage", "a"}
    | {"animate", "animateMotion", "animateTransform", "set", "discard", "handler", "listener"}
)
# Elements kept; every other SVG element (and every element of another namespace) is dropped.
KEPT_ELEMENTS = frozenset(
    {"svg", "g", "defs", "title", "desc", "path", "rect", "circle", "ellipse", "line"}
    | {"polyline", "polygon", "text", "tspan", "linearGradient", "radialGradient", "stop"}
    | {"clipPath", "mask", "use", "symbol"}
)
KEPT_ATTRIBUTES = frozenset(
    {"id", "d", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy"}
    | {"width", "height", "viewBox", "preserveAspectRatio", "points", "transform", "version"}
    | {"fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity"}
    | {"stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray"}
    | {"stroke-dashoffset", "opacity", "clip-path", "clip-rule", "mask", "offset"}
    | {"stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod"}
    | {"clipPathUnits", "maskUnits", "maskContentUnits", "font-family", "font-size"}
    | {"font-weight", "font-style", "text-anchor", "dominant-baseline", "letter-spacing"}
    | {"display", "visibility", "color", "style", "href"}
)
# The properties a `style` attribute may keep (the presentation attributes above).
KEPT_STYLE_PROPERTIES = KEPT_ATTRIBUTES - {"id", "d", "href", "style", "transform", "version"}
_URL = re.compile(r"url\s*\(\s*['\"]?\s*([^)'\"\s]*)", re.IGNORECASE)
_STYLE_DANGER = re.compile(r"@import|expression\s*\(|javascript:|\\", re.IGNORECASE)


@dataclass(frozen=True)
class Logo:
    """A checked logo: the bytes to store and serve, and their content type."""

    content: bytes
    content_type: str


def check_logo(content: bytes, filename: str = "") -> Logo:
    """The logo to store, or a one-line refusal (`DirectoryError`) that says why."""
    if len(content) > MAX_LOGO_BYTES:
        raise DirectoryError(
            f"logo is {len(content)} bytes; at most {MAX_LOGO_BYTES} bytes (256 KiB) are taken"
        )
    if content.startswith(PNG_SIGNATURE):
        return Logo(check_png(content), PNG_TYPE)
    if filename.lower().endswith(".png"):
        raise DirectoryError("logo is named .png but does not start with the PNG signature")
    return Logo(sanitise_svg(content), SVG_TYPE)


def check_png(content: bytes) -> bytes:
    """`content` if it is one whole PNG with sane dimensions; walks every chunk's CRC."""
    position = len(PNG_SIGNATURE)
    seen_header = False
    while position + 12 <= len(content):
        (length,) = struct.unpack(">I", content[position : position + 4])
        kind = content[position + 4 : position + 8]
        body = content[position + 8 : position + 8 + length]
        crc_at = position + 8 + length
        if len(body) != length or crc_at + 4 > len(content):
            raise DirectoryError("logo is not a whole PNG: a chunk runs past the end")
        (crc,) = struct.unpack(">I", content[crc_at : crc_at + 4])
        if zlib.crc32(kind + body) != crc:
            raise DirectoryError("logo is not a valid PNG: a chunk's checksum is wrong")
        if not seen_header:
            _check_png_header(kind, body)
            seen_header = True
        position = crc_at + 4
        if kind == b"IEND":
            if position != len(content):
                raise DirectoryError("logo is not a valid PNG: there are bytes after its end")
            return content
    raise DirectoryError("logo is not a whole PNG: it has no end chunk")


def _check_png_header(kind: bytes, body: bytes) -> None:
    if kind != b"IHDR" or len(body) != 13:
        raise DirectoryError("logo is not a valid PNG: it does not start with its header")
    width, height = struct.unpack(">II", body[:8])
    if not (0 < width <= MAX_PNG_SIDE and 0 < height <= MAX_PNG_SIDE):
        raise DirectoryError(
            f"logo is {width}x{height} pixels; each side must be 1 to {MAX_PNG_SIDE} pixels"
        )


def sanitise_svg(content: bytes) -> bytes:
    """The SVG rewritten from the allow-list, or a refusal naming what was dangerous in it."""
    try:
        root: ElementTree.Element = SafeTree.fromstring(content, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        raise DirectoryError(
            "logo is neither a PNG nor a well-formed SVG (no DTD allowed)"
        ) from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise DirectoryError("logo is neither a PNG nor an SVG (its root is not <svg>)")
    _refuse_active(root)
    clean = ElementTree.Element("svg", {"xmlns": SVG_NS})
    _copy(root, clean)
    return bytes(ElementTree.tostring(clean, encoding="utf-8", xml_declaration=False))


def _local(tag: str) -> tuple[str, str]:
    namespace, _, name = tag.rpartition("}")
    return namespace.lstrip("{"), name


def _refuse_active(root: ElementTree.Element) -> None:
    for element in root.iter():
        namespace, name = _local(str(element.tag))
        if name in REFUSED_ELEMENTS:
            raise DirectoryError(f"logo refused: SVG element <{name}> can run or load content")
        for attribute, value in element.attrib.items():
            _, attribute_name = _local(attribute)
            if attribute_name.lower().startswith("on"):
                raise DirectoryError(f"logo refused: event handler {attribute_name}= in the SVG")
            if attribute_name == "href" and not value.strip().startswith("#"):
                raise DirectoryError("logo refused: the SVG refers to something outside itself")
            if _external_url(value):
                raise DirectoryError("logo refused: the SVG refers to something outside itself")
        if name == "style" and namespace == SVG_NS and _external_url(element.text or ""):
            raise DirectoryError("logo refused: the SVG refers to something outside itself")


def _external_url(value: str) -> bool:
    """Whether a value has a `url(…)` that is not a reference into the document itself."""
    return any(not target.startswith("#") for target in _URL.findall(value))


def _rewrite(element: ElementTree.Element) -> ElementTree.Element | None:
    """A kept element, rebuilt (unqualified: the root's `xmlns` makes it SVG); else None."""
    namespace, name = _local(str(element.tag))
    if namespace != SVG_NS or name not in KEPT_ELEMENTS:
        return None
    clean = ElementTree.Element(name)
    _copy(element, clean)
    return clean


def _copy(element: ElementTree.Element, clean: ElementTree.Element) -> None:
    """The allowed attributes, text and children of `element`, into `clean`."""
    name = clean.tag
    for attribute, value in element.attrib.items():
        attribute_namespace, attribute_name = _local(attribute)
        if attribute_namespace not in ("", XLINK_NS) or attribute_name not in KEPT_ATTRIBUTES:
            continue
        if attribute_namespace == XLINK_NS and attribute_name != "href":
            continue
        if attribute_name == "style":
            value = _clean_style(value)
            if not value:
                continue
        clean.set(attribute_name, value)
    clean.text = element.text if name in ("text", "tspan", "title", "desc") else None
    for child in element:
        kept = _rewrite(child)
        if kept is not None:
            kept.tail = child.tail if name in ("text", "tspan") else None
            clean.append(kept)


def _clean_style(style: str) -> str:
    """A `style` attribute with only presentation properties and no tricks left in it."""
    kept = []
    for declaration in style.split(";"):
        prop, colon, value = declaration.partition(":")
        prop, value = prop.strip().lower(), value.strip()
        if not colon or prop not in KEPT_STYLE_PROPERTIES or _STYLE_DANGER.search(value):
            continue
        kept.append(f"{prop}:{value}")
    return ";".join(kept)
