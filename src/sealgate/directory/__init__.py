"""Directory: organisations, their domains, accounts and SMTP credentials (queries over store).

Receives: admin commands (CLI) and look-ups from submission, intake and portal.
Hands off: plain values (`AccountInfo`, `CredentialInfo`), never ORM rows, to other stages.
Trust: verifies passwords against argon2 hashes; never stores or logs a password.
"""

from sealgate.directory.accounts import (
    AccountInfo,
    add_account,
    disable_account,
    find_account,
    find_active_account,
)
from sealgate.directory.credentials import (
    CredentialInfo,
    create_credential,
    disable_credential,
    verify_credential,
)
from sealgate.directory.errors import DirectoryError
from sealgate.directory.orgs import OrgInfo, create_org, find_org
from sealgate.directory.passwords import hash_password, verify_password

__all__ = [
    "AccountInfo",
    "CredentialInfo",
    "DirectoryError",
    "OrgInfo",
    "add_account",
    "create_credential",
    "create_org",
    "disable_account",
    "disable_credential",
    "find_account",
    "find_active_account",
    "find_org",
    "hash_password",
    "verify_credential",
    "verify_password",
]
