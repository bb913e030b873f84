"""How a runner repeats its pass, and how a failed batch is retried one row at a time.

Every runner (intake, route, the probe runner, delivery) claims rows of its table in
batches, one transaction per batch, because one commit for many rows is what makes the
pipeline fast. The price is that one bad row fails its whole batch. `drain` pays it once:
the failed batch's rows are taken again one by one, each in its own transaction, so the
good rows go on and the bad one is left in its state, logged by id and skipped for the rest
of this pass (the next pass tries it again). `run_passes` is the loop around a pass: again
as soon as a commit writes the runner's table (a wake-up), and at least every poll interval.

Only the exception's type is logged, never its text: it could quote message content.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from sealgate.store.wakeup import Waiter

log = logging.getLogger("sealgate.store.passes")

# batch(skipped, ids): process these ids, or with no ids claim the oldest waiting rows that
# are not in `skipped`. Returns how many rows it moved, or None when nothing was waiting.
Batch = Callable[[set[str], Sequence[str]], int | None]


class TakenElsewhere(Exception):
    """Another runner moved this row first (SQLite has no row locks to prevent it)."""


def drain(stage: str, batch: Batch, failed_ids: Callable[[set[str]], list[str]], left: str) -> int:
    """Run `batch` until nothing waits; a failed batch is retried row by row.

    `failed_ids(skipped)` reads again, without processing them, the ids the failed batch
    would have claimed; `left` names the state a row that fails alone stays in (for the
    log). Returns how many rows this call moved.
    """
    skipped: set[str] = set()
    moved = 0
    while True:
        try:
            claimed = batch(skipped, ())
        except Exception as exc:
            log.warning("%s: batch failed (%s); one by one now", stage, type(exc).__name__)
            ids = failed_ids(skipped)
            if not ids:
                return moved
            moved += sum(_alone(stage, batch, skipped, ident, left) for ident in ids)
            continue
        if claimed is None:
            return moved
        moved += claimed


def _alone(stage: str, batch: Batch, skipped: set[str], ident: str, left: str) -> int:
    """One row in its own transaction; 0 (and skipped) if that fails."""
    try:
        return batch(skipped, (ident,)) or 0
    except TakenElsewhere:
        log.info("%s: %s was taken by another runner", stage, ident)
    except Exception as exc:
        log.error("%s: %s failed (%s); left %s", stage, ident, type(exc).__name__, left)
    skipped.add(ident)
    return 0


async def run_passes(
    stage: str,
    one_pass: Callable[[], Awaitable[bool]],
    waiter: Waiter,
    interval: float,
    stop: asyncio.Event,
) -> None:
    """Run `one_pass` until `stop` is set; it returns True when more work is due at once
    (then no wait). A pass that fails (the database is away, say) is logged and retried
    after the interval: a runner never dies of one bad pass."""
    while not stop.is_set():
        try:
            again = await one_pass()
        except Exception as exc:
            log.error("%s: pass failed (%s)", stage, type(exc).__name__)
            again = False
        if not again:
            await waiter.wait(interval, stop)
