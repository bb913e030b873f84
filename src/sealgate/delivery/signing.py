"""The worker's DKIM seam: sign each outbound mail with the keys of its From: domain.

Every mail leaves through `worker._deliver`, which hands the bytes to `sign_outbound` just
before sending. The signing domain is the domain of the From: header (the identity DMARC
aligns with), exactly: a notification from alice@hospital.example is signed as
hospital.example with both of its keys (ed25519 and rsa, RFC 8463 §4 dual signing); a code
mail or DSN from `[delivery] system_from` is signed with that domain's keys, which exist when
an organisation (e.g. the operator's) claimed it. Mail from a domain nobody claimed leaves
unsigned. Keys are made on first use (delivery/dkim_keys.py).

A mail queued as a vault blob (a direct delivery, any mail over 64 KB) is signed as it is
read (`sign_streamed`), never held whole; the signatures are the same bytes.

The queued blob stays unsigned: each attempt signs afresh, so a retry days later carries a
fresh `t=` and the keys current at that moment.

Keys are read from the database once per domain per `CACHE_SECONDS` (unclaimed domains are
cached too), not per message. A signing failure never fails or delays a delivery: DKIM only
adds evidence, so the mail goes out unsigned and a warning is logged. (Transport security is
the opposite: there a failure defers, see client.py.)
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from email.parser import BytesHeaderParser
from email.utils import getaddresses

from sqlalchemy.exc import IntegrityError

from sealgate.bootstrap import Runtime
from sealgate.delivery.dkim import DkimKey, StreamSigner, sign
from sealgate.delivery.dkim_keys import DKIM_KEY_PURPOSE, ensure_domain_keys
from sealgate.delivery.dsn import header_block
from sealgate.delivery.streamed import StreamedMail
from sealgate.mail import Address, AddressError
from sealgate.store import Database, utcnow

log = logging.getLogger("sealgate.delivery.dkim")

CACHE_SECONDS = 60.0


def signing_domain(message: bytes) -> str | None:
    """The domain of the one From: mailbox (lowercase A-label), or None when there is not one."""
    headers = BytesHeaderParser().parsebytes(message)
    values = headers.get_all("From") or []
    if len(values) != 1:
        return None
    try:
        domains = {
            Address.parse(address).domain.key for _, address in getaddresses([str(values[0])])
        }
    except AddressError:
        return None
    return domains.pop() if len(domains) == 1 else None


class SigningKeys:
    """Keys per domain for one database, each entry kept `ttl` seconds (monotonic clock).

    A lock makes concurrent first uses of a domain wait for one load (and one key creation)
    instead of making keys twice.
    """

    def __init__(
        self, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl, self._clock = ttl, clock
        self._entries: dict[str, tuple[float, tuple[DkimKey, ...]]] = {}
        self._lock = threading.Lock()

    def get(self, domain: str, load: Callable[[str], tuple[DkimKey, ...]]) -> tuple[DkimKey, ...]:
        """The cached keys of `domain`, or `load(domain)` when none are cached or they expired."""
        with self._lock:
            entry = self._entries.get(domain)
            if entry is not None and entry[0] > self._clock():
                return entry[1]
            keys = load(domain)
            self._entries[domain] = (self._clock() + self._ttl, keys)
            return keys

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()


# One cache per Database (per runtime), dropped with it (the cache holds no reference to it).
_caches: weakref.WeakKeyDictionary[Database, SigningKeys] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _load_keys(rt: Runtime, domain: str) -> tuple[DkimKey, ...]:
    """The domain's keys from the database, made if missing; a lost creation race re-reads."""
    seal_key = rt.subkey(DKIM_KEY_PURPOSE)
    try:
        with rt.db.begin() as session:
            return tuple(ensure_domain_keys(session, seal_key, domain, utcnow()))
    except IntegrityError:
        with rt.db.begin() as session:
            return tuple(ensure_domain_keys(session, seal_key, domain, utcnow()))


def signing_keys(rt: Runtime) -> SigningKeys:
    """The key cache of `rt`'s database."""
    with _caches_lock:
        cache = _caches.get(rt.db)
        if cache is None:
            cache = _caches[rt.db] = SigningKeys()
        return cache


def sign_message(rt: Runtime, message: bytes) -> bytes:
    """`message` with a DKIM signature per key of its From: domain; unsigned when it has none.

    Blocking (database, key creation): the worker calls it through `sign_outbound`.
    Never raises: on any error the mail is returned unsigned and a warning logged.
    """
    signed = _with_keys(rt, message, lambda keys, now: sign(message, keys, now))
    return message if signed is None else signed


def sign_streamed(rt: Runtime, read: Callable[[], Iterable[bytes]]) -> StreamedMail:
    """The mail `read()` yields, read once to sign it: its signatures and what DATA needs.

    The same signatures `sign_message` would put in front (dkim.StreamSigner), with only the
    header section in memory. Blocking, like `sign_message`. What reading raises (the vault's
    VaultCorrupt, FileNotFoundError) is raised, so a damaged blob is found before anything
    is sent; a signing failure sends unsigned and warns, as `sign_message` does.
    """
    signer = StreamSigner()
    eight_bit, size = False, 0
    for piece in read():
        signer.update(piece)
        eight_bit = eight_bit or not piece.isascii()
        size += len(piece)
    signatures = _with_keys(rt, signer.prefix, signer.signatures) or b""
    headers = header_block(signatures + signer.prefix)
    return StreamedMail(signatures, read, headers, eight_bit, size)


def _with_keys(
    rt: Runtime, headers: bytes, make: Callable[[Sequence[DkimKey], float], bytes]
) -> bytes | None:
    """`make(keys, now)` with the keys of the From: domain of `headers` (a message or its
    header section); None when the mail leaves unsigned. Never raises."""
    domain: str | None = None
    try:
        domain = signing_domain(headers)
        if domain is None:
            return None
        keys = signing_keys(rt).get(domain, lambda name: _load_keys(rt, name))
        return make(keys, time.time()) if keys else None
    except Exception as error:  # noqa: BLE001 - DKIM must never stop a delivery
        # The type only: a database error's text can carry row values.
        log.warning(
            "DKIM signing for %s failed (%s); sending unsigned", domain, type(error).__name__
        )
        return None


async def sign_outbound(rt: Runtime, message: bytes) -> bytes:
    """`sign_message` in a worker thread, for the event loop of the delivery worker."""
    return await asyncio.to_thread(sign_message, rt, message)


async def sign_outbound_streamed(rt: Runtime, read: Callable[[], Iterable[bytes]]) -> StreamedMail:
    """`sign_streamed` in a worker thread, for the event loop of the delivery worker."""
    return await asyncio.to_thread(sign_streamed, rt, read)
