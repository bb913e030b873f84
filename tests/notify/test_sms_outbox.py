"""The outbox SMS provider: one JSON line per SMS in <data_dir>/sms-outbox.jsonl."""

from __future__ import annotations

import stat
import threading
from datetime import datetime
from pathlib import Path

import pytest

from sealgate.notify.sms import OUTBOX_NAME, OutboxSmsProvider, SmsError, read_outbox


def test_each_sms_is_a_json_line(tmp_path: Path):
    provider = OutboxSmsProvider(tmp_path)
    provider.send("+31612345678", "123456 is your code")
    provider.send("+447911123456", "Ünïcode ✓")
    lines = (tmp_path / OUTBOX_NAME).read_text().splitlines()
    assert len(lines) == 2
    first, second = read_outbox(tmp_path)
    assert (first["to"], first["text"]) == ("+31612345678", "123456 is your code")
    assert second["text"] == "Ünïcode ✓"
    assert datetime.fromisoformat(first["at"]).tzinfo is not None


def test_the_outbox_is_private(tmp_path: Path):
    OutboxSmsProvider(tmp_path).send("+31612345678", "x")
    mode = stat.S_IMODE((tmp_path / OUTBOX_NAME).stat().st_mode)
    assert mode == 0o600


def test_lines_stay_whole_under_threads(tmp_path: Path):
    provider = OutboxSmsProvider(tmp_path)
    threads = [
        threading.Thread(target=lambda i=i: provider.send("+31612345678", f"{i:06d} " + "x" * 500))
        for i in range(40)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    texts = sorted(sms["text"][:6] for sms in read_outbox(tmp_path))
    assert texts == [f"{i:06d}" for i in range(40)]


def test_an_unwritable_outbox_is_an_sms_error(tmp_path: Path):
    provider = OutboxSmsProvider(tmp_path / "missing-folder")
    with pytest.raises(SmsError) as raised:
        provider.send("+31612345678", "123456 is your code")
    assert "123456" not in str(raised.value) and "+31" not in str(raised.value)


def test_empty_outbox(tmp_path: Path):
    assert read_outbox(tmp_path) == []
