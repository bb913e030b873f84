"""argon2id hashing for passwords and generated credentials."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# A hash of a random value: verifying against it when the user is unknown costs the same time
# as a real check, so response time does not reveal which usernames exist.
_DUMMY = _HASHER.hash("sealgate-no-such-user")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _DUMMY, password) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False
