"""Take a backup: one read transaction for every table, then the blobs, then the manifest.

The blobs (see blobs.py for which) are listed once the tables are read, and read from the
store after the transaction ends: each is hashed and, when the backup holds blobs, copied.
A backup holds its blobs with the filesystem store always, and with S3 when asked
(`with_blobs`); without, the manifest lists each blob's id, size and sha256 and the blobs
stay in the bucket, which a restore then checks.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Connection, Table

from sealgate.backup.blobs import (
    CLOCK_SLACK,
    FILESYSTEM,
    back_up_blob,
    describe_store,
    listed_blobs,
    listing_bound,
)
from sealgate.backup.manifest import (
    MANIFEST,
    BackupError,
    HashingWriter,
    Manifest,
    TableEntry,
    fsync_folder,
    private_file,
    private_folder,
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

# The columns that name a vault blob ("" when a queued mail is sealed in its row instead).
BLOB_COLUMNS = {"submissions": "blob_id", "messages": "content_blob_id", "outbound_jobs": "blob_id"}
# Blobs retention committed to deleting: no row of the snapshot needs them any more.
DELETING = ("retention_blobs", "blob_id")


def prepare_folder(folder: Path, with_blobs: bool) -> None:
    """The backup folder, new or empty, made private (0700) with its sub-folders."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} is not a new or empty folder")
    private_folder(folder)
    private_folder(folder / "tables")
    if with_blobs:
        private_folder(folder / "blobs")


def _dump_table(
    connection: Connection, table: Table, folder: Path, referenced: set[str], deleting: set[str]
) -> TableEntry:
    name = f"tables/{table.name}.jsonl"
    writer = HashingWriter(folder / name)
    blob_column = BLOB_COLUMNS.get(table.name)
    deleting_column = DELETING[1] if table.name == DELETING[0] else None
    rows = 0
    try:
        for row in dump_rows(connection, table):
            writer.write(json.dumps(row, sort_keys=True).encode() + b"\n")
            rows += 1
            if blob_column and row.get(blob_column):
                referenced.add(row[blob_column])
            if deleting_column:
                deleting.add(row[deleting_column])
    finally:
        digest = writer.close()
    return TableEntry(table.name, rows, name, digest, table_kinds(table))


def take_backup(
    rt: Runtime, folder: Path, *, with_blobs: bool = False, clock_slack: timedelta = CLOCK_SLACK
) -> Manifest:
    """Write a backup of `rt`'s database and blobs to `folder` (new or empty). The blobs are
    copied with the filesystem store, and with S3 only when `with_blobs`."""
    store = rt.vault.store
    where = describe_store(store)
    with_blobs = with_blobs or where == FILESYSTEM
    prepare_folder(folder, with_blobs)
    referenced: set[str] = set()
    deleting: set[str] = set()
    with read_snapshot(rt.db) as connection:
        # The first read establishes the snapshot: only then is the store asked its time.
        revision = database_revision(connection)
        if revision is None:
            raise BackupError("the database has no schema; nothing to back up")
        not_after = listing_bound(store, clock_slack)
        tables = [
            _dump_table(connection, table, folder, referenced, deleting)
            for table in reflect(connection)
        ]
    # Each blob a row names was written before the row's commit, so it is listed here,
    # unless deleted since (then it is reported as missing).
    blob_ids = listed_blobs(store, not_after, deleting)
    target = folder if with_blobs else None
    blobs = [entry for b in blob_ids if (entry := back_up_blob(store, b, target)) is not None]
    if with_blobs:
        for sub in (*sorted((folder / "blobs").iterdir()), folder / "blobs"):
            fsync_folder(sub)
    fsync_folder(folder / "tables")
    listed = {entry.id for entry in blobs}
    manifest = Manifest(
        created_at=utcnow().isoformat(timespec="seconds") + "Z",
        revision=revision,
        dialect=rt.db.engine.dialect.name,
        master_key_id=rt.vault.master.key_id.hex(),
        tables=tables,
        blobs=blobs,
        missing_blobs=sorted(referenced - listed - deleting),
        blob_store=where,
        blobs_included=with_blobs,
    )
    with private_file(folder / MANIFEST) as handle:
        handle.write(manifest.to_json().encode())
        handle.flush()
        os.fsync(handle.fileno())
    fsync_folder(folder)
    return manifest
