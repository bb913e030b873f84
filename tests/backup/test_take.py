"""`sealgate backup DIR`: a private folder with a manifest, the tables and the blobs, no key."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from pathlib import Path

from sealgate.bootstrap import Runtime
from sealgate.vault import FilesystemBlobStore
from tests.conftest import Sender
from tests.portal.conftest import store_message


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_writes_a_private_manifested_copy(runtime: Runtime, sender: Sender, cli, tmp_path):
    stored = store_message(runtime, sender)
    folder = tmp_path / "backup"
    result = cli("backup", str(folder), "--json")
    assert result.returncode == 0, result.stderr
    value = json.loads(result.stdout)
    assert value["master_key_included"] is False
    assert value["master_key_id"] == runtime.vault.master.key_id.hex()
    assert "NOT in the backup" in value["note"]
    assert value["tables"]["recipients"] == 2 and value["tables"]["organisations"] == 1

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format"] == "sealgate-backup" and manifest["format_version"] == 2
    assert manifest["revision"] == value["revision"]
    store = runtime.vault.store
    assert isinstance(store, FilesystemBlobStore)
    assert sorted(b["id"] for b in manifest["blobs"]) == sorted(store.ids())
    for blob in manifest["blobs"]:
        copied = (folder / "blobs" / blob["id"][:2] / blob["id"]).read_bytes()
        # Ciphertext, byte for byte as stored: never decrypted on the way.
        assert copied == store.path_of(blob["id"]).read_bytes()
        assert hashlib.sha256(copied).hexdigest() == blob["sha256"] and len(copied) == blob["size"]
    everything = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    assert stored.attachments[1][:64] not in everything

    key = (runtime.settings.data_dir / "master.key").read_text().strip()
    raw_key = base64.b64decode(key)
    for path in folder.rglob("*"):
        if path.is_dir():
            assert _mode(path) == 0o700, path
        else:
            assert _mode(path) == 0o600, path
            assert key.encode() not in path.read_bytes() and raw_key not in path.read_bytes()
    assert _mode(folder) == 0o700
    recipients = (folder / "tables" / "recipients.jsonl").read_text().splitlines()
    assert {json.loads(line)["address"] for line in recipients} == {
        "bob@example.org",
        "carol@example.net",
    }


def test_backup_refuses_a_folder_that_is_not_empty(runtime: Runtime, cli, tmp_path):
    folder = tmp_path / "used"
    folder.mkdir()
    (folder / "something").write_text("x")
    result = cli("backup", str(folder))
    assert result.returncode == 1
    assert result.stderr == f"sealgate: error: {folder} is not a new or empty folder\n"
    assert sorted(p.name for p in folder.iterdir()) == ["something"]


def test_backup_into_an_empty_folder_makes_it_private(runtime: Runtime, cli, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir(mode=0o755)
    result = cli("backup", str(folder))
    assert result.returncode == 0, result.stderr
    assert "master key is NOT in the backup" in result.stdout
    assert _mode(folder) == 0o700
