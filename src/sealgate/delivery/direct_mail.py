"""The mail a direct delivery carries: the original, with large attachments behind a link.

(pure) SPEC.md "Direct delivery": attachments under 10 MB travel as they are; one of 10 MB or
more is replaced by a secure download link into the portal (`/m/<token>`), where the
recipient logs in or confirms the address by a code mail. Everything else reaches the
recipient's mailbox exactly as the sender wrote it, so this works on the bytes, not on a
re-serialised `email` object: the MIME tree is located with the standard library's header
parser and the boundary rule of RFC 2046 §5.1.1, and only the spans of large parts are swapped
for a short text/plain part. Nothing else moves, and a message without a large attachment
comes back as the very same bytes.

Long lines: submission keeps lines longer than SMTP's 998 octets (applications send unwrapped
HTML), but no such line may leave (RFC 5321 4.5.3.1.6), and splitting it, as Postfix does,
damages the content. A leaf part with such a line is re-encoded instead: quoted-printable for
text, base64 otherwise (RFC 2045 6.7, 6.8), so every line is short and the decoded content is
the same. Only that part's Content-Transfer-Encoding field and body change. message/* parts
may not be encoded (RFC 2046 5.2.1) and travel as they are.

Input is intake's readable message: the zivver-* control headers are already stripped
(`intake.control_headers.strip_control_headers`, before anything is stored or queued). This
module does not import intake, which imports delivery: a cycle would make import order matter.
"""

from __future__ import annotations

import binascii
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesHeaderParser
from textwrap import fill

from sealgate.locale import _, long_when, use_language

# The message as route reads it: one buffer filled from the vault (intake.read_readable_raw).
Buffer = bytes | bytearray

# SPEC.md: "Attachments under 10 MB travel as normal attachments; 10 MB and larger become
# secure download links." Sizes are of the decoded attachment, as the portal stores it.
LARGE_ATTACHMENT = 10 * 1024 * 1024

# Deeper nesting than any mail program makes; beyond it parts are left as they are, so a
# crafted message cannot exhaust the stack.
_MAX_DEPTH = 32
# Large bodies are measured in slices of this size, so no second full copy is made.
_SLICE = 1 << 20
_BLANK_LINE = re.compile(rb"\n\r?\n")
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_BASE64 = bytes(sorted(set(range(256)) - set(_BASE64_ALPHABET)))
_UNSAFE_IN_NAME = re.compile(r"[\x00-\x1f\x7f]")
_BODY_TEXT_TYPES = ("text/plain", "text/html")
_HEADERS = BytesHeaderParser(policy=policy.default)
# RFC 5321 4.5.3.1.6: at most 998 octets before the CRLF.
MAX_LINE = 998
_LONG_LINE = re.compile(rb"[^\r\n]{%d,}" % (MAX_LINE + 1))
_ENCODINGS_WE_DECODE = ("", "7bit", "8bit", "binary", "base64", "quoted-printable")


@dataclass(frozen=True)
class LargeAttachment:
    """An attachment too large to travel in a direct delivery: what its link part names."""

    filename: str  # "" when the part names no file
    content_type: str
    size: int  # decoded bytes


@dataclass(frozen=True)
class _Cut:
    """A span of the message that a link part replaces.

    `kept` is empty for a part inside a multipart (replaced whole). For a message that is a
    single attachment it holds the top-level fields to keep (From, To, Subject, …): only the
    Content-* fields and the body are replaced. `line_break`: the span ends with one (the
    line break before a delimiter is the delimiter's, so a delimited part does not).
    """

    start: int
    end: int
    linesep: bytes
    line_break: bool
    attachment: LargeAttachment | None  # None: a part re-encoded for its long lines
    kept: bytes = b""
    replacement: bytes = b""  # the re-encoded part, when `attachment` is None


