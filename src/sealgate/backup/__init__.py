"""Backup: a consistent copy of the database and the vault's blobs, and its restore.

Receives: a runtime (database + vault) and a backup folder.
Hands off: a folder with `manifest.json`, one JSON-lines file per table and the vault's blobs
as they are stored (ciphertext, copied byte for byte, never decrypted); or, on restore, that
content back in a database (SQLite or PostgreSQL, whichever the backup came from) and store.
Trust: the backup holds no key. Its blobs and sealed rows open only with the master key that
wrapped them, which is kept apart (escrow), never in the backup: a stolen backup alone
yields addresses, hashes and metadata, never message content.
Refuses: a backup folder that is not new or empty; a restore over a database that holds rows
(without --force), of a backup altered after it was made (sha256 of every file), made under
another master key, or at a schema revision newer than this code's.
"""

from sealgate.backup.manifest import BackupError, Manifest
from sealgate.backup.restore import restore_backup
from sealgate.backup.rotate import RotationReport, rotate_master_key
from sealgate.backup.take import take_backup

__all__ = [
    "BackupError",
    "Manifest",
    "RotationReport",
    "restore_backup",
    "rotate_master_key",
    "take_backup",
]
