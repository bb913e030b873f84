"""Secret tokens for links and sessions: 256 random bits out, SHA-256 kept."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """A (token, hash) pair; only the hash is stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
