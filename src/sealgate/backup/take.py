"""Take a backup: one read transaction for every table, then the blobs, then the manifest.

Which blobs: every blob in the store once the tables are read. The rows name the raw
submissions, readable forms and queued mails; attachments are named only inside the
encrypted readable form, which a backup never decrypts. Every blob a row of the snapshot
needs was written before that row was committed, so it is in the store when the snapshot
is read: copying them all is a superset (a blob written since costs only space).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy import Connection, Table

from sealgate.backup.manifest import (
    MANIFEST,
    BackupError,
    BlobEntry,
    HashingWriter,
    Manifest,
    TableEntry,
    blob_file,
    fsync_folder,
    private_file,
    private_folder,
    read_chunks,
)
from sealgate.bootstrap import Runtime
from sealgate.store import (
    database_revision,
    dump_rows,
    read_snapshot,
    reflect,
    table_kinds,
    utcnow,
)
from sealgate.vault import FilesystemBlobStore

# The columns that name a vault blob ("" when a queued mail is sealed in its row instead).
BLOB_COLUMNS = {"submissions": "blob_id", "messages": "content_blob_id", "outbound_jobs": "blob_id"}


def prepare_folder(folder: Path) -> None:
    """The backup folder, new or empty, made private (0700) with its two sub-folders."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} is not a new or empty folder")
    private_folder(folder)
    private_folder(folder / "tables")
    private_folder(folder / "blobs")


def _dump_table(
    connection: Connection, table: Table, folder: Path, referenced: set[str]
) -> TableEntry:
    name = f"tables/{table.name}.jsonl"
    writer = HashingWriter(folder / name)
    blob_column = BLOB_COLUMNS.get(table.name)
    rows = 0
    try:
        for row in dump_rows(connection, table):
            writer.write(json.dumps(row, sort_keys=True).encode() + b"\n")
            rows += 1
            if blob_column and row.get(blob_column):
                referenced.add(row[blob_column])
    finally:
        digest = writer.close()
    return TableEntry(table.name, rows, name, digest, table_kinds(table))


def _copy_blob(store: FilesystemBlobStore, blob_id: str, folder: Path) -> BlobEntry | None:
    """Copy one blob's stored bytes; None when it vanished (a failed write's clean-up)."""
    target = blob_file(folder, blob_id)
    target.parent.mkdir(mode=0o700, exist_ok=True)
    try:
        source = store.open(blob_id)
    except FileNotFoundError:
        return None
    writer = HashingWriter(target)
    with source:
        for chunk in read_chunks(source):
            writer.write(chunk)
    return BlobEntry(blob_id, writer.size, writer.close())


def take_backup(rt: Runtime, folder: Path) -> Manifest:
    """Write a backup of `rt`'s database and blobs to `folder` (new or empty)."""
    store = rt.vault.store
    if not isinstance(store, FilesystemBlobStore):
        raise BackupError(
            "backup copies blobs from the filesystem blob store only; with blobs on S3"
            " ([storage] blob_url), back the bucket up with the store's own tools"
            " (versioning, replication) and the database with its own (pg_dump)"
        )
    prepare_folder(folder)
    referenced: set[str] = set()
    with read_snapshot(rt.db) as connection:
        revision = database_revision(connection)
        if revision is None:
            raise BackupError("the database has no schema; nothing to back up")
        tables = [_dump_table(connection, t, folder, referenced) for t in reflect(connection)]
        # Listed once the rows are read: each blob a row names was written before the row's
        # commit, so it is here, unless deleted since (then it is reported as missing).
        blob_ids = list(store.ids())
    blobs = [entry for b in blob_ids if (entry := _copy_blob(store, b, folder)) is not None]
    for sub in (folder / "tables", *sorted((folder / "blobs").iterdir()), folder / "blobs"):
        fsync_folder(sub)
    copied = {entry.id for entry in blobs}
    manifest = Manifest(
        created_at=utcnow().isoformat(timespec="seconds") + "Z",
        revision=revision,
        dialect=rt.db.engine.dialect.name,
        master_key_id=rt.vault.master.key_id.hex(),
        tables=tables,
        blobs=blobs,
        missing_blobs=sorted(referenced - copied),
    )
    with private_file(folder / MANIFEST) as handle:
        handle.write(manifest.to_json().encode())
        handle.flush()
        os.fsync(handle.fileno())
    fsync_folder(folder)
    return manifest
