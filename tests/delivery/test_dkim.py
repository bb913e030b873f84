"""DKIM signing: what sealgate signs verifies with dkimpy against the record it publishes."""

from __future__ import annotations

import hashlib
import itertools
import random
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import dkim  # type: ignore[import-untyped]
import pytest

from sealgate.delivery.dkim import (
    SIGNED_HEADERS,
    DkimKey,
    StreamSigner,
    _BodyHash,
    _relaxed_body,
    dns_record,
    generate_key,
    key_from_pem,
    sign,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "dkim"

# The signature's t=; dkimpy refuses one from the future.
NOW = time.time()

MESSAGE = (
    b"From: Alice Arts <alice@hospital.example>\r\n"
    b"To: bob@example.net\r\n"
    b"Subject: You have a secure message\r\n"
    b"Date: Wed, 25 Nov 2026 15:00:00 +0000\r\n"
    b"Message-ID: <n1@hospital.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Auto-Submitted: auto-generated\r\n"
    b"\r\n"
    b"Open it at https://sealgate.example/m/token\r\n"
)

DnsFunc = Callable[..., bytes]


def dns_of(records: Mapping[str, str]) -> DnsFunc:
    """dkimpy's key lookup hook, answering from TXT records (name without the final dot)."""

    def lookup(name: bytes, timeout: int = 5) -> bytes:
        return records[name.decode("ascii").rstrip(".")].encode("ascii")

    return lookup


def published(*keys: DkimKey) -> DnsFunc:
    return dns_of(dict(dns_record(key) for key in keys))


def verifies(message: bytes, dnsfunc: DnsFunc, index: int = 0) -> bool:
    """dkimpy's verdict on the index-th signature; its exceptions (bad body hash...) are a no."""
    try:
        return bool(dkim.DKIM(message).verify(idx=index, dnsfunc=dnsfunc))
    except dkim.DKIMException:
        return False


def signature_tags(message: bytes, index: int = 0) -> dict[bytes, bytes]:
    signatures = [v for n, v in dkim.DKIM(message).headers if n.lower() == b"dkim-signature"]
    tags: dict[bytes, bytes] = dkim.util.parse_tag_value(signatures[index])
    return tags


@pytest.fixture(scope="module")
def ed_key() -> DkimKey:
    return generate_key("hospital.example", "ed2026", "ed25519")


@pytest.fixture(scope="module")
def rsa_key() -> DkimKey:
    return generate_key("hospital.example", "rsa2026", "rsa")


def test_dns_record_names_the_selector_and_publishes_the_public_key(
    ed_key: DkimKey, rsa_key: DkimKey
) -> None:
    name, value = dns_record(ed_key)
    assert name == "ed2026._domainkey.hospital.example"
    assert value.startswith("v=DKIM1; k=ed25519; p=")
    assert len(value.removeprefix("v=DKIM1; k=ed25519; p=")) == 44  # 32 raw bytes, RFC 8463
    name, value = dns_record(rsa_key)
    assert name == "rsa2026._domainkey.hospital.example"
    assert value.startswith("v=DKIM1; k=rsa; p=MIIBIjAN")  # DER SubjectPublicKeyInfo, 2048 bits


def test_names_are_normalised_and_non_dns_names_refused(ed_key: DkimKey) -> None:
    key = key_from_pem("Hospital.Example.", "ED2026", ed_key.private_key_pem)
    assert dns_record(key) == dns_record(ed_key)
    with pytest.raises(ValueError):
        generate_key("hospital.example", "bad selector", "ed25519")
    with pytest.raises(ValueError):
        generate_key("ziekenhuis-ü.example", "s", "ed25519")


@pytest.mark.parametrize("algorithm", ["ed25519", "rsa"])
def test_signature_verifies_with_the_published_record(algorithm: str) -> None:
    key = generate_key("hospital.example", "s1", algorithm)  # type: ignore[arg-type]
    signed = sign(MESSAGE, [key], NOW)
    assert signed.endswith(MESSAGE)
    assert verifies(signed, published(key))
    tags = signature_tags(signed)
    assert tags[b"a"] == {"ed25519": b"ed25519-sha256", "rsa": b"rsa-sha256"}[algorithm]
    assert tags[b"c"] == b"relaxed/relaxed"
    assert tags[b"d"] == b"hospital.example"
    assert tags[b"s"] == b"s1"
    assert b"x" not in tags
    signed_headers = [h.strip() for h in tags[b"h"].split(b":")]
    assert signed_headers == [h.lower().encode() for h in SIGNED_HEADERS]


def test_tampered_body_fails(ed_key: DkimKey, rsa_key: DkimKey) -> None:
    signed = sign(MESSAGE, [ed_key, rsa_key], NOW)
    tampered = signed.replace(b"/m/token", b"/m/phish")
    assert not verifies(tampered, published(ed_key, rsa_key), 0)
    assert not verifies(tampered, published(ed_key, rsa_key), 1)


def test_tampered_or_added_signed_header_fails(ed_key: DkimKey) -> None:
    signed = sign(MESSAGE, [ed_key], NOW)
    dns = published(ed_key)
    assert not verifies(signed.replace(b"Subject: You", b"Subject: Urgent: you"), dns)
    # Reply-To is signed although absent, so it cannot be added afterwards.
    added = signed.replace(b"\r\n\r\n", b"\r\nReply-To: thief@evil.example\r\n\r\n", 1)
    assert not verifies(added, dns)


def test_relaxed_canonicalisation_survives_refolding_and_line_ends(ed_key: DkimKey) -> None:
    signed = sign(MESSAGE, [ed_key], NOW)
    refolded = signed.replace(b"Subject: You have", b"Subject:   You\r\n\thave").replace(
        b"/m/token\r\n", b"/m/token   \r\n\r\n"
    )
    assert verifies(refolded, published(ed_key))
    lf_signed = sign(MESSAGE.replace(b"\r\n", b"\n"), [ed_key], NOW)
    assert b"\r\n" not in lf_signed
    assert verifies(lf_signed, published(ed_key))


def test_wrong_published_key_fails(ed_key: DkimKey) -> None:
    other = generate_key("hospital.example", "ed2026", "ed25519")
    assert not verifies(sign(MESSAGE, [ed_key], NOW), published(other))


def test_dual_signature_both_verify(ed_key: DkimKey, rsa_key: DkimKey) -> None:
    signed = sign(MESSAGE, [ed_key, rsa_key], NOW)
    dns = published(ed_key, rsa_key)
    assert signature_tags(signed, 0)[b"a"] == b"ed25519-sha256"
    assert signature_tags(signed, 1)[b"a"] == b"rsa-sha256"
    assert verifies(signed, dns, 0)
    assert verifies(signed, dns, 1)
    assert dkim.verify(signed, dnsfunc=dns)  # dkimpy's top-level check: the topmost signature


def test_no_keys_leaves_the_message_unchanged() -> None:
    assert sign(MESSAGE, [], NOW) == MESSAGE


@pytest.mark.parametrize("algorithm", ["ed25519", "rsa"])
def test_key_round_trips_through_its_pem(algorithm: str) -> None:
    key = generate_key("hospital.example", "s1", algorithm)  # type: ignore[arg-type]
    assert key_from_pem(key.domain, key.selector, key.private_key_pem) == key


def test_weak_rsa_key_refused() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError, match="too weak"):
        key_from_pem("hospital.example", "s1", weak)


