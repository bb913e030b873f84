"""The SQLite write turn: one holder at a time across processes, nothing on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sealgate.submission.write_turn import WriteTurn, lock_path

HOLD = """
import sys, time
from sealgate.submission.write_turn import WriteTurn
turn = WriteTurn(sys.argv[1])
with turn.held():
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_the_lock_file_sits_next_to_a_sqlite_file_only() -> None:
    assert lock_path("sqlite:////data/sealgate.db") == "/data/sealgate.db-writer.lock"
    assert lock_path("sqlite://") is None
    assert lock_path("sqlite:///:memory:") is None
    assert lock_path("postgresql+psycopg://postgres@127.0.0.1/test") is None


def test_a_second_process_waits_for_its_turn(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sealgate.db'}"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, url, "0.5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        turn = WriteTurn(url)
        started = time.monotonic()
        with turn.held():
            waited = time.monotonic() - started
        turn.close()
        assert holder.wait(10) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert waited > 0.2
    assert Path(f"{tmp_path / 'sealgate.db'}-writer.lock").stat().st_mode & 0o077 == 0


def test_without_a_file_the_turn_is_free() -> None:
    turn = WriteTurn("postgresql+psycopg://postgres@127.0.0.1/test")
    with turn.held(), turn.held():
        pass
    turn.close()
