"""Intake's runner: a batch of submissions is one state update and a flush per row kind;
a submission another runner finished first rolls the whole batch back, none is split twice."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlalchemy import event, func, select, update

from sealgate.bootstrap import Runtime
from sealgate.intake import process_incoming
from sealgate.intake.runner import _process_batch
from sealgate.store import Message, Recipient, Submission, TakenElsewhere
from tests.conftest import Sender
from tests.intake.conftest import Submit


def _raw(sender: Sender, to: list[str]) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender.address, ", ".join(to), "Results"
    mail.set_content("The results are in.\n")
    return mail.as_bytes()


def test_a_batch_is_one_update_and_a_flush_per_kind_of_row(
    runtime: Runtime, sender: Sender, submit: Submit
) -> None:
    for number in range(5):
        to = [f"p{number}a@example.org", f"p{number}b@example.org"]
        submit(_raw(sender, to), to)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(" ".join(statement.split()).lower())

    event.listen(runtime.db.engine, "before_cursor_execute", seen)
    try:
        assert process_incoming(runtime) == 5
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", seen)
    assert sum(s.startswith("update submissions") for s in statements) == 1
    assert sum(s.startswith("insert into recipients") for s in statements) == 1
    assert sum(s.startswith("insert into messages") for s in statements) == 1
    with runtime.db.begin() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 5
        assert session.scalar(select(func.count()).select_from(Recipient)) == 10


def test_a_submission_finished_elsewhere_rolls_the_batch_back(
    runtime: Runtime, sender: Sender, submit: Submit, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not runtime.db.is_sqlite:
        pytest.skip("on PostgreSQL the claim's row locks keep another runner out")
    ids = [submit(_raw(sender, [f"q{n}@example.org"]), [f"q{n}@example.org"]) for n in range(3)]
    from sealgate.intake import runner

    prepare = runner._prepare

    def racing(session, rt, vault, submission):  # noqa: ANN001, ANN202
        if submission.id == ids[1]:
            # Another runner finished this one after our claim read it.
            with runtime.db.engine.begin() as other:
                other.execute(
                    update(Submission).where(Submission.id == ids[1]).values(state="done")
                )
        return prepare(session, rt, vault, submission)

    monkeypatch.setattr(runner, "_prepare", racing)
    with pytest.raises(TakenElsewhere):
        _process_batch(runtime, set(), ())
    with runtime.db.begin() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
        rows = session.execute(select(Submission.id, Submission.state)).all()
    states = {row[0]: row[1] for row in rows}
    assert [states[i] for i in ids] == ["incoming", "done", "incoming"]
