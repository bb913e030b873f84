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


def test_sealed_record_round_trips_and_writes_no_blob(vault, tmp_path):
    sealed = vault.seal(b"a notification with a link token", "outbound job j1")
    assert b"link token" not in sealed
    assert vault.unseal(sealed, "outbound job j1") == b"a notification with a link token"
    assert not list((tmp_path / "blobs").glob("*/*"))


def test_sealed_record_is_bound_to_its_context(vault):
    sealed = vault.seal(b"for job j1 only", "outbound job j1")
    with pytest.raises(VaultCorrupt):
        vault.unseal(sealed, "outbound job j2")


def test_altered_sealed_record_is_rejected(vault):
    sealed = bytearray(vault.seal(b"do not change me", "outbound job j1"))
    sealed[-1] ^= 1
    with pytest.raises(VaultCorrupt):
        vault.unseal(bytes(sealed), "outbound job j1")


def test_seal_context_cannot_pass_for_a_blob_id(vault):
    with pytest.raises(ValueError):
        vault.seal(b"x", "0" * 32)


def test_a_successor_key_wraps_anew_and_derives_as_before():
    old = MasterKey(os.urandom(32))
    new = old.successor(os.urandom(32))
    assert new.key_id != old.key_id and new.derive_base == old.derive_base
    assert MasterKey(new.to_bytes()).key_id == new.key_id
    assert "derive" not in repr(new) and new.to_bytes().hex() not in repr(new)
    with pytest.raises(ValueError):
        MasterKey(os.urandom(48))


def test_rewrap_header_changes_only_the_header(vault, tmp_path):
    from sealgate.vault.envelope import HEADER, rewrap_header

    data = os.urandom(2 * SEGMENT + 5)
    blob = vault.put_bytes(data)
    path = tmp_path / "blobs" / blob[:2] / blob
    raw = path.read_bytes()
    new = vault.master.successor(os.urandom(32))
    path.write_bytes(
        rewrap_header(vault.master, new, blob, raw[:HEADER], os.urandom(12)) + raw[HEADER:]
    )
    assert Vault(new, vault.store).get_bytes(blob) == data
    with pytest.raises(VaultCorrupt, match="another master key"):
        vault.get_bytes(blob)
    # A vault that reads with both keys (a rotation under way) opens it too.
    assert Vault(vault.master, vault.store, (new,)).get_bytes(blob) == data
    # The wrapped key is bound to its blob id: a header moved to another blob fails.
    with pytest.raises(VaultCorrupt):
        rewrap_header(new, new, "0" * 32, path.read_bytes()[:HEADER], os.urandom(12))
