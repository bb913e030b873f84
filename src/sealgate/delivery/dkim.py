"""DKIM signing of outbound mail, so receivers can tell sealgate's mail from forgeries (pure).

Every mail sealgate sends (notifications, code mails, direct deliveries, DSNs) carries a link
or a code that a phisher would like to imitate. A DKIM signature per sending domain lets the
recipient's server check that the mail left a gateway holding the domain's key, and lets
DMARC act on mail that did not. A domain may have two keys at once: ed25519 (RFC 8463, small
and fast, but not yet verified everywhere) and rsa-sha256 (RFC 6376, understood by every
verifier); `sign` adds one signature per key so each receiver finds one it can check.

The signatures are made by OpenSSL through `cryptography` (RSASSA-PKCS1-v1_5 with SHA-256,
and Ed25519 over the SHA-256 hash, RFC 8463 §3); the relaxed/relaxed canonicalisation
(RFC 6376 §3.4.2, §3.4.4) is done here, once per message for all its keys. dkimpy's pure-Python
RSA took 16% of the busy time under load (issue 9); the suite still verifies every signature
with dkimpy, an independent implementation. Parsed key objects are cached by PEM, so a key is
parsed (and an RSA key checked) once, not per message.
- `DkimKey.private_key_pem` is always PEM: PKCS#8 for ed25519, PKCS#1 ("RSA PRIVATE KEY") for
  rsa (the form older sealgate versions stored, and the form other DKIM tools read).
- The public `p=` value is the base64 of the raw 32-byte key for ed25519 (RFC 8463 section 4)
  and of the DER SubjectPublicKeyInfo for rsa (RFC 6376 section 3.6.1).

`sign` takes the whole message; `StreamSigner` makes the same signatures from a message fed
in pieces (a direct mail read from the vault), holding only its header section.

Pure: no DNS, no files. The one impurity: `sign` reads the clock for the signature's `t=` tag
when no `now` is passed. No `x=` expiry is set.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

Algorithm = Literal["ed25519", "rsa"]
PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

# The headers a signature covers. Absent ones are listed too: a signed absent header is one a
# forwarder or attacker cannot add afterwards without breaking the signature (RFC 6376 §5.4).
SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Sender",
    "Reply-To",
    "Auto-Submitted",
)

# Relaxed/relaxed survives the header refolding and trailing-whitespace changes that relays
# make; simple body canonicalisation breaks on the first relay that rewraps a line.
CANONICALISATION = b"relaxed/relaxed"
_SIGNED_NAMES = tuple(name.lower().encode("ascii") for name in SIGNED_HEADERS)

SIGNATURE_ALGORITHMS: dict[str, bytes] = {"ed25519": b"ed25519-sha256", "rsa": b"rsa-sha256"}

# RFC 8301 §3.2: signers SHOULD use at least 2048 bits; shorter keys are refused, not used.
RSA_BITS = 2048

# A selector or domain is a dot-separated list of LDH labels (ASCII; an IDN domain must be
# given as its A-label, xn--...). dkimpy works on bytes and puts both straight into DNS names.
_LINE_END = re.compile(rb"\r?\n")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_WSP = re.compile(rb"[\t ]+")
_TRAILING_WSP = re.compile(rb"[\t ]+\r\n")
_FIELD_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+")
LABELS = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")


@dataclass(frozen=True)
class DkimKey:
    """One signing key of one domain, with the TXT record value that publishes its public half."""

    domain: str
    selector: str
    algorithm: Algorithm
    private_key_pem: bytes
    public_record: str


def generate_key(domain: str, selector: str, algorithm: Algorithm) -> DkimKey:
    """A new key pair for `selector._domainkey.domain` (rsa keys are 2048 bits)."""
    private: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
    if algorithm == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    elif algorithm == "rsa":
        private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    else:
        raise ValueError(f"unknown DKIM algorithm {algorithm!r}")
    return _key(domain, selector, private)


def key_from_pem(domain: str, selector: str, private_key_pem: bytes) -> DkimKey:
    """Rebuild a `DkimKey` from a stored private key (ed25519 or rsa >= 2048 bits, PEM).

    The algorithm and the public record follow from the key itself, so only the PEM needs
    storing. rsa keys are re-serialised as PKCS#1.
    """
    private = serialization.load_pem_private_key(private_key_pem, password=None)
    return _key(domain, selector, private)


def _key(domain: str, selector: str, private: object) -> DkimKey:
    """The `DkimKey` of a private key: its algorithm, PEM form and public record."""
    domain, selector = _normalised_name(domain, "domain"), _normalised_name(selector, "selector")
    algorithm: Algorithm
    if isinstance(private, ed25519.Ed25519PrivateKey):
        algorithm, pem_format = "ed25519", serialization.PrivateFormat.PKCS8
        public = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    elif isinstance(private, rsa.RSAPrivateKey):
        if private.key_size < RSA_BITS:
            raise ValueError(f"rsa key of {private.key_size} bits is too weak for DKIM")
        algorithm, pem_format = "rsa", serialization.PrivateFormat.TraditionalOpenSSL
        public = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    else:
        raise ValueError(f"unsupported DKIM key type {type(private).__name__}")
    pem = private.private_bytes(
        serialization.Encoding.PEM, pem_format, serialization.NoEncryption()
    )
    return DkimKey(domain, selector, algorithm, pem, _record(algorithm, public))


def dns_record(key: DkimKey) -> tuple[str, str]:
    """The TXT record to publish: (`<selector>._domainkey.<domain>`, `v=DKIM1; k=...; p=...`)."""
    return f"{key.selector}._domainkey.{key.domain}", key.public_record


def sign(message: bytes, keys: Sequence[DkimKey], now: float) -> bytes:
    """`message` with one DKIM-Signature header per key in front, the first key's on top.

    Each signature covers the message as given (DKIM-Signature is not a signed header), so
    the order of the keys does not change what is signed, and the headers and body are
    canonicalised once for all keys. The message may use CRLF or LF line ends; the signature
    headers use the same. `now` (Unix time) is the signature's `t=`: the caller reads the
    clock, so this module stays pure.
    """
    if not keys:
        return message
    linesep = b"\r\n" if b"\r\n" in message else b"\n"
    headers, body = _split(message)
    body_hash = base64.b64encode(hashlib.sha256(_relaxed_body(body)).digest())
    return _signatures(headers, body_hash, keys, int(now), linesep) + message


class StreamSigner:
    """`sign` for a message read in pieces: the same signature headers, in one pass.

    Feed the message with `update` (any cut, down to single bytes), then `signatures`. Only
    the header section is kept (`prefix`: the bytes up to and including the empty line that
    ends it); the body goes through the relaxed canonicalisation into SHA-256 as it comes, so
    a 50 MB direct mail costs no more memory than its header section.
    """

    def __init__(self) -> None:
        self._head = bytearray()  # the message until the end of the header section is seen
        self._body: _BodyHash | None = None  # from there on
        self._crlf = False
        self._last = b""  # the previous piece's last byte, for a CRLF cut in two

    @property
    def prefix(self) -> bytes:
        """The header section and its empty line; the whole message when it has none."""
        return bytes(self._head)

    def update(self, piece: bytes | bytearray | memoryview) -> None:
        data = bytes(piece)
        if not data:
            return
        self._crlf = self._crlf or b"\r\n" in data or (self._last == b"\r" and data[:1] == b"\n")
        self._last = data[-1:]
        if self._body is not None:
            self._body.update(data)
            return
        # Search from a little before the new piece: the empty line may straddle the cut.
        start = max(len(self._head) - 3, 0)
        self._head += data
        match = _HEADER_END.search(self._head, start)
        if match is not None:
            body = bytes(self._head[match.end() :])
            del self._head[match.end() :]
            self._body = _BodyHash()
            self._body.update(body)

    def signatures(self, keys: Sequence[DkimKey], now: float) -> bytes:
        """The DKIM-Signature headers `sign` puts in front of the message fed so far."""
        if not keys:
            return b""
        linesep = b"\r\n" if self._crlf else b"\n"
        match = _HEADER_END.search(self._head)
        block = self._head if match is None else self._head[: match.start()]
        body = self._body if self._body is not None else _BodyHash()
        body_hash = base64.b64encode(body.digest())
        return _signatures(_fields(bytes(block)), body_hash, keys, int(now), linesep)


class _BodyHash:
    """SHA-256 of `_relaxed_body(body)` for a body fed in pieces, byte for byte the same.

    The relaxed rules work within a line, so each run of whole lines is canonicalised with
    `_relaxed_body`'s own expressions; the line not yet ended waits for the next piece.
    Empty lines are owed rather than hashed (`_owed` line ends), since they vanish when
    nothing but empty lines follow them.
    """

    # A line that grows past this is hashed up to its last character that no later byte
    # can change (not WSP, not CR), so a body without line breaks is not held whole.
    _LONG = 64 * 1024

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._tail = b""  # the line not yet ended
        self._owed = 0  # CRLFs to hash before the next non-empty content
        self._content = False  # whether any content was hashed

    def update(self, data: bytes) -> None:
        text = self._tail + data
        cut = text.rfind(b"\n") + 1
        self._tail = text[cut:]
        if cut:
            lines = _TRAILING_WSP.sub(b"\r\n", _LINE_END.sub(b"\r\n", text[:cut]))
            self._lines(_WSP.sub(b" ", lines))
        if len(self._tail) > self._LONG:
            stable = len(self._tail.rstrip(b" \t\r"))
            if stable:
                self._put(_WSP.sub(b" ", self._tail[:stable]))
            # What is left is WSP and CR: a run of WSP canonicalises as one SP would.
            self._tail = _WSP.sub(b" ", self._tail[stable:])

    def _lines(self, canonical: bytes) -> None:
        """Whole canonical lines (each ending CRLF): hash all but the trailing line ends."""
        end = len(canonical)
        while end >= 2 and canonical[end - 2 : end] == b"\r\n":
            end -= 2
        if end:
            self._put(canonical[:end])
            self._owed = 0
        self._owed += (len(canonical) - end) // 2

    def _put(self, content: bytes) -> None:
        self._hash.update(b"\r\n" * self._owed + content)
        self._owed, self._content = 0, True

    def digest(self) -> bytes:
        """The hash of the canonical body; the object is spent afterwards."""
        if self._tail:
            last = _WSP.sub(b" ", self._tail)
            self._put(last)
        if self._content:
            self._hash.update(b"\r\n")
        return self._hash.digest()


def _signatures(
    headers: list[tuple[bytes, bytes]],
    body_hash: bytes,
    keys: Sequence[DkimKey],
    timestamp: int,
    linesep: bytes,
) -> bytes:
    """The DKIM-Signature headers, first key's on top, over these fields and body hash."""
    signed = b"".join(_relaxed_header(n, v) for n, v in _select(headers, _SIGNED_NAMES))
    return b"".join(_signature_header(key, signed, body_hash, timestamp, linesep) for key in keys)


