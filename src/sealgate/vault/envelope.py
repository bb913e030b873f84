"""Envelope encryption: a per-blob data key wrapped by the master key, STREAM segments.

Blob layout (all integers big-endian):
    b"SGV1" | key id (8) | wrap nonce (12) | wrapped data key (32 + 16 tag) | nonce prefix (7)
    then segments: AES-256-GCM(data key, nonce = prefix | counter (4) | last flag (1)) of up to
    SEGMENT plaintext bytes, each followed by its 16-byte tag.
The last-segment flag in the nonce (the STREAM construction of Hoang, Reyhanitabar, Rogaway
and Vizár, as in Tink's streaming AEAD) makes truncation and reordering detectable.
No I/O here: callers bring bytes and random values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"SGV1"
SEGMENT = 64 * 1024
TAG = 16
KEY_ID = 8
HEADER = len(MAGIC) + KEY_ID + 12 + 32 + TAG + 7


class VaultCorrupt(Exception):
    """A blob failed authentication: altered, truncated, or wrapped by another master key."""


class MasterKey:
    """The key-encryption key; `repr` never shows it.

    32 bytes: the key wraps data keys and is the base of the derived keys. 64 bytes (what a
    `sealgate key rotate` writes): a new wrapping key, then the derivation base carried over
    from the key it replaced, so that keyed hashes of secrets nobody keeps (credential
    passwords, recovery codes) and values sealed under derived keys stay valid.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) not in (32, 64):
            raise ValueError("master key must be 32 bytes (or 64 after a rotation)")
        wrapping = key[:32]
        self._aead = AESGCM(wrapping)
        self.key_id = hashlib.sha256(b"sealgate key id" + wrapping).digest()[:KEY_ID]
        # Base for keys derived per purpose (HMAC of codes, CSRF); never used to encrypt.
        self.derive_base = (
            key[32:] if len(key) == 64 else hashlib.sha256(b"sealgate derive" + key).digest()
        )
        self._material = key

    def __repr__(self) -> str:
        return f"MasterKey(id={self.key_id.hex()})"

    def successor(self, wrapping: bytes) -> MasterKey:
        """A new master key that wraps with `wrapping` and derives as this one does."""
        return MasterKey(wrapping + self.derive_base)

    def to_bytes(self) -> bytes:
        """The key material, for the one place that writes it (the key file)."""
        return self._material

    def wrap(self, data_key: bytes, nonce: bytes, blob_id: str) -> bytes:
        return self._aead.encrypt(nonce, data_key, b"sealgate dek " + blob_id.encode())

    def unwrap(self, wrapped: bytes, nonce: bytes, blob_id: str) -> bytes:
        try:
            return self._aead.decrypt(nonce, wrapped, b"sealgate dek " + blob_id.encode())
        except InvalidTag:
            raise VaultCorrupt(f"blob {blob_id}: data key does not unwrap") from None


def key_id_of(header: bytes) -> bytes:
    """The id of the master key that wrapped a blob's data key, from its first bytes."""
    return header[len(MAGIC) : len(MAGIC) + KEY_ID]


def _key_for(keys: MasterKey | Sequence[MasterKey], blob_id: str, header: bytes) -> MasterKey:
    for key in [keys] if isinstance(keys, MasterKey) else keys:
        if key.key_id == key_id_of(header):
            return key
    raise VaultCorrupt(f"blob {blob_id}: wrapped by another master key")


def rewrap_header(
    keys: MasterKey | Sequence[MasterKey], new: MasterKey, blob_id: str, header: bytes, nonce: bytes
) -> bytes:
    """The blob header with its data key wrapped by `new` (12-byte `nonce`); the segments
    that follow it stay as they are. VaultCorrupt when no key in `keys` unwraps it."""
    if len(header) < HEADER or not header.startswith(MAGIC):
        raise VaultCorrupt(f"blob {blob_id}: bad header")
    data_key = _key_for(keys, blob_id, header).unwrap(header[24:72], header[12:24], blob_id)
    return MAGIC + new.key_id + nonce + new.wrap(data_key, nonce, blob_id) + header[72:HEADER]


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _segments(chunks: Iterable[bytes | bytearray]) -> Iterator[tuple[bytes, bool]]:
    """Re-cut a byte stream into SEGMENT-sized pieces, flagging the last one.

    A chunk is cut through a memoryview, a segment at a time, so a large one (a whole
    message handed to `put_bytes`) is never copied whole."""
    buffer = bytearray()
    pending: bytes | None = None
    for chunk in chunks:
        with memoryview(chunk) as view:
            start = 0
            while start < len(view):
                room = SEGMENT - len(buffer)
                buffer += view[start : start + room]
                start += room
                if len(buffer) == SEGMENT:
                    if pending is not None:
                        yield pending, False
                    pending = bytes(buffer)
                    buffer.clear()
    if buffer:
        if pending is not None:
            yield pending, False
        yield bytes(buffer), True
    else:
        yield (pending if pending is not None else b""), True


def encrypt_stream(
    master: MasterKey,
    blob_id: str,
    chunks: Iterable[bytes | bytearray],
    data_key: bytes,
    nonces: bytes,
) -> Iterator[bytes]:
    """Yield the encrypted blob; `nonces` is 19 random bytes (wrap nonce + segment prefix)."""
    wrap_nonce, prefix = nonces[:12], nonces[12:19]
    yield MAGIC + master.key_id + wrap_nonce + master.wrap(data_key, wrap_nonce, blob_id) + prefix
    aead = AESGCM(data_key)
    for counter, (plain, last) in enumerate(_segments(chunks)):
        yield aead.encrypt(_nonce(prefix, counter, last), plain, None)


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


def decrypt_stream(
    keys: MasterKey | Sequence[MasterKey], blob_id: str, source: Readable
) -> Iterator[bytes]:
    """Yield the plaintext segments of a blob read from `source`, under whichever of `keys`
    wrapped its data key (two only while a key rotation is under way)."""
    header = source.read(HEADER)
    if len(header) < HEADER or not header.startswith(MAGIC):
        raise VaultCorrupt(f"blob {blob_id}: bad header")
    master = _key_for(keys, blob_id, header)
    aead = AESGCM(master.unwrap(header[24:72], header[12:24], blob_id))
    prefix = header[72:79]
    current = source.read(SEGMENT + TAG)
    counter = 0
    while True:
        following = source.read(SEGMENT + TAG)
        try:
            yield aead.decrypt(_nonce(prefix, counter, not following), current, None)
        except InvalidTag:
            raise VaultCorrupt(f"blob {blob_id}: segment {counter} fails authentication") from None
        if not following:
            return
        current, counter = following, counter + 1
