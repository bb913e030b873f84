"""Fixtures for intake: a real vault in a temporary folder, and a way to queue a submission."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from sealgate.bootstrap import Runtime
from sealgate.directory import find_account
from sealgate.store import Submission, new_id, utcnow
from sealgate.vault import FilesystemBlobStore, MasterKey, Vault
from tests.conftest import Sender


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault(MasterKey(secrets.token_bytes(32)), FilesystemBlobStore(tmp_path / "blobs"))


Submit = Callable[..., str]


@pytest.fixture
def submit(runtime: Runtime, sender: Sender) -> Submit:
    """Store `raw` in the vault and add an `incoming` submission for it, as submission does."""

    def _submit(raw: bytes, rcpt_to: list[str], *, blob_id: str | None = None) -> str:
        blob_id = blob_id or runtime.vault.put_bytes(raw)
        with runtime.db.begin() as session:
            account = find_account(session, sender.address)
            assert account is not None
            submission = Submission(
                id=new_id(),
                org_id=account.org_id,
                account_id=account.id,
                mail_from=sender.address,
                rcpt_to=rcpt_to,
                blob_id=blob_id,
                size=len(raw),
                client_address="127.0.0.1",
                authenticated_as=sender.username,
                state="incoming",
                error="",
                received_at=utcnow(),
            )
            session.add(submission)
        return submission.id

    return _submit
