"""Restore a backup: check all of it, put the blobs in place, then load every row at once.

Order, so that a failure leaves nothing half-done that a gateway would serve:
1. check: the manifest, its revision (known to this code), its master key (the one in
   use), the sha256 and size of every table file and blob file. Nothing is written before.
2. the database must hold no rows, unless `force` (then its rows are replaced).
3. a backup that holds its blobs writes them into the configured store, whichever it is
   (a file written to a temporary name, fsynced, renamed; an S3 object uploaded part by
   part), hashed again on the way: a file changed since step 1 stops the restore before any
   row. A backup that left its blobs on S3 instead has each listed blob read back from the
   configured store and hashed: one missing or altered stops the restore, naming it, before
   any row (and nothing is written to the store).
4. the schema is built at the backup's revision (a forced restore over another revision
   drops the old tables first); every row is loaded in one transaction, parents first.
5. the schema is migrated to this code's head.
A failure in 4 rolls the rows back: the database is empty, the blobs are orphans.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, delete

from sealgate.backup.blobs import check_in_store, copy_into_store, describe_store
from sealgate.backup.manifest import (
    MANIFEST,
    BackupError,
    Manifest,
    blob_file,
    file_digest,
    read_chunks,
)
from sealgate.bootstrap import Runtime
from sealgate.store import (
    code_revisions,
    count_rows,
    database_revision,
    drop_schema,
    load_rows,
    reflect,
    reset_sequences,
    upgrade_schema,
)
from sealgate.vault import HEADER, key_id_of


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} holds no {MANIFEST}: not a backup, or an unfinished one")
    return Manifest.from_json(path.read_text())


def _check_file(folder: Path, relative: str, size: int | None, sha256: str) -> None:
    path = folder / relative
    try:
        with open(path, "rb") as handle:
            actual_size, actual = file_digest(read_chunks(handle))
    except FileNotFoundError:
        raise BackupError(f"backup file {relative} is missing") from None
    if actual != sha256 or (size is not None and actual_size != size):
        raise BackupError(f"backup file {relative} does not match the manifest (altered?)")


def check_backup(folder: Path, manifest: Manifest, key_ids: set[str]) -> None:
    """Everything a restore relies on, before it writes anything; BackupError if not so."""
    known = code_revisions()
    if manifest.revision not in known:
        raise BackupError(
            f"backup is at schema revision {manifest.revision}, which this sealgate does not"
            f" know (its newest is {known[-1]}): restore it with a newer sealgate"
        )
    if manifest.master_key_id not in key_ids:
        raise BackupError(
            f"backup was made under master key {manifest.master_key_id}; the key in use is"
            f" {', '.join(sorted(key_ids))}: configure the key the backup was made with"
        )
    for table in manifest.tables:
        _check_file(folder, table.file, None, table.sha256)
    for blob in manifest.blobs if manifest.blobs_included else ():
        relative = blob_file(Path(), blob.id).as_posix()
        _check_file(folder, relative, blob.size, blob.sha256)
        with open(folder / relative, "rb") as handle:
            if key_id_of(handle.read(HEADER)).hex() not in key_ids:
                raise BackupError(f"backup blob {blob.id} is wrapped by another master key")


def _rows_in_database(connection: Connection) -> int:
    if database_revision(connection) is None:
        return 0
    return count_rows(connection, reflect(connection))


def _load(connection: Connection, folder: Path, manifest: Manifest) -> None:
    """Every row of the backup in place of what the tables hold: the rows `--force` replaces,
    or only what the migrations wrote (audit_head's row, whose backed-up copy wins)."""
    tables = {table.name: table for table in reflect(connection)}
    unknown = [entry.name for entry in manifest.tables if entry.name not in tables]
    if unknown:
        raise BackupError(f"table {unknown[0]} of the backup is not in the schema")
    for table in reversed(list(tables.values())):
        connection.execute(delete(table))
    # The manifest lists tables parents first, the order in which they were reflected.
    for entry in manifest.tables:
        with open(folder / entry.file, encoding="utf-8") as lines:
            loaded = load_rows(connection, tables[entry.name], entry.columns, lines)
        if loaded != entry.rows:
            raise BackupError(f"table {entry.name}: {loaded} rows, the manifest says {entry.rows}")
    reset_sequences(connection, tables.values())


@dataclass(frozen=True)
class Restored:
    """What a restore did: the backup's manifest, the rows it replaced (`force`), where the
    blobs are now, and how many it wrote there or, for a backup without blobs, checked."""

    manifest: Manifest
    replaced_rows: int
    blob_store: str
    blobs_written: int
    blobs_checked: int


def restore_backup(rt: Runtime, folder: Path, *, force: bool = False) -> Restored:
    """Restore `folder` into `rt`'s database and blob store (see the module docstring)."""
    store = rt.vault.store
    where = describe_store(store)
    manifest = read_manifest(folder)
    key_ids = {key.key_id.hex() for key in rt.vault.key_ring()}
    check_backup(folder, manifest, key_ids)
    engine = rt.db.engine
    with engine.connect() as connection:
        current = database_revision(connection)
        rows = _rows_in_database(connection)
    if rows and not force:
        raise BackupError(f"the database holds {rows} rows; --force replaces them")
    written = checked = 0
    if manifest.blobs_included:
        written = copy_into_store(folder, manifest, store)
    else:
        check_in_store(store, manifest, key_ids)
        checked = len(manifest.blobs)
    if current is not None and current != manifest.revision:
        with engine.begin() as connection:
            drop_schema(connection)
    upgrade_schema(engine, manifest.revision)
    with engine.begin() as connection:
        _load(connection, folder, manifest)
    upgrade_schema(engine, "head")
    return Restored(manifest, rows, where, written, checked)
