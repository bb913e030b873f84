"""The composition root: build the database, vault and keys from Settings, once."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path

from sealgate.config import Settings
from sealgate.store import Database, Wakeups
from sealgate.vault import Vault, load_master_key, load_pending_keys, open_blob_store


@dataclass
class Runtime:
    """Everything a stage needs, built from Settings; passed in, never global."""

    settings: Settings
    db: Database
    vault: Vault
    # Runners wait on these between passes: a commit that writes their table wakes them.
    wakeups: Wakeups = field(init=False)

    def __post_init__(self) -> None:
        self.wakeups = Wakeups(self.db)

    def subkey(self, purpose: str) -> bytes:
        """A key derived from the master key for one purpose (code hashes, CSRF, …)."""
        return hmac.new(self.vault.master.derive_base, purpose.encode(), hashlib.sha256).digest()

    def close(self) -> None:
        self.wakeups.close()
        self.db.dispose()


def open_runtime(
    settings: Settings, *, create: bool = False, migrate: bool | None = None
) -> Runtime:
    """Open the data folder, vault and database; `create` makes what is missing.

    The data folder and the blob folder are created 0700, the database file 0600 and the
    master key 0600: they are the gateway's alone.

    The schema: `migrate=True` upgrades it to the newest revision; None (the default)
    upgrades it only for `create` (a fresh install: `init`, `demo`) and otherwise raises
    SchemaOutdated (a ValueError) unless it is at the newest revision; False leaves the
    database untouched (a child process whose parent checked, or a probe test).
    """
    data_dir = Path(settings.storage.data_dir)
    if create:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    elif not data_dir.is_dir():
        raise FileNotFoundError(f"data folder {data_dir} does not exist; run 'sealgate init' first")
    master = load_master_key(
        data_dir, settings.storage.master_key.get_secret_value(), create=create
    )
    db = Database(settings.database_url)
    try:
        if migrate or (migrate is None and create):
            db.migrate()
        elif migrate is None:
            db.check_schema()
    except BaseException:
        db.dispose()
        raise
    store = open_blob_store(settings.storage, data_dir)
    return Runtime(settings, db, Vault(master, store, load_pending_keys(data_dir)))
