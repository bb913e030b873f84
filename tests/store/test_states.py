"""The state table: every row kind's edges, and the checks runners build on them."""

import pytest

from sealgate.store.states import (
    TRANSITIONS,
    IllegalTransition,
    JobState,
    RecipientState,
    SubmissionState,
    allowed,
    check,
    sources,
)


def test_every_state_of_a_kind_is_reachable_or_a_start() -> None:
    starts = {SubmissionState.INCOMING, RecipientState.UNDECIDED, JobState.INCOMING, JobState.HOLD}
    for kind, edges in TRANSITIONS.items():
        reached = {new for _, new in edges} | {old for old, _ in edges}
        assert reached == set(kind), kind
        for state in kind:
            assert (
                state in starts
                or any(new == state for _, new in edges)
                or state.value == "incoming"
            )


def test_a_recipient_goes_back_to_undecided_only_from_a_probe_wait_or_a_fall_back() -> None:
    assert sources(RecipientState.UNDECIDED) == (
        RecipientState.AWAITING_PROBE,
        RecipientState.DECIDED,
    )


def test_finished_jobs_never_move_again() -> None:
    for final in (JobState.DONE, JobState.BOUNCED, JobState.CORRUPT):
        assert not any(old == final for old, _ in TRANSITIONS[JobState])


def test_check_refuses_an_edge_the_table_lacks_and_across_kinds() -> None:
    check(JobState.ACTIVE, JobState.DONE)
    with pytest.raises(IllegalTransition):
        check(JobState.DONE, JobState.ACTIVE)
    assert not allowed(SubmissionState.INCOMING, JobState.DONE)


def test_the_stored_words_are_postfixs() -> None:
    assert [s.value for s in JobState] == [
        "incoming",
        "active",
        "deferred",
        "done",
        "bounced",
        "corrupt",
        "hold",
    ]