@dataclass(frozen=True)
class DirectMail:
    """A readable message ready for direct delivery, and the attachments it cannot carry."""

    raw: Buffer = field(repr=False)
    cuts: tuple[_Cut, ...] = ()

    @property
    def large(self) -> tuple[LargeAttachment, ...]:
        return tuple(cut.attachment for cut in self.cuts if cut.attachment is not None)

    @property
    def needs_link(self) -> bool:
        """Whether rendering needs a download link (intake then mints a link token)."""
        return bool(self.large)

    def render(
        self,
        link: str | None,
        language: str | None = None,
        *,
        account: bool = False,
        until: datetime | None = None,
    ) -> Buffer:
        """The mail to deliver: every large attachment replaced by a part naming `link`.

        Without large attachments this is `raw` itself and `link` is not used. A large
        attachment and no link raises ValueError: it must never travel, nor vanish silently.
        The part that stands in for it is written in `language` (English when None); it says
        how the link opens (an account login when `account`, else a code mailed to the
        address) and until when (`until`, naive UTC; not said when None).
        """
        if not self.cuts:
            return self.raw
        if self.needs_link and not link:
            raise ValueError("a direct mail with large attachments needs a download link")
        source = memoryview(self.raw)
        pieces: list[bytes | memoryview] = []
        position = 0
        for cut in self.cuts:
            if cut.attachment is None:
                replacement = cut.replacement
            else:
                assert link is not None
                with use_language(language):
                    replacement = _link_part(cut, _Opening(link, account, until))
            pieces += [source[position : cut.start], replacement]
            position = cut.end
        pieces.append(source[position:])
        return b"".join(pieces)


def plan_direct_mail(readable_raw: Buffer, threshold: int = LARGE_ATTACHMENT) -> DirectMail:
    """Find the attachments of `threshold` bytes or more (decoded) in a readable message.

    Like intake's MIME reading this never raises on content: the sender has its 250 and the
    recipient may have the whole message. Should the walk trip anyway, the cuts found so far
    stand (each is complete) and the rest of the message travels as it is.
    """
    raw = readable_raw
    cuts: list[_Cut] = []
    # The last line of defence, as in intake.mime.
    with contextlib.suppress(Exception):
        _walk(raw, 0, len(raw), _Where(threshold, _linesep(raw), top=True), cuts)
    return DirectMail(raw, tuple(cuts))


def needs_link(readable_raw: Buffer, threshold: int = LARGE_ATTACHMENT) -> bool:
    """Whether the direct mail of this message has an attachment behind a download link."""
    return plan_direct_mail(readable_raw, threshold).needs_link


def direct_mail(
    readable_raw: Buffer, *, link: str | None, threshold: int = LARGE_ATTACHMENT
) -> bytes:
    """The bytes a direct delivery sends (see `DirectMail.render`)."""
    return bytes(plan_direct_mail(readable_raw, threshold).render(link))


@dataclass(frozen=True)
class _Where:
    """Where the walk is: the threshold, the nesting depth, and the default content type."""

    threshold: int
    linesep: bytes
    depth: int = 0
    top: bool = False
    default_type: str = "text/plain"

    def child(self, container_type: str) -> _Where:
        # RFC 2046 §5.1.5: in a multipart/digest a part without Content-Type is a message.
        default = "message/rfc822" if container_type == "multipart/digest" else "text/plain"
        return _Where(self.threshold, self.linesep, self.depth + 1, default_type=default)


def _walk(raw: Buffer, start: int, end: int, where: _Where, cuts: list[_Cut]) -> None:
    """Collect the cuts of the entity at raw[start:end], depth first, in document order."""
    headers_end, body_start = _split_entity(raw, start, end)
    headers = _parse_headers(bytes(raw[start:headers_end]), where.default_type)
    content_type = headers.get_content_type()
    if headers.get_content_maintype() == "multipart":
        boundary = _boundary(headers)
        if boundary is None or where.depth >= _MAX_DEPTH:
            return
        for part_start, part_end in _parts(raw, body_start, end, boundary):
            _walk(raw, part_start, part_end, where.child(content_type), cuts)
        return
    filename = _filename(headers)
    encoding = _transfer_encoding(headers)
    if (
        _is_body_text(headers, filename)
        or (size := _decoded_size(raw, body_start, end, encoding)) < where.threshold
    ):
        if _has_long_line(raw, body_start, end) and headers.get_content_maintype() != "message":
            cut = _reencoded(raw, (start, headers_end, body_start, end), headers, where)
            cuts.extend([cut] if cut is not None else [])
        return
    attachment = LargeAttachment(filename, content_type, size)
    kept = _non_content_fields(raw, headers_end, where.linesep) if where.top else b""
    line_break = raw.endswith(b"\n", start, end)
    cuts.append(_Cut(start, end, where.linesep, line_break, attachment, kept))


def _has_long_line(raw: Buffer, start: int, end: int) -> bool:
    return _LONG_LINE.search(raw, start, end) is not None


def _decoded_body(body: bytes, encoding: str) -> bytes:
    """The part's content; binascii.Error for base64 that does not decode."""
    if encoding == "base64":
        symbols = body.translate(None, _NOT_BASE64)
        return binascii.a2b_base64(symbols + b"=" * (-len(symbols) % 4))
    if encoding == "quoted-printable":
        return binascii.a2b_qp(body)
    return body