def _signature_header(
    key: DkimKey, signed: bytes, body_hash: bytes, timestamp: int, linesep: bytes
) -> bytes:
    """One DKIM-Signature header line (with its line end) by `key` over `signed` + itself."""
    tags = (
        b"v=1; a=" + SIGNATURE_ALGORITHMS[key.algorithm] + b"; c=" + CANONICALISATION + b";",
        b"d=" + key.domain.encode("ascii") + b"; s=" + key.selector.encode("ascii") + b";",
        b"t=" + str(timestamp).encode("ascii") + b";",
        b"h=" + b":".join(_SIGNED_NAMES) + b";",
        b"bh=" + body_hash + b";",
        b"b=",
    )
    unsigned = (linesep + b"\t").join(tags)
    # RFC 6376 §3.7: the signature's own header is hashed last, with an empty b= and without
    # its line end, canonicalised like the others.
    data = signed + _relaxed_header(b"DKIM-Signature", b" " + unsigned).removesuffix(b"\r\n")
    private = _private_key(key.private_key_pem)
    if isinstance(private, rsa.RSAPrivateKey):
        signature = private.sign(data, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(private, ed25519.Ed25519PrivateKey):
        # RFC 8463 §3: Ed25519 (PureEdDSA) over the SHA-256 hash of the data.
        signature = private.sign(hashlib.sha256(data).digest())
    else:
        raise ValueError(f"unsupported DKIM key type {type(private).__name__}")
    return b"DKIM-Signature: " + unsigned + base64.b64encode(signature) + linesep


@functools.lru_cache(maxsize=256)
def _private_key(pem: bytes) -> PrivateKey:
    """The parsed key of a PEM: parsed once per key (an RSA load checks the key, which is slow)."""
    private = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        raise ValueError(f"unsupported DKIM key type {type(private).__name__}")
    return private


def _split(message: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The header fields (name, raw value with its continuation lines) and the body."""
    match = _HEADER_END.search(message)
    block, body = (
        (message, b"") if match is None else (message[: match.start()], message[match.end() :])
    )
    return _fields(block), body


def _fields(block: bytes) -> list[tuple[bytes, bytes]]:
    """The header fields (name, raw value with its continuation lines) of a header section."""
    fields: list[tuple[bytes, bytes]] = []
    for line in _LINE_END.split(block):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b"\r\n" + line)
            continue
        name, colon, value = line.partition(b":")
        if not colon or not _FIELD_NAME.fullmatch(name.rstrip(b" \t")):
            raise ValueError("the header section is not RFC 5322 fields")
        fields.append((name.rstrip(b" \t"), value))
    return fields


def _select(
    headers: list[tuple[bytes, bytes]], names: Sequence[bytes]
) -> list[tuple[bytes, bytes]]:
    """The fields `h=` covers: for each listed name the lowest instance not yet used (§5.4.2)."""
    chosen: list[tuple[bytes, bytes]] = []
    below: dict[bytes, int] = {}
    for name in names:
        index = below.get(name, len(headers))
        while index > 0:
            index -= 1
            if headers[index][0].lower() == name:
                chosen.append(headers[index])
                break
        below[name] = index
    return chosen


def _relaxed_header(name: bytes, value: bytes) -> bytes:
    """RFC 6376 §3.4.2: lowercase name, unfolded value, runs of WSP as one SP, trimmed."""
    unfolded = _LINE_END.sub(b"", value)
    return name.lower().rstrip() + b":" + _WSP.sub(b" ", unfolded).strip(b" ") + b"\r\n"


def _relaxed_body(body: bytes) -> bytes:
    """RFC 6376 §3.4.4: CRLF line ends, no WSP at line ends, runs of WSP as one SP, no
    empty lines at the end; an empty body stays empty.

    Trailing WSP on a last line without a line end is kept, as dkimpy and OpenDKIM do.
    """
    text = _LINE_END.sub(b"\r\n", body)
    text = _WSP.sub(b" ", _TRAILING_WSP.sub(b"\r\n", text))
    end = len(text)
    while end >= 2 and text[end - 2 : end] == b"\r\n":
        end -= 2
    return text[:end] + b"\r\n" if end else b""


def _record(algorithm: Algorithm, public_key: bytes) -> str:
    return f"v=DKIM1; k={algorithm}; p={base64.b64encode(public_key).decode('ascii')}"


def _normalised_name(name: str, what: str) -> str:
    name = name.strip().rstrip(".").lower()
    if not LABELS.match(name):
        raise ValueError(f"DKIM {what} {name!r} is not an ASCII DNS name")
    return name
