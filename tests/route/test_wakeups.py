"""Route and the probe runner wake on the commits that hand them work, not on the poll."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event, select

from sealgate.bootstrap import Runtime
from sealgate.config import Settings
from sealgate.directory import set_policy
from sealgate.intake import process_incoming as intake_incoming
from sealgate.route import run_route
from sealgate.store import Recipient
from sealgate.transport import run_probe_runner
from tests.conftest import Sender, lab_settings
from tests.intake.conftest import Submit
from tests.lab.transport_world import TransportWorld

MAIL = b"From: alice@hospital.example\r\nTo: bob@pkix.lab\r\nSubject: Results\r\n\r\nBody.\r\n"


@pytest.fixture
def settings(
    transport_world: TransportWorld, tmp_path: Path, database_url: str, tls_files: tuple[Path, Path]
) -> Settings:
    env = {"SEALGATE_DELIVERY__POLL_INTERVAL": "30"}
    return lab_settings(transport_world, tmp_path, database_url, tls_files, **env)


def _state(runtime: Runtime) -> tuple[str, str] | None:
    with runtime.db.begin() as session:
        row = session.execute(select(Recipient.state, Recipient.method)).first()
    return None if row is None else (row[0], row[1])


async def test_a_recipient_is_split_probed_and_decided_long_before_the_poll_interval(
    runtime: Runtime, sender: Sender, submit: Submit
) -> None:
    """Intake's commit wakes route; route's probe request wakes the probe runner; its wake of
    the recipient wakes route again: three hand-offs, none waiting 30 s."""
    with runtime.db.begin() as session:
        set_policy(session, sender.org, tsc="pkix")
    stop = asyncio.Event()
    tasks = [asyncio.create_task(run(runtime, stop)) for run in (run_route, run_probe_runner)]
    try:
        await asyncio.sleep(0.3)  # the first, empty passes are over: both runners sleep
        started = asyncio.get_running_loop().time()
        await asyncio.to_thread(submit, MAIL, ["bob@pkix.lab"])
        assert await asyncio.to_thread(intake_incoming, runtime) == 1
        for _ in range(200):
            if await asyncio.to_thread(_state, runtime) == ("decided", "transport_security"):
                break
            await asyncio.sleep(0.05)
        assert await asyncio.to_thread(_state, runtime) == ("decided", "transport_security")
        assert asyncio.get_running_loop().time() - started < 10
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)


async def test_idle_runners_do_not_wake_themselves(runtime: Runtime) -> None:
    """A pass that finds nothing writes nothing, so it wakes no one, itself included."""
    passes = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().startswith("SELECT") and (
            "FROM recipients" in statement or "FROM probe_requests" in statement
        ):
            passes.append(statement)

    event.listen(runtime.db.engine, "before_cursor_execute", count)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(run(runtime, stop)) for run in (run_route, run_probe_runner)]
    try:
        # The first passes (and, on PostgreSQL, one more once LISTEN is up) are over by then.
        await asyncio.sleep(1.5)
        started = len(passes)
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        event.remove(runtime.db.engine, "before_cursor_execute", count)
    assert started > 0 and passes[started:] == []
