"""The DATA transfer as a line-by-line state machine: unstuffing, bare CR/LF, size limits.

The protocol shell (server.py) reads the stream and feeds every piece to `DataTransfer`;
this module decides, so that the rules can be tested without a socket. A piece is a whole
line ending in CRLF, or a fragment of a line longer than the reader's buffer (the shell
passes those on as they come, so an overlong line never sits in memory whole).

Every check happens while the lines arrive, never over the whole message afterwards: a
message that breaks a limit is dropped from memory at once and the transfer only looks for
its end, so one client's huge or hostile message costs the event loop no more than reading it.
What is kept (`content`) is exactly what the client sent after dot-unstuffing (RFC 5321
4.5.2): long lines are neither split nor re-wrapped. A large message is not kept whole: the
shell takes what has arrived (`take`) whenever `pending` grows past a threshold and streams it
into the vault (spool.py); the header section is kept apart (`header`) for the handler.

The checks, each answered only once the transfer has ended (RFC 5321 4.2.5), except one:
- a CR or LF that is not part of a CRLF pair (SMTP smuggling; Postfix
  `smtpd_forbid_bare_newline`); a line ending in `<LF>.<CR><LF>` or `<CR>.<CR><LF>` is an
  end of data to a lenient receiver, so the client waits for an answer there: the transfer
  ends at once (`Outcome.ABANDON`) and the shell refuses and closes the connection, because
  what the client sends next may be meant as commands or as more data;
- a line longer than `max_line_length` bytes (without CRLF);
- a header field (with its folded lines) longer than `max_header_field` bytes (Postfix
  `header_size_limit`), or a header section longer than `max_header_section` bytes;
- more than `max_message_size` bytes in all.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

_CRLF = b"\r\n"
_WSP = (b" ", b"\t")


class Problem(enum.Enum):
    """Why a message is refused; the first one found wins."""

    BARE_NEWLINE = "bare-newline"
    LINE_TOO_LONG = "line-too-long"
    HEADER_FIELD_TOO_BIG = "header-field-too-big"
    HEADER_SECTION_TOO_BIG = "header-section-too-big"
    TOO_BIG = "too-big"


class Outcome(enum.Enum):
    """What the shell does after a piece."""

    MORE = "more"  # read on
    END = "end"  # the final dot: answer
    ABANDON = "abandon"  # an end only a lenient receiver would see: refuse and close


@dataclass(frozen=True)
class DataLimits:
    """The sizes a message must keep to, in bytes."""

    max_message_size: int
    max_line_length: int
    max_header_field: int
    max_header_section: int


class DataTransfer:
    """One DATA transfer: `feed` each piece until it says END or ABANDON, then read the verdict."""

    def __init__(self, limits: DataLimits) -> None:
        self.limits = limits
        self.problem: Problem | None = None
        self._lines: list[bytes] = []
        self._pending = 0
        self._header_lines: list[bytes] = []
        self._size = 0
        # The line being assembled from fragments (empty between lines).
        self._fragments: list[bytes] = []
        self._line_length = 0
        self._in_header = True
        self._header_ended = False
        self._header_size = 0
        self._field_size = 0

    @property
    def content(self) -> bytes:
        """The message as committed: the unstuffed lines, CRLFs included, nothing else."""
        return b"".join(self._lines)

    @property
    def pending(self) -> int:
        """How many bytes of content are held, not yet taken."""
        return self._pending

    def take(self) -> bytes:
        """The content held so far, which is then forgotten (the shell has stored it)."""
        taken = b"".join(self._lines)
        self._lines = []
        self._pending = 0
        return taken

    @property
    def header(self) -> bytes:
        """The header section as received, with the empty line that ends it (when it came):
        at most max_header_section bytes, kept even after the content is taken."""
        return b"".join(self._header_lines)

    def feed(self, piece: bytes) -> Outcome:
        """Take the next piece of the stream (a line ending in CRLF, or a fragment)."""
        if not piece.endswith(_CRLF):
            self._take_fragment(piece)
            return Outcome.MORE
        if not self._fragments:
            return self._take_line(piece)
        tail = self._fragments[-1][-2:] + piece[:2]
        self._fragments.append(piece)
        line = b"".join(self._fragments) if self.problem is None else tail + piece[2:]
        self._fragments = []
        self._line_length = 0
        return self._take_line(line, whole=False)

    @property
    def between_lines(self) -> bool:
        """True when no line is half assembled: the next piece starts a line."""
        return not self._fragments

    def feed_lines(self, run: bytes) -> Outcome:
        """Take a run of whole lines (each ending in CRLF) read in one go, between lines.

        The end-of-data line, when in the run, is its last line. Same verdicts as feeding
        the lines one by one; body lines that need no unstuffing and break no rule are
        checked with a few scans of the run instead of a loop over its lines.
        """
        if self._in_header or self.problem is not None or not self._plain(run):
            return self._take_each(run)
        end = run == b".\r\n" or run.endswith(b"\r\n.\r\n")
        text = run[:-3] if end else run
        self._size += len(text)
        if self._size > self.limits.max_message_size:
            self._refuse(Problem.TOO_BIG)
        else:
            self._keep(text)
        return Outcome.END if end else Outcome.MORE

    def _plain(self, run: bytes) -> bool:
        """No bare CR or LF, no line to unstuff and no line too long in `run`, end excepted."""
        text = run[:-3] if run == b".\r\n" or run.endswith(b"\r\n.\r\n") else run
        pairs = text.count(_CRLF)
        if text.count(b"\r") != pairs or text.count(b"\n") != pairs:
            return False
        if text.startswith(b".") or b"\r\n." in text:
            return False
        limit = self.limits.max_line_length
        return len(text) <= limit + 2 or max(map(len, text.split(_CRLF))) <= limit

    def _take_each(self, run: bytes) -> Outcome:
        """`run` line by line; once the header section ends, the rest as a run again."""
        in_header, start = self._in_header, 0
        while start < len(run):
            stop = run.index(_CRLF, start) + 2
            outcome = self._take_line(run[start:stop])
            if outcome is not Outcome.MORE:
                return outcome
            start = stop
            if in_header and not self._in_header and self.problem is None:
                return self.feed_lines(run[start:]) if start < len(run) else Outcome.MORE
        return Outcome.MORE

    def _take_fragment(self, piece: bytes) -> None:
        # Any CR or LF in a fragment is bare: the reader stops at every CRLF.
        if b"\r" in piece or b"\n" in piece:
            self._refuse(Problem.BARE_NEWLINE)
        self._line_length += len(piece)
        if self._line_length > self.limits.max_line_length + 1:
            self._refuse(Problem.LINE_TOO_LONG)
        if self.problem is None:
            self._fragments.append(piece)
        else:
            # Keep only the end, to recognise a lenient end of data across the boundary.
            self._fragments = [((self._fragments[-1] if self._fragments else b"") + piece)[-3:]]

    def _take_line(self, line: bytes, *, whole: bool = True) -> Outcome:
        if whole and line == b".\r\n":
            return Outcome.END
        body = line[:-2]
        if b"\r" in body or b"\n" in body:
            self._refuse(Problem.BARE_NEWLINE)
            if body.endswith((b"\n.", b"\r.")):
                return Outcome.ABANDON
        if self.problem is not None:
            return Outcome.MORE
        if body.startswith(b"."):
            line = line[1:]
        if len(line) - 2 > self.limits.max_line_length:
            self._refuse(Problem.LINE_TOO_LONG)
            return Outcome.MORE
        self._check_header(line)
        self._size += len(line)
        if self._size > self.limits.max_message_size:
            self._refuse(Problem.TOO_BIG)
            return Outcome.MORE
        if self.problem is None:
            if not self._header_ended:
                self._header_lines.append(line)
                self._header_ended = not self._in_header
            self._keep(line)
        return Outcome.MORE

    def _keep(self, text: bytes) -> None:
        self._lines.append(text)
        self._pending += len(text)

    def _check_header(self, line: bytes) -> None:
        if not self._in_header:
            return
        if line == _CRLF:
            self._in_header = False
            return
        if not line.startswith(_WSP):
            self._field_size = 0
        self._field_size += len(line)
        self._header_size += len(line)
        if self._field_size > self.limits.max_header_field:
            self._refuse(Problem.HEADER_FIELD_TOO_BIG)
        elif self._header_size > self.limits.max_header_section:
            self._refuse(Problem.HEADER_SECTION_TOO_BIG)

    def _refuse(self, problem: Problem) -> None:
        if self.problem is None:
            self.problem = problem
        # Nothing of a refused message is kept: memory stays flat while its end is awaited.
        self._lines = []
        self._pending = 0
        self._header_lines = []