# --- Published example material (RFC 6376 appendix A message, dkimpy's test data) ---------


def vector(name: str) -> bytes:
    path = VECTORS / name
    if not path.exists():
        pytest.skip(f"DKIM test vector {path} is absent")
    return path.read_bytes()


def vector_rsa_dns() -> DnsFunc:
    """dkimpy's test key (test.txt) as `test._domainkey.football.example.com`, as its tests do."""
    record = vector("test.txt").decode("ascii").strip()
    return dns_of({"test._domainkey.football.example.com": record})


def test_vector_rsa_signed_rfc6376_message_verifies() -> None:
    signed = vector("rfc6376.signed.rsa.msg")
    assert verifies(signed, vector_rsa_dns())
    assert not verifies(signed.replace(b"hungry", b"angry"), vector_rsa_dns())


def test_vector_dual_signed_rfc6376_message_rsa_signature_verifies() -> None:
    signed = vector("rfc6376.signed.msg")
    assert signature_tags(signed, 1)[b"s"] == b"test"
    assert verifies(signed, vector_rsa_dns(), 1)


def test_vector_dual_signed_rfc6376_message_ed25519_signature() -> None:
    signed = vector("rfc6376.signed.msg")
    assert signature_tags(signed, 0)[b"s"] == b"brisbane"
    assert verifies(signed, vector_ed25519_dns(), 0)
    assert not verifies(signed.replace(b"hungry", b"angry"), vector_ed25519_dns(), 0)


