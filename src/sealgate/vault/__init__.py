"""Vault: envelope encryption of message content, over a blob store.

Receives: plaintext byte streams (raw submissions, readable parts, attachments, rendered mails).
Hands off: an opaque blob id; reading it back streams the plaintext, segment by segment.
Trust: holds the master key in memory. Every blob has its own random AES-256-GCM data key,
wrapped by the master key and kept in the blob's header; a truncated or altered blob fails to
decrypt rather than returning partial content.
"""

from sealgate.vault.blobs import BlobStore, FilesystemBlobStore, ListedBlobStore, StoredBlob
from sealgate.vault.envelope import HEADER, MasterKey, VaultCorrupt, key_id_of
from sealgate.vault.recording import RecordingVault
from sealgate.vault.rotation import KeyRotation, RotationError
from sealgate.vault.stores import open_blob_store
from sealgate.vault.vault import Vault, load_master_key, load_pending_keys
from sealgate.vault.writer import BlobWriter, BlobWriterClosed

__all__ = [
    "open_blob_store",
    "HEADER",
    "BlobStore",
    "BlobWriter",
    "BlobWriterClosed",
    "FilesystemBlobStore",
    "KeyRotation",
    "ListedBlobStore",
    "MasterKey",
    "RecordingVault",
    "RotationError",
    "StoredBlob",
    "Vault",
    "VaultCorrupt",
    "key_id_of",
    "load_master_key",
    "load_pending_keys",
]
