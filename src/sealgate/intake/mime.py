"""Read a raw message the way the portal shows it: headers, text and HTML bodies, attachments.

Mail from real systems is often malformed (missing boundaries, cut-off parts, bad base64,
charsets nobody knows), and the sender already got its 250: the message must be shown,
not lost. So nothing here raises on content. When the MIME structure cannot be read, the
message is shown as text: its raw body decoded with replacement characters.
"""

from __future__ import annotations

import html
import mimetypes
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

from sealgate.intake.mime_stream import Skeleton, Stub
from sealgate.intake.readable import INLINE_IMAGE_TYPES, Attachment, InlineImage, ReadableMessage
from sealgate.vault import Vault

_SERIALISE = policy.default.clone(linesep="\r\n")
_BODY_START = re.compile(rb"\r?\n\r?\n|\r\r")
_LINE_BREAKS = re.compile(r"[\r\n]+")
_UNSAFE_IN_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


class _Malformed(Exception):
    """The MIME structure cannot be read; the caller shows the message as text."""


@dataclass(frozen=True)
class _Leaf:
    """An attachment found in the structure, read but not yet stored (or, for a large part
    of a streamed message, already in its own blob: `stub`)."""

    filename: str
    content_type: str
    data: bytes
    stub: Stub | None = None
    content_id: str = ""  # set for a picture the HTML body shows inline (cid:)


@dataclass
class _Content:
    """How a part's decoded content is found: in the parsed message, or, for a part the
    streaming walk took out (mime_stream.py), in the blob its stub line names."""

    skeleton: Skeleton | None = None
    vault: Vault | None = None

    def stub(self, part: Message) -> Stub | None:
        if self.skeleton is None or not self.skeleton.stubs:
            return None
        payload = part.get_payload()
        if isinstance(payload, list):  # message/*: the stub is its inner message's body
            if len(payload) != 1 or not isinstance(payload[0], Message):
                return None
            payload = payload[0].get_payload()
        return self.skeleton.stub_of(payload) if isinstance(payload, str) else None

    def decoded(self, part: Message) -> bytes:
        stub = self.stub(part)
        if stub is None:
            return _decoded(part)
        assert self.vault is not None
        return self.vault.get_bytes(stub.blob_id)

    def leaf(self, part: Message, number: int, html_body: str | None) -> _Leaf:
        filename, content_type = _filename(part, number), part.get_content_type()
        inline = _inline_id(part, html_body)
        stub = self.stub(part)
        if stub is not None:
            return _Leaf(filename, content_type, b"", stub, inline)
        return _Leaf(filename, content_type, _decoded(part), content_id=inline)


def parse_mime(raw: bytes) -> EmailMessage:
    """Parse with the standard library's lenient parser; an unparsable message is empty."""
    try:
        mail = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:  # the parser is lenient by design; this is the last line of defence
        return EmailMessage(policy=policy.default)
    assert isinstance(mail, EmailMessage)
    return mail


def _printable(text: str) -> str:
    """Undo the parser's surrogate escapes so the text can be stored as UTF-8."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def _raw_values(mail: Message, name: str) -> list[str]:
    """A header's values as they stand, for when the structured parser gave up on them."""
    return [str(value) for key, value in mail.raw_items() if key.lower() == name.lower()]


def header_text(mail: EmailMessage, name: str) -> str:
    """A header as one line of decoded text ("" when absent)."""
    try:
        values = [str(value) for value in mail.get_all(name) or []]
    except Exception:  # a header the structured parser cannot read: show it raw
        values = _raw_values(mail, name)
    return _printable(_LINE_BREAKS.sub(" ", ", ".join(values)).strip())


def header_addresses(mail: EmailMessage, name: str) -> tuple[str, ...]:
    """The bare addresses (addr-spec) of an address header such as To or Cc."""
    try:
        found = [
            address.addr_spec for header in mail.get_all(name) or [] for address in header.addresses
        ]
    except Exception:  # fall back to the older, simpler address parser
        found = [address for _, address in getaddresses(_raw_values(mail, name))]
    return tuple(_printable(address) for address in found if address and "@" in address)


def _display_addresses(mail: EmailMessage, name: str) -> tuple[str, ...]:
    try:
        found = [
            str(address) for header in mail.get_all(name) or [] for address in header.addresses
        ]
    except Exception:
        found = [value for value in _raw_values(mail, name) if value.strip()]
    return tuple(_printable(_LINE_BREAKS.sub(" ", address)) for address in found)


def _decoded(part: Message) -> bytes:
    """The transfer-decoded bytes of a leaf part; an embedded message is re-serialised."""
    if part.is_multipart():
        # message/rfc822 (one message) or message/delivery-status (blocks of fields):
        # what follows the part's own header section is the attachment.
        return _raw_body(part.as_bytes(policy=_SERIALISE))
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _text_of(part: Message, content: _Content) -> str:
    """A text part as str; unknown or missing charsets are read as UTF-8 with replacements."""
    data = content.decoded(part)
    charset = part.get_content_charset() or "utf-8"
    if charset in ("us-ascii", "ascii"):
        charset = "utf-8"  # mislabelled 8-bit text is common; UTF-8 reads ASCII unchanged
    try:
        return data.decode(charset, "replace")
    except (LookupError, UnicodeError, ValueError):
        return data.decode("utf-8", "replace")