def _reencoded(
    raw: Buffer, spans: tuple[int, int, int, int], headers: EmailMessage, where: _Where
) -> _Cut | None:
    """A cut that swaps a part with an over-long line for the same part, re-encoded; None
    for a part whose content cannot be told exactly (broken base64): it travels as it is."""
    start, headers_end, body_start, end = spans
    encoding = _transfer_encoding(headers)
    if encoding not in _ENCODINGS_WE_DECODE:
        encoding = ""  # an unknown encoding is read as it stands, like 8bit
    try:
        body = _decoded_body(bytes(raw[body_start:end]), encoding)
    except binascii.Error:
        return None
    sep = where.linesep
    if headers.get_content_maintype() == "text":
        name, encoded = b"quoted-printable", binascii.b2a_qp(body, istext=True)
        if sep == b"\r\n":
            encoded = re.sub(rb"(?<!\r)\n", b"\r\n", encoded)
    else:
        name, encoded = b"base64", binascii.b2a_base64(body, newline=False)
        encoded = sep.join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    fields = _without_transfer_encoding(bytes(raw[start:headers_end]), sep, top=where.top)
    fields += b"Content-Transfer-Encoding: " + name + sep
    line_break = raw.endswith(b"\n", start, end)
    replacement = (
        fields + sep + encoded + (sep if line_break and not encoded.endswith(sep) else b"")
    )
    return _Cut(start, end, sep, line_break, None, replacement=replacement)


def _without_transfer_encoding(section: bytes, linesep: bytes, *, top: bool) -> bytes:
    """The header fields but Content-Transfer-Encoding (continuations too); at the top
    level MIME-Version is added when missing, as the new field needs it."""
    kept: list[bytes] = []
    keep, mime_version = True, False
    for line in section.splitlines(keepends=True):
        if line[:1] not in (b" ", b"\t"):
            name = line.partition(b":")[0].strip().lower()
            keep = name != b"content-transfer-encoding"
            mime_version = mime_version or name == b"mime-version"
        if keep:
            kept.append(bytes(line))
    if top and not mime_version:
        kept.append(b"MIME-Version: 1.0" + linesep)
    return b"".join(kept)


def _linesep(raw: Buffer) -> bytes:
    """The message's own line break (CRLF as on the wire, or LF), for the parts we add."""
    first = raw.find(b"\n")
    return b"\n" if first > 0 and raw[first - 1] != 0x0D else b"\r\n"


def _split_entity(raw: Buffer, start: int, end: int) -> tuple[int, int]:
    """Where the entity's header fields end and its body starts (after the empty line)."""
    for blank in (b"\n", b"\r\n"):
        if raw.startswith(blank, start, end):
            return start, start + len(blank)
    found = _BLANK_LINE.search(raw, start, end)
    if found is None:
        return end, end
    return found.start() + 1, found.end()