# RFC 8463 appendix A.2: the ed25519 test key (it is RFC 8032's test 1 key) and its record.
RFC8463_PRIVATE_SEED = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
RFC8463_RECORD = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="


def vector_ed25519_dns() -> DnsFunc:
    return dns_of({"brisbane._domainkey.football.example.com": RFC8463_RECORD})


def rfc8463_key() -> DkimKey:
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = ed25519.Ed25519PrivateKey.from_private_bytes(base64.b64decode(RFC8463_PRIVATE_SEED))
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_from_pem("football.example.com", "brisbane", pem)


def test_rfc8463_key_publishes_the_rfc_record() -> None:
    assert dns_record(rfc8463_key()) == (
        "brisbane._domainkey.football.example.com",
        RFC8463_RECORD,
    )


def test_rfc8463_message_signed_here_verifies_with_the_rfc_record() -> None:
    # RFC 8463 A.3 signs RFC 6376's example message with this key; our signature over it
    # (relaxed/relaxed, our own t=) must verify against the RFC's published record.
    signed = sign(vector("rfc6376.msg"), [rfc8463_key()], now=1528637909)
    assert signature_tags(signed)[b"t"] == b"1528637909"
    assert verifies(signed, vector_ed25519_dns())


@pytest.mark.parametrize("name", ["rfc6376.msg", "test.message"])
def test_vector_messages_sign_and_verify(name: str, ed_key: DkimKey, rsa_key: DkimKey) -> None:
    message = vector(name)
    signed = sign(message, [ed_key, rsa_key], NOW)
    dns = published(ed_key, rsa_key)
    assert verifies(signed, dns, 0)
    assert verifies(signed, dns, 1)


def test_a_key_is_parsed_once_not_per_message(ed_key: DkimKey, rsa_key: DkimKey) -> None:
    from sealgate.delivery import dkim as dkim_module

    sign(MESSAGE, [ed_key, rsa_key], NOW)
    before = dkim_module._private_key.cache_info()
    for _ in range(5):
        sign(MESSAGE, [ed_key, rsa_key], NOW)
    after = dkim_module._private_key.cache_info()
    assert after.misses == before.misses
    assert after.hits == before.hits + 10


@pytest.mark.parametrize(
    "message",
    [
        # Empty body, with and without the blank line.
        b"From: a@hospital.example\r\nSubject: x\r\n\r\n",
        b"From: a@hospital.example\r\nSubject: x\r\n",
        # Trailing whitespace, runs of WSP, empty lines at the end, a last line without CRLF.
        b"From: a@hospital.example\r\n\r\n a  b \t\r\n\t\r\nc\t d  \r\n\r\n\r\n",
        b"From: a@hospital.example\r\n\r\nlast line",
        # Folded headers, WSP around the colon's value, a header signed twice over.
        b"From:   a@hospital.example  \r\nSubject: one\r\n  two\r\n\tthree\r\n"
        b"To: x@example.net\r\nTo: y@example.net\r\n\r\nbody\r\n",
        # Bare LF line ends throughout.
        b"From: a@hospital.example\nSubject: lf\n\nline one  \nline two\n\n",
    ],
)
def test_canonicalisation_agrees_with_dkimpy(
    message: bytes, ed_key: DkimKey, rsa_key: DkimKey
) -> None:
    signed = sign(message, [ed_key, rsa_key], NOW)
    dns = published(ed_key, rsa_key)
    assert verifies(signed, dns, 0)
    assert verifies(signed, dns, 1)


def test_a_header_section_that_is_not_fields_is_refused(ed_key: DkimKey) -> None:
    with pytest.raises(ValueError):
        sign(b"not a header line\r\n\r\nbody\r\n", [ed_key], NOW)


# The streamed signer (a direct mail read from the vault) against the whole-message signer.

