import os

import pytest

from sealgate.vault import FilesystemBlobStore, MasterKey, Vault, VaultCorrupt
from sealgate.vault.envelope import SEGMENT


@pytest.fixture
def vault(tmp_path):
    return Vault(MasterKey(os.urandom(32)), FilesystemBlobStore(tmp_path / "blobs"))


@pytest.mark.parametrize("size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT + 17])
def test_round_trip_at_segment_edges(vault, size):
    data = os.urandom(size)
    blob = vault.put(data[i : i + 4000] for i in range(0, size, 4000))
    assert vault.get_bytes(blob) == data


def test_blob_on_disk_is_not_plaintext(vault, tmp_path):
    blob = vault.put_bytes(b"patient record 12345" * 100)
    raw = (tmp_path / "blobs" / blob[:2] / blob).read_bytes()
    assert b"patient record" not in raw


def test_truncated_blob_is_rejected(vault, tmp_path):
    blob = vault.put_bytes(os.urandom(2 * SEGMENT + 10))
    path = tmp_path / "blobs" / blob[:2] / blob
    path.write_bytes(path.read_bytes()[: -(SEGMENT // 2)])
    with pytest.raises(VaultCorrupt):
        vault.get_bytes(blob)


def test_segment_cut_at_boundary_is_rejected(vault, tmp_path):
    blob = vault.put_bytes(os.urandom(2 * SEGMENT + 10))
    path = tmp_path / "blobs" / blob[:2] / blob
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - (10 + 16)])
    with pytest.raises(VaultCorrupt):
        vault.get_bytes(blob)


def test_flipped_bit_is_rejected(vault, tmp_path):
    blob = vault.put_bytes(b"x" * 1000)
    path = tmp_path / "blobs" / blob[:2] / blob
    raw = bytearray(path.read_bytes())
    raw[-20] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(VaultCorrupt):
        vault.get_bytes(blob)


def test_other_master_key_cannot_read(vault, tmp_path):
    blob = vault.put_bytes(b"secret")
    other = Vault(MasterKey(os.urandom(32)), vault.store)
    with pytest.raises(VaultCorrupt):
        other.get_bytes(blob)


def test_master_key_repr_hides_key():
    key = os.urandom(32)
    assert key.hex() not in repr(MasterKey(key))