def _leaves(part: Message) -> Iterator[Message]:
    """Every non-container part, depth first; a message/rfc822 part counts as one leaf."""
    if part.get_content_maintype() != "multipart":
        yield part
        return
    payload = part.get_payload()
    if not isinstance(payload, list):
        raise _Malformed("multipart without readable parts")
    for child in payload:
        if not isinstance(child, Message):
            raise _Malformed("multipart with a part that is not a message part")
        yield from _leaves(child)


def _filename(part: Message, number: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = _UNSAFE_IN_NAME.sub("_", _printable(name)).strip(" .")[:200]
    if name:
        return name
    extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
    return f"attachment-{number}{extension}"


def _content_id(part: Message) -> str:
    """The part's Content-ID without its angle brackets ("" when it has none)."""
    try:
        value = str(part.get("Content-ID", "") or "")
    except Exception:
        return ""
    return _printable(value).strip().strip("<>").strip()[:200]


def _inline_id(part: Message, html_body: str | None) -> str:
    """The Content-ID of a picture the HTML body shows (`cid:`), else "" (an attachment)."""
    if html_body is None or part.get_content_type() not in INLINE_IMAGE_TYPES:
        return ""
    content_id = _content_id(part)
    if content_id and f"cid:{content_id}".lower() in html_body.lower():
        return content_id
    return ""


def _structure(mail: EmailMessage, content: _Content) -> tuple[str, str | None, list[_Leaf]]:
    """Text body, HTML body and attachments of a well-enough-formed message."""
    plain = mail.get_body(preferencelist=("plain",))
    rich = mail.get_body(preferencelist=("html",))
    html_body = _text_of(rich, content) if rich is not None else None
    if plain is not None:
        text = _text_of(plain, content)
    elif html_body is not None:
        text = text_from_html(html_body)
    else:
        text = ""
    leaves = [
        content.leaf(part, number, html_body)
        for number, part in enumerate(
            (p for p in _leaves(mail) if p is not plain and p is not rich), start=1
        )
    ]
    return text, html_body, leaves


def _raw_body(raw: bytes) -> bytes:
    """Everything after the first empty line; the whole message if there is none."""
    separator = _BODY_START.search(raw)
    return raw[separator.end() :] if separator else raw


def _bodies(
    mail: EmailMessage, raw: Callable[[], bytes], content: _Content
) -> tuple[str, str | None, list[_Leaf]]:
    try:
        text, html_body, leaves = _structure(mail, content)
    except Exception:  # _Malformed, or anything the email package trips over
        return _raw_body(raw()).decode("utf-8", "replace"), None, []
    if not text and html_body is None and not leaves and _raw_body(raw()).strip():
        return _raw_body(raw()).decode("utf-8", "replace"), None, []
    return text, html_body, leaves


def _stored(leaf: _Leaf, vault: Vault) -> Attachment:
    if leaf.stub is not None:
        return Attachment(leaf.filename, leaf.content_type, leaf.stub.size, leaf.stub.blob_id)
    return Attachment(leaf.filename, leaf.content_type, len(leaf.data), vault.put_bytes(leaf.data))


def readable_from(
    mail: EmailMessage,
    raw: bytes,
    vault: Vault,
    *,
    skeleton: Skeleton | None = None,
    original: Callable[[], bytes] | None = None,
) -> ReadableMessage:
    """The readable form of a parsed message; each attachment becomes its own vault blob.

    `raw` is the message `mail` was parsed from, used when its structure cannot be read.
    For a streamed message `raw` is its `skeleton`'s data and `original` reads the message
    itself again (for that case only); a stubbed part that becomes an attachment keeps its
    blob, and every other stub blob is removed.
    """
    content = _Content(skeleton, vault)
    stubbed = skeleton is not None and bool(skeleton.stubs) and original is not None
    text, html_body, leaves = _bodies(
        mail, original if stubbed and original else lambda: raw, content
    )
    stored = [(leaf, _stored(leaf, vault)) for leaf in leaves]
    attachments = tuple(kept for leaf, kept in stored if not leaf.content_id)
    inline_images = tuple(
        InlineImage(leaf.content_id, kept.filename, kept.content_type, kept.size, kept.blob_id)
        for leaf, kept in stored
        if leaf.content_id
    )
    if skeleton is not None:
        kept = {attachment.blob_id for _, attachment in stored}
        for stub in skeleton.stubs.values():
            if stub.blob_id not in kept:
                vault.delete(stub.blob_id)
    return ReadableMessage(
        subject=header_text(mail, "Subject"),
        sender=header_text(mail, "From"),
        to=_display_addresses(mail, "To"),
        cc=_display_addresses(mail, "Cc"),
        date=header_text(mail, "Date"),
        text=_printable(text),
        html=_printable(html_body) if html_body is not None else None,
        attachments=attachments,
        inline_images=inline_images,
    )


class _TextFromHtml(HTMLParser):
    """Collects the visible text of an HTML document, with line breaks at block elements."""

    # fmt: off
    BLOCKS = frozenset({
        "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "footer", "h1",
        "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section",
        "table", "td", "th", "tr", "ul",
    })
    # fmt: on
    HIDDEN = frozenset({"script", "style", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.pieces.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.pieces.append(data)


def text_from_html(markup: str) -> str:
    """A plain-text version of an HTML body, for messages that have no text part."""
    try:
        parser = _TextFromHtml()
        parser.feed(markup)
        parser.close()
        text = "".join(parser.pieces)
    except Exception:  # very broken markup: drop anything that looks like a tag
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