STREAM_MESSAGES = {
    "notification": MESSAGE,
    "line ending in dots": b"From: a@hospital.example\r\n\r\nwait for it...\r\n.\r\n..\r\n",
    "lines starting with a dot": b"From: a@hospital.example\r\n\r\n.hidden\r\n..two\r\n. x\r\n",
    "bare LF": b"From: a@hospital.example\nSubject: lf\n\nline one  \nline two\n\n\n",
    "mixed line ends": b"From: a@hospital.example\r\nSubject: mixed\n\r\none\ntwo\r\n\nthree\r\n",
    "no final CRLF": b"From: a@hospital.example\r\n\r\nfirst\r\nlast line",
    "no final CRLF, trailing WSP": b"From: a@hospital.example\r\n\r\nlast line \t ",
    "empty body": b"From: a@hospital.example\r\nSubject: x\r\n\r\n",
    "no body at all": b"From: a@hospital.example\r\nSubject: x\r\n",
    "only empty lines": b"From: a@hospital.example\r\n\r\n\r\n\r\n\r\n",
    "empty lines then text": b"From: a@hospital.example\r\n\r\n\r\n\r\ntext\r\n\r\n",
    "WSP runs and trailing WSP": (
        b"From: a@hospital.example\r\n\r\n a  b \t\r\n\t\r\nc\t d  \r\n \r\n\t\t\r\n"
    ),
    "8-bit": "From: Zoë <a@hospital.example>\r\nSubject: Grüße\r\n\r\nÄrzte  €\r\n".encode(),
    "lone CR": b"From: a@hospital.example\r\n\r\na\rb\r\r\n\r\r\nc \r\n\r",
    "folded headers": (
        b"From:   a@hospital.example  \r\nSubject: one\r\n  two\r\n\tthree\r\n"
        b"To: x@example.net\r\nTo: y@example.net\r\n\r\nbody\r\n"
    ),
    "a long line of WSP": b"From: a@hospital.example\r\n\r\nx" + b" \t" * 70_000 + b"\r\ny",
    "a line longer than the signer holds": (
        b"From: a@hospital.example\r\n\r\n" + b"ab \t" * 40_000 + b"  \r\nend \r\n" + b"x" * 70_000
    ),
}


def _cut(message: bytes, size: int) -> list[bytes]:
    return [message[i : i + size] for i in range(0, len(message), size)] or [b""]


def _streamed(pieces: list[bytes], keys: list[DkimKey]) -> tuple[bytes, bytes]:
    signer = StreamSigner()
    for piece in pieces:
        signer.update(piece)
    return signer.signatures(keys, NOW), signer.prefix


@pytest.mark.parametrize("name", sorted(STREAM_MESSAGES))
@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 65536, 1 << 30])
def test_the_streamed_signer_makes_the_same_signatures_as_the_whole_message_signer(
    name: str, size: int, ed_key: DkimKey, rsa_key: DkimKey
) -> None:
    message = STREAM_MESSAGES[name]
    signatures, prefix = _streamed(_cut(message, size), [ed_key, rsa_key])
    assert signatures + message == sign(message, [ed_key, rsa_key], NOW)
    assert message.startswith(prefix)
    assert b"DKIM-Signature: " in signatures


@pytest.mark.parametrize("name", sorted(STREAM_MESSAGES))
def test_streamed_signatures_verify_with_dkimpy(
    name: str, ed_key: DkimKey, rsa_key: DkimKey
) -> None:
    message = STREAM_MESSAGES[name]
    signatures, _ = _streamed(_cut(message, 5), [ed_key, rsa_key])
    dns = published(ed_key, rsa_key)
    assert verifies(signatures + message, dns, 0) and verifies(signatures + message, dns, 1)


def test_the_streamed_body_hash_agrees_on_random_bodies_cut_anywhere() -> None:
    rng = random.Random(13)
    alphabet = [b"a", b"b", b" ", b"\t", b"\r", b"\n", b"\r\n", b".", b"\xe9"]
    for _ in range(400):
        body = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        cuts = sorted(rng.sample(range(len(body) + 1), min(len(body) + 1, rng.randrange(0, 6))))
        hasher = _BodyHash()
        for start, end in itertools.pairwise([0, *cuts, len(body)]):
            hasher.update(body[start:end])
        assert hasher.digest() == hashlib.sha256(_relaxed_body(body)).digest(), body


def test_the_streamed_signer_keeps_the_header_section_only(ed_key: DkimKey) -> None:
    head = b"From: a@hospital.example\r\nSubject: big\r\n\r\n"
    signer = StreamSigner()
    signer.update(head[:-1])
    signer.update(head[-1:] + b"x" * 100_000)
    for _ in range(20):
        signer.update(b"y" * 65536 + b"\r\n")
    assert signer.prefix == head


def test_no_keys_give_no_streamed_signatures() -> None:
    signer = StreamSigner()
    signer.update(MESSAGE)
    assert signer.signatures([], NOW) == b""


def test_a_streamed_header_section_that_is_not_fields_is_refused(ed_key: DkimKey) -> None:
    signer = StreamSigner()
    signer.update(b"not a header line\r\n\r\nbody\r\n")
    with pytest.raises(ValueError):
        signer.signatures([ed_key], NOW)
