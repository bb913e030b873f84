"""Backup: a consistent copy of the database and the vault's blobs, and its restore.

Receives: a runtime (database + vault) and a backup folder.
Hands off: a folder with `manifest.json`, one JSON-lines file per table and the vault's blobs
as they are stored (ciphertext, copied byte for byte, never decrypted) — or, with blobs on
S3 and no `--with-blobs`, only their ids, sizes and sha256 in the manifest, the blobs left
in the bucket; on restore, that content back in a database (SQLite or PostgreSQL, whichever
the backup came from) and the configured blob store (filesystem or S3, either way round).
Trust: the backup holds no key. Its blobs and sealed rows open only with the master key that
wrapped them, which is kept apart (escrow), never in the backup: a stolen backup alone
yields addresses, hashes and metadata, never message content.
Refuses: a backup folder that is not new or empty; a restore over a database that holds rows
(without --force), of a backup altered after it was made (sha256 of every file), of a backup
whose blobs were left on S3 when one is missing from or altered in the store, of a backup
made under another master key, or at a schema revision newer than this code's.
"""

from sealgate.backup.manifest import BackupError, Manifest
from sealgate.backup.restore import Restored, restore_backup
from sealgate.backup.rotate import RotationReport, rotate_master_key
from sealgate.backup.take import take_backup

__all__ = [
    "BackupError",
    "Manifest",
    "Restored",
    "RotationReport",
    "restore_backup",
    "rotate_master_key",
    "take_backup",
]
