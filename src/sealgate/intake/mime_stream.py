"""Read a message of any size as a stream: large parts go straight into blobs of their own.

The standard library's parser holds a whole message in memory, and more than once (its lines,
each part's payload, the decoded attachment); for a 50 MB message that was ten times its size.
So intake first walks the stream line by line with the same structure rules as the standard
library's FeedParser (header lines, the boundary pattern, nested boundaries that end a part,
the line break before a delimiter that belongs to it, multipart/digest's default type), and
writes a *skeleton*: the message exactly as it is, except that the body of each large leaf
part is decoded (base64, quoted-printable, or as it is) straight into a vault blob of its own
and replaced by a single line naming that blob with a random token of this walk. The skeleton
is small, so `mime.readable_from` reads it with the standard library as before: the same
bodies, the same attachments, the same names and types. A stubbed part it takes for an
attachment keeps its blob; one it takes for the text or HTML body is read back and its blob
removed. A message with no large part has a skeleton equal to the message itself, so it reads
exactly as before. What the walk could not read (no header section end, a multipart without
a boundary) is kept in the skeleton as it is.
"""

from __future__ import annotations

import binascii
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser

from sealgate.vault import Vault

# A leaf whose encoded body passes this many bytes is decoded into a blob of its own.
STUB_THRESHOLD = 512 * 1024
# Once the skeleton holds this many bytes, every further leaf with a body of more than a few
# lines goes to a blob too, so that many middling attachments do not add up in memory.
SKELETON_LIMIT = 8 * 1024 * 1024
_SMALL_BODY = 4096
# Deeper nesting than any mail program makes; deeper parts stay in the skeleton as they are.
_MAX_DEPTH = 32

_HEADER_LINE = re.compile(rb"^(From |[\041-\071\073-\176]*:|[\t ])")
_LINE_END = re.compile(rb"\r\n|\r|\n")
_EOL_AT_END = re.compile(rb"(\r\n|\r|\n)\Z")
_HEADERS = BytesHeaderParser(policy=policy.default)
_BASE64_KEPT = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_NOT_BASE64 = bytes(sorted(set(range(256)) - set(_BASE64_KEPT)))
_UU = ("x-uuencode", "uuencode", "uue", "x-uue")


@dataclass(frozen=True)
class Stub:
    """A large part's decoded content in the vault."""

    blob_id: str
    size: int


@dataclass
class Skeleton:
    """The message with large part bodies replaced by stub lines, and where those went."""

    data: bytes
    token: str
    stubs: dict[str, Stub] = field(default_factory=dict)

    def stub_of(self, body: str) -> Stub | None:
        """The stub a part's (undecoded) payload names, if it is a stub line of this walk."""
        text = body.strip()
        if not text.startswith(self.token):
            return None
        return self.stubs.get(text)


