"""sealgate backup DIR / restore DIR / key rotate: keep the data safe, and the key apart.

`backup` writes a consistent snapshot of the database and a copy of the vault's blobs
(ciphertext) to a new or empty DIR — with blobs on S3, a manifest of them instead, unless
`--with-blobs`; `restore` puts one back (checking that the blobs a manifest lists are in the
bucket, unchanged, when the backup holds none); `key rotate` re-wraps every
data key under a new master key. None of them migrates the schema of a running install
(restore builds the schema of the database it fills). The master key is never written into
a backup, nor taken on the command line.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from sealgate.backup import BackupError, restore_backup, rotate_master_key, take_backup
from sealgate.bootstrap import Runtime, open_runtime
from sealgate.cli.common import CliError, common_options, emit, load_settings
from sealgate.vault import RotationError, VaultCorrupt

KEY_NOTE = (
    "the master key is NOT in the backup: keep it in escrow, apart from the backup;"
    " a restore needs it"
)

BUCKET_NOTE = (
    "the blobs are NOT in this backup, only listed: it restores only while the bucket still"
    " holds them unchanged; keep the bucket's object versions at least as long as the backup,"
    " or back up with --with-blobs"
)

ROTATE_NOTE = (
    "put the new master key in escrow now; backups made before this rotation still need the"
    " old key: keep it in escrow as long as you keep them. Restart every sealgate process"
)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    backup = commands.add_parser(
        "backup", parents=[common_options()], help="snapshot the database and blobs into DIR"
    )
    backup.add_argument("dir", metavar="DIR", help="a new or empty folder")
    backup.add_argument(
        "--with-blobs",
        action="store_true",
        help="with blobs on S3, copy them into DIR too (the filesystem store's always are)",
    )
    backup.set_defaults(run=run_backup)
    restore = commands.add_parser(
        "restore", parents=[common_options()], help="restore a backup made by 'sealgate backup'"
    )
    restore.add_argument("dir", metavar="DIR", help="the backup folder")
    restore.add_argument(
        "--force", action="store_true", help="replace the rows of a database that is not empty"
    )
    restore.set_defaults(run=run_restore)
    key = commands.add_parser("key", help="the master key")
    actions = key.add_subparsers(dest="action", required=True, metavar="ACTION")
    rotate = actions.add_parser(
        "rotate", parents=[common_options()], help="re-wrap every data key under a new master key"
    )
    rotate.set_defaults(run=run_rotate)


@contextmanager
def _runtime(args: argparse.Namespace, make_data_dir: bool = False) -> Iterator[Runtime]:
    """The runtime, never migrated; every failure below becomes one line."""
    settings = load_settings(args)
    try:
        if make_data_dir:
            settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            key_file = settings.data_dir / "master.key"
            if not settings.storage.master_key.get_secret_value() and not key_file.exists():
                raise CliError(
                    f"no master key at {key_file}: put there the key the backup was made"
                    " under (from escrow); restore never makes one"
                )
        rt = open_runtime(settings, migrate=False)
    except (OSError, ValueError, SQLAlchemyError) as exc:
        raise CliError(str(exc).splitlines()[0]) from None
    try:
        yield rt
    except (BackupError, RotationError, VaultCorrupt) as exc:
        raise CliError(str(exc)) from None
    except SQLAlchemyError as exc:
        raise CliError(f"database error: {str(exc).splitlines()[0]}") from None
    except OSError as exc:
        raise CliError(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None
    finally:
        rt.close()


def _table_lines(value: dict[str, Any]) -> str:
    return "\n".join(f"  {name}: {rows}" for name, rows in value["tables"].items() if rows)


def run_backup(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    with _runtime(args) as rt:
        manifest = take_backup(rt, folder, with_blobs=args.with_blobs)
    value = {"dir": str(folder), **manifest.summary(), "missing_blobs": manifest.missing_blobs}
    value["note"] = KEY_NOTE
    blobs = f"{value['blobs']} blobs ({value['blob_bytes']} bytes)"
    if not manifest.blobs_included:
        value["bucket_note"] = BUCKET_NOTE
        blobs += f" listed in the manifest, left in {manifest.blob_store}"
    text = (
        f"backup written to {folder} (schema revision {value['revision']}):"
        f" {value['rows']} rows, {blobs}\n{_table_lines(value)}\n{KEY_NOTE}"
    )
    if not manifest.blobs_included:
        text += f"\n{BUCKET_NOTE}"
    if manifest.missing_blobs:
        missing = len(manifest.missing_blobs)
        text += f"\nwarning: {missing} blobs named by rows were not in the store"
    emit(args, value, text)
    return 0


def run_restore(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    with _runtime(args, make_data_dir=True) as rt:
        done = restore_backup(rt, folder, force=args.force)
    value = {
        "dir": str(folder),
        **done.manifest.summary(),
        "replaced_rows": done.replaced_rows,
        "restored_blob_store": done.blob_store,
        "blobs_written": done.blobs_written,
        "blobs_checked": done.blobs_checked,
    }
    if done.blobs_written or not done.blobs_checked:
        blobs = f"{done.blobs_written} blobs written to {done.blob_store}"
    else:
        blobs = f"{done.blobs_checked} blobs found unchanged in {done.blob_store}"
    text = (
        f"restored {folder} (schema revision {value['revision']}, now migrated to this"
        f" sealgate's): {value['rows']} rows, {blobs}\n{_table_lines(value)}"
    )
    emit(args, value, text)
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    with _runtime(args) as rt:
        report = rotate_master_key(rt)
    value = {**asdict(report), "note": ROTATE_NOTE}
    resumed = " (an interrupted rotation, resumed)" if report.resumed else ""
    text = (
        f"master key rotated{resumed}: {report.blobs_rewrapped} blobs and"
        f" {report.rows_rewrapped} sealed rows re-wrapped under key {report.new_key_id};"
        f" key {report.old_key_id} is retired from {report.key_file}\n{ROTATE_NOTE}"
    )
    emit(args, value, text)
    return 0
