"""DKIM signing of outbound mail, so receivers can tell sealgate's mail from forgeries (pure).

Every mail sealgate sends (notifications, code mails, direct deliveries, DSNs) carries a link
or a code that a phisher would like to imitate. A DKIM signature per sending domain lets the
recipient's server check that the mail left a gateway holding the domain's key, and lets
DMARC act on mail that did not. A domain may have two keys at once: ed25519 (RFC 8463, small
and fast, but not yet verified everywhere) and rsa-sha256 (RFC 6376, understood by every
verifier); `sign` adds one signature per key so each receiver finds one it can check.

The cryptography and the header canonicalisation are dkimpy's; this module only chooses the
parameters (relaxed/relaxed, which headers are signed) and keeps the key formats straight:
- `DkimKey.private_key_pem` is always PEM: PKCS#8 for ed25519, PKCS#1 ("RSA PRIVATE KEY") for
  rsa, the form dkimpy's own RSA parser reads. dkimpy wants an ed25519 key as the base64 of the
  raw 32-byte private key (the RFC 8032 seed, pynacl's SigningKey); `sign` converts.
- The public `p=` value is the base64 of the raw 32-byte key for ed25519 (RFC 8463 section 4)
  and of the DER SubjectPublicKeyInfo for rsa (RFC 6376 section 3.6.1).

Pure: no DNS, no files. The one impurity is dkimpy's: it reads the clock for the signature's
`t=` tag (time.time()). No `x=` expiry is set.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import dkim  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

Algorithm = Literal["ed25519", "rsa"]

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
CANONICALISATION = (b"relaxed", b"relaxed")

SIGNATURE_ALGORITHMS: dict[str, bytes] = {"ed25519": b"ed25519-sha256", "rsa": b"rsa-sha256"}

# RFC 8301 §3.2: signers SHOULD use at least 2048 bits; shorter keys are refused, not used.
RSA_BITS = 2048

# A selector or domain is a dot-separated list of LDH labels (ASCII; an IDN domain must be
# given as its A-label, xn--...). dkimpy works on bytes and puts both straight into DNS names.
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
    storing. rsa keys are re-serialised as PKCS#1, the only form dkimpy reads.
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


def sign(message: bytes, keys: Sequence[DkimKey]) -> bytes:
    """`message` with one DKIM-Signature header per key in front, the first key's on top.

    Each signature covers the message as given (DKIM-Signature is not a signed header), so
    the order of the keys does not change what is signed. The message may use CRLF or LF line
    ends; the signature headers use the same. Reads the clock (dkimpy's `t=`).
    """
    linesep = b"\r\n" if b"\r\n" in message else b"\n"
    signatures = [
        dkim.sign(
            message,
            key.selector.encode("ascii"),
            key.domain.encode("ascii"),
            _dkimpy_private_key(key),
            canonicalize=CANONICALISATION,
            signature_algorithm=SIGNATURE_ALGORITHMS[key.algorithm],
            include_headers=[name.encode("ascii") for name in SIGNED_HEADERS],
            linesep=linesep,
        )
        for key in keys
    ]
    return b"".join(bytes(signature) for signature in signatures) + message


def _dkimpy_private_key(key: DkimKey) -> bytes:
    """The private key in the form dkimpy's signer takes for the key's algorithm."""
    if key.algorithm == "rsa":
        return key.private_key_pem
    private = serialization.load_pem_private_key(key.private_key_pem, password=None)
    if not isinstance(private, ed25519.Ed25519PrivateKey):
        raise ValueError("DkimKey says ed25519 but holds another key type")
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw)


def _record(algorithm: Algorithm, public_key: bytes) -> str:
    return f"v=DKIM1; k={algorithm}; p={base64.b64encode(public_key).decode('ascii')}"


def _normalised_name(name: str, what: str) -> str:
    name = name.strip().rstrip(".").lower()
    if not LABELS.match(name):
        raise ValueError(f"DKIM {what} {name!r} is not an ASCII DNS name")
    return name