def lines_of(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The lines of a byte stream with their line breaks (CRLF, CR or LF, as FeedParser)."""
    rest = b""
    for chunk in chunks:
        data = rest + chunk if rest else chunk
        start = 0
        for end in _LINE_END.finditer(data):
            if end.group() == b"\r" and end.end() == len(data):
                break  # a CR at the end of a chunk may be the first half of a CRLF
            yield data[start : end.end()]
            start = end.end()
        rest = data[start:]
    if rest:
        yield rest


class _Input:
    """FeedParser's BufferedSubFile over a line iterator: a line that matches an enclosing
    part's boundary reads as the end, and stays to be read by that part."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self._lines = lines
        self._back: list[bytes] = []
        self._ends: list[Callable[[bytes], bool]] = []

    def readline(self) -> bytes:
        line = self._back.pop() if self._back else next(self._lines, b"")
        if line and any(ends(line) for ends in self._ends):
            self._back.append(line)
            return b""
        return line

    def unreadline(self, line: bytes) -> None:
        self._back.append(line)

    def push_end(self, ends: Callable[[bytes], bool]) -> None:
        self._ends.append(ends)

    def pop_end(self) -> None:
        self._ends.pop()


class _Decoder:
    """A leaf's Content-Transfer-Encoding undone piece by piece, as `get_payload(decode=True)`
    does for the whole: base64 and quoted-printable decoded, anything else kept."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._base64 = bytearray()

    def feed(self, line: bytes) -> bytes:
        if self.encoding == "base64":
            self._base64 += line.translate(None, _NOT_BASE64)
            whole = len(self._base64) // 4 * 4
            if whole < 1 << 16:
                return b""
            decoded = binascii.a2b_base64(bytes(self._base64[:whole]))
            del self._base64[:whole]
            return decoded
        if self.encoding == "quoted-printable":
            return binascii.a2b_qp(line)
        return line

    def end(self) -> bytes:
        if self.encoding != "base64" or not self._base64:
            return b""
        rest = bytes(self._base64).rstrip(b"=")
        if len(rest) % 4 == 1:  # a lone last character carries no whole byte
            rest = rest[:-1]
        try:
            return binascii.a2b_base64(rest + b"=" * (-len(rest) % 4))
        except binascii.Error:
            return b""


class SkeletonWalk:
    """One walk of a message stream; `run` returns its skeleton.

    On any error the blobs written so far are removed again before it goes up.
    """

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.token = f"sealgate-stub-{secrets.token_hex(16)}"
        self._out: list[bytes] = []
        self._size = 0
        self._stubs: dict[str, Stub] = {}

    def run(self, chunks: Iterable[bytes]) -> Skeleton:
        try:
            self._entity(_Input(lines_of(chunks)), 0, "text/plain", inside=False)
        except BaseException:
            self.discard()
            raise
        return Skeleton(b"".join(self._out), self.token, self._stubs)

    def discard(self) -> None:
        """Remove every blob this walk wrote."""
        for stub in self._stubs.values():
            self.vault.delete(stub.blob_id)
        self._stubs.clear()

    def _emit(self, line: bytes) -> None:
        self._out.append(line)
        self._size += len(line)

    def _entity(self, source: _Input, depth: int, default_type: str, *, inside: bool) -> None:
        """One entity (message or part): its header lines, then its body by its type."""
        headers: list[bytes] = []
        while line := source.readline():
            if not _HEADER_LINE.match(line):
                if _LINE_END.match(line):
                    self._emit(line)
                else:
                    source.unreadline(line)
                break
            headers.append(line)
            self._emit(line)
        parsed = _HEADERS.parsebytes(b"".join(headers) + b"\r\n")
        assert isinstance(parsed, EmailMessage)
        parsed.set_default_type(default_type)
        maintype = parsed.get_content_maintype()
        boundary = parsed.get_boundary() if maintype == "multipart" else None
        if boundary is not None and depth < _MAX_DEPTH:
            child_type = (
                "message/rfc822"
                if parsed.get_content_type() == "multipart/digest"
                else "text/plain"
            )
            self._multipart(source, depth, boundary, child_type)
            return
        encoding = str(parsed.get("content-transfer-encoding", "")).strip().lower()
        if maintype == "multipart" or encoding in _UU or depth >= _MAX_DEPTH:
            self._verbatim(source)
        elif maintype == "message":
            self._leaf(source, "", inside=inside)  # kept as it is: its raw message
        else:
            self._leaf(source, encoding, inside=inside)

    def _verbatim(self, source: _Input) -> None:
        while line := source.readline():
            self._emit(line)

    def _multipart(self, source: _Input, depth: int, boundary: str, child_type: str) -> None:
        """FeedParser's multipart loop: preamble, parts between delimiters, epilogue."""
        try:
            separator = ("--" + boundary).encode("ascii", "surrogateescape")
        except UnicodeEncodeError:  # no line of the message can match it: all preamble
            self._verbatim(source)
            return
        pattern = re.compile(
            b"(?P<sep>" + re.escape(separator) + rb")(?P<end>--)?(?P<ws>[ \t]*)"
            rb"(?P<linesep>\r\n|\r|\n)?$"
        )

        def delimiter(line: bytes) -> bool:
            return pattern.match(line) is not None

        while line := source.readline():
            found = pattern.match(line)
            self._emit(line)  # a delimiter, or a line of the preamble
            if not found:
                continue
            if found.group("end"):
                break
            # Repeated delimiters make no empty parts (FeedParser reads past them).
            while (line := source.readline()) and pattern.match(line):
                self._emit(line)
            if line:
                source.unreadline(line)
            source.push_end(delimiter)
            try:
                self._entity(source, depth + 1, child_type, inside=True)
            finally:
                source.pop_end()
        self._verbatim(source)  # the epilogue

    def _leaf(self, source: _Input, encoding: str, *, inside: bool) -> None:
        """A leaf body: kept in the skeleton while small, else decoded into a blob."""
        held: list[bytes] = []
        size = 0
        while line := source.readline():
            held.append(line)
            size += len(line)
            if size > STUB_THRESHOLD or (size > _SMALL_BODY and self._size + size > SKELETON_LIMIT):
                self._stub(source, encoding, held, inside=inside)
                return
        for line in held:
            self._emit(line)

    def _stub(self, source: _Input, encoding: str, held: list[bytes], *, inside: bool) -> None:
        """Decode the rest of the body into a blob; a stub line stands in the skeleton.

        Inside a multipart the line break before the next delimiter is the delimiter's, so
        the last line's break is not content (FeedParser drops it too)."""
        decoder = _Decoder(encoding)
        writer = self.vault.writer()
        pending = bytearray()
        try:
            linesep = _LINE_END.search(held[0])
            lines = _rest(held, source)
            last = next(lines)
            for line in lines:
                pending += decoder.feed(last)
                last = line
                if len(pending) >= 1 << 20:
                    writer.write(bytes(pending))
                    pending.clear()
            if inside:
                last = _EOL_AT_END.sub(b"", last)
            pending += decoder.feed(last) + decoder.end()
            writer.write(bytes(pending))
            blob_id = writer.close()
        except BaseException:
            writer.abort()
            raise
        name = f"{self.token}-{len(self._stubs) + 1}"
        self._stubs[name] = Stub(blob_id, writer.size)
        self._emit(name.encode() + (linesep.group() if linesep else b"\r\n"))


def _rest(held: list[bytes], source: _Input) -> Iterator[bytes]:
    yield from held
    while line := source.readline():
        yield line
