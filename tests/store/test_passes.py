"""store/passes.py: a failed batch is retried row by row, and a runner outlives a bad pass."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest

from sealgate.store import TakenElsewhere, Waiter, drain, run_passes


class Rows:
    """Rows waiting in a table; BAD fails in any batch, TAKEN was moved by another runner."""

    def __init__(self, ids: list[str], bad: str = "", taken: str = "") -> None:
        self.waiting = list(ids)
        self.done: list[str] = []
        self.bad, self.taken = bad, taken
        self.batches = 0

    def batch(self, skipped: set[str], ids: Sequence[str]) -> int | None:
        self.batches += 1
        chosen = [i for i in (ids or self.waiting) if i in self.waiting and i not in skipped]
        chosen = chosen[:2]
        if not chosen:
            return None
        if self.bad in chosen:
            raise ValueError("a row that cannot be processed")
        if self.taken in chosen:
            self.waiting.remove(self.taken)
            raise TakenElsewhere
        for i in chosen:
            self.waiting.remove(i)
            self.done.append(i)
        return len(chosen)

    def failed_ids(self, skipped: set[str]) -> list[str]:
        return [i for i in self.waiting if i not in skipped][:2]


def test_every_row_is_moved_in_batches_when_none_fails() -> None:
    rows = Rows(["a", "b", "c", "d", "e"])
    assert drain("test", rows.batch, rows.failed_ids, left="waiting") == 5
    assert rows.done == ["a", "b", "c", "d", "e"]
    assert rows.batches == 4  # three batches and the one that finds nothing


def test_a_bad_row_fails_alone_and_the_others_go_on(caplog: pytest.LogCaptureFixture) -> None:
    rows = Rows(["a", "b", "c", "d"], bad="b")
    with caplog.at_level(logging.INFO, "sealgate.store.passes"):
        assert drain("test", rows.batch, rows.failed_ids, left="waiting") == 3
    assert rows.done == ["a", "c", "d"]
    assert rows.waiting == ["b"]
    assert "test: b failed (ValueError); left waiting" in caplog.text
    assert "a row that cannot be processed" not in caplog.text  # only the type is logged


def test_a_row_taken_by_another_runner_is_not_counted() -> None:
    rows = Rows(["a", "b", "c"], taken="a")
    assert drain("test", rows.batch, rows.failed_ids, left="waiting") == 2
    assert rows.done == ["b", "c"]


async def test_a_failed_pass_is_logged_and_the_runner_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()
    passes: list[int] = []

    async def one_pass() -> bool:
        passes.append(1)
        if len(passes) == 1:
            raise ConnectionError("database away")
        if len(passes) == 3:
            stop.set()
        return len(passes) == 2  # more due at once after the second: no wait

    waiter = Waiter("outbound_jobs")
    with caplog.at_level(logging.ERROR, "sealgate.store.passes"):
        await asyncio.wait_for(run_passes("test", one_pass, waiter, 0.01, stop), 5)
    assert len(passes) == 3
    assert "test: pass failed (ConnectionError)" in caplog.text