def _parse_headers(section: bytes, default_type: str) -> EmailMessage:
    """The entity's header fields; unreadable ones read as absent, never as an error."""
    try:
        parsed = _HEADERS.parsebytes(section)
    except Exception:  # the parser is lenient by design; this is the last line of defence
        parsed = EmailMessage(policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    parsed.set_default_type(default_type)
    return parsed


def _boundary(headers: EmailMessage) -> bytes | None:
    try:
        boundary = headers.get_boundary()
    except Exception:
        return None
    if not boundary:
        return None
    # The parser read the bytes as ASCII with surrogate escapes; this gives them back.
    return boundary.encode("ascii", "surrogateescape")


def _parts(raw: Buffer, body_start: int, end: int, boundary: bytes) -> Iterator[tuple[int, int]]:
    """The spans of a multipart's body parts, as RFC 2046 §5.1.1 delimits them.

    A delimiter is a line of "--" and the boundary, then "--" for the last one, then blanks.
    The line break before a delimiter belongs to it, not to the part. Without a closing
    delimiter the last part runs to the end, as the standard library's parser reads it.
    """
    delimiter = re.compile(
        rb"^--" + re.escape(boundary) + rb"(--)?[ \t]*(?:\r?\n|\Z)", re.MULTILINE
    )
    part_start: int | None = None
    for match in delimiter.finditer(raw, body_start, end):
        if part_start is not None:
            yield part_start, _before_line_break(raw, part_start, match.start())
        if match.group(1):
            return
        part_start = match.end()
    if part_start is not None:
        yield part_start, end


def _before_line_break(raw: Buffer, start: int, position: int) -> int:
    if raw.endswith(b"\r\n", start, position):
        return position - 2
    if raw.endswith(b"\n", start, position):
        return position - 1
    return position


def _printable(text: str) -> str:
    """Undo the parser's surrogate escapes (raw UTF-8 in a header) and drop control codes."""
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return _UNSAFE_IN_NAME.sub("", text).strip()[:200]


def _filename(headers: EmailMessage) -> str:
    try:
        return _printable(headers.get_filename() or "")
    except Exception:  # a malformed parameter: the part names no file we can read
        return ""


def _is_body_text(headers: EmailMessage, filename: str) -> bool:
    """The message's own text (plain or HTML), which always travels, however long it is."""
    try:
        disposition = headers.get_content_disposition()
    except Exception:
        disposition = None
    return (
        headers.get_content_type() in _BODY_TEXT_TYPES
        and disposition != "attachment"
        and not filename
    )


def _transfer_encoding(headers: EmailMessage) -> str:
    try:
        return str(headers.get("content-transfer-encoding", "")).strip().lower()
    except Exception:
        return ""


def _decoded_size(raw: Buffer, start: int, end: int, encoding: str) -> int:
    """The size of raw[start:end] once decoded, measured slice by slice.

    base64 counts its alphabet (padding, line breaks and junk carry no data, as decoders
    skip them); quoted-printable is decoded in slices cut at line breaks. Any other encoding
    (7bit, 8bit, binary, unknown) is counted as it stands.
    """
    if encoding == "base64":
        symbols = sum(
            len(raw[i : min(i + _SLICE, end)].translate(None, _NOT_BASE64))
            for i in range(start, end, _SLICE)
        )
        return symbols * 3 // 4
    if encoding == "quoted-printable":
        return sum(len(binascii.a2b_qp(piece)) for piece in _line_slices(raw, start, end))
    return end - start


def _line_slices(raw: Buffer, start: int, end: int) -> Iterator[Buffer]:
    """raw[start:end] in slices of about `_SLICE` bytes, each ending after a line break."""
    position = start
    while position < end:
        cut = raw.find(b"\n", min(position + _SLICE, end) - 1, end)
        stop = end if cut < 0 else cut + 1
        yield raw[position:stop]
        position = stop


def _non_content_fields(raw: Buffer, headers_end: int, linesep: bytes) -> bytes:
    """The top-level header fields, continuation lines included, except the Content-* ones.

    MIME-Version is added when the message had none, since the new Content-Type needs it.
    """
    kept: list[bytes] = []
    keep, mime_version = True, False
    for line in raw[:headers_end].splitlines(keepends=True):
        if line[:1] not in (b" ", b"\t"):
            name = line.partition(b":")[0].strip().lower()
            keep = not name.startswith(b"content-")
            mime_version = mime_version or name == b"mime-version"
        if keep:
            kept.append(bytes(line))
    if not mime_version:
        kept.append(b"MIME-Version: 1.0" + linesep)
    return b"".join(kept)


@dataclass(frozen=True)
class _Opening:
    """The download link, and what its part says about opening it."""

    link: str
    account: bool
    until: datetime | None


def _notice(attachment: LargeAttachment, opening: _Opening) -> str:
    size = _human_size(attachment.size)
    if attachment.filename:
        what = _(
            'The attachment "%(name)s" (%(size)s) is too large to send by email.',
            name=attachment.filename,
            size=size,
        )
    else:
        what = _(
            "An attachment of type %(type)s (%(size)s) is too large to send by email.",
            type=attachment.content_type,
            size=size,
        )
    if opening.account:
        how = _("Download it securely with the link below: you log in to your account.")
    else:
        how = _(
            "Download it securely with the link below: you first confirm that this email "
            "address is yours with a code that you will get by email at this address."
        )
    words = f"{what} {how}"
    if opening.until is not None:
        words += " " + _("The link works until %(until)s.", until=long_when(opening.until))
    wrapped = fill(words, 72, break_long_words=False, break_on_hyphens=False)
    return f"{wrapped}\n\n{opening.link}\n"


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024:.1f} KB"


def _link_part(cut: _Cut, opening: _Opening) -> bytes:
    """The text/plain part that stands in for one large attachment."""
    assert cut.attachment is not None
    text = _notice(cut.attachment, opening)
    # 7-bit safe, so it travels to servers without 8BITMIME unchanged.
    cte = "7bit" if text.isascii() else "quoted-printable"
    part = MIMEPart(policy=policy.default)
    part.set_content(text, charset="utf-8", cte=cte, disposition="inline")
    data = part.as_bytes(policy=policy.default.clone(linesep=cut.linesep.decode("ascii")))
    return cut.kept + (data if cut.line_break else data.removesuffix(cut.linesep))
