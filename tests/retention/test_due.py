"""The retention rules on values: when a recipient is finished and a message's content due."""

from __future__ import annotations

from datetime import datetime, timedelta

from sealgate.retention import RecipientFacts, content_due, finished_at

NOW = datetime(2026, 12, 3, 12, 0)
DAY = timedelta(days=1)


def facts(**changes) -> RecipientFacts:  # type: ignore[no-untyped-def]
    values = {"created_at": NOW - 100 * DAY, "decided": True, "revoked_at": None}
    values |= {"expires_at": None}
    return RecipientFacts(**(values | changes))


def test_an_expiry_that_passed_finishes_a_recipient_even_with_a_live_link() -> None:
    expired = facts(expires_at=NOW - 3 * DAY, link_expiries=(NOW + 50 * DAY,))
    assert finished_at(expired, NOW) == NOW - 3 * DAY
    assert finished_at(facts(expires_at=NOW + DAY, link_expiries=(NOW + 50 * DAY,)), NOW) is None


def test_a_withdrawal_finishes_a_recipient_at_the_earlier_of_withdrawal_and_expiry() -> None:
    both = facts(revoked_at=NOW - 5 * DAY, expires_at=NOW - 2 * DAY)
    assert finished_at(both, NOW) == NOW - 5 * DAY


def test_a_notification_is_finished_when_its_last_link_ran_out() -> None:
    links = (NOW - 10 * DAY, NOW - 4 * DAY)
    assert finished_at(facts(link_expiries=links), NOW) == NOW - 4 * DAY
    assert finished_at(facts(link_expiries=(NOW - 10 * DAY, NOW + DAY)), NOW) is None


def test_a_direct_delivery_is_finished_when_its_mail_was_done() -> None:
    assert finished_at(facts(jobs_done_at=(NOW - 7 * DAY, NOW - 6 * DAY)), NOW) == NOW - 6 * DAY
    # Refused by policy with no DSN asked for: nothing sent, finished at its creation.
    assert finished_at(facts(), NOW) == NOW - 100 * DAY


def test_an_undecided_recipient_is_not_finished_even_when_expired() -> None:
    """Route still reads the raw message to decide it (a hand-back, a probe it waits for)."""
    assert finished_at(facts(decided=False), NOW) is None
    assert finished_at(facts(decided=False, expires_at=NOW - 90 * DAY), NOW) is None


def test_content_is_due_retention_days_after_the_last_recipient_finished() -> None:
    early, late = facts(jobs_done_at=(NOW - 40 * DAY,)), facts(jobs_done_at=(NOW - 31 * DAY,))
    assert content_due([early, late], NOW - 100 * DAY, 30, False, NOW)
    assert not content_due([early, late], NOW - 100 * DAY, 32, False, NOW)
    assert not content_due([early, facts(decided=False)], NOW - 100 * DAY, 30, False, NOW)


def test_content_is_never_due_while_a_mail_of_it_waits_in_the_queue() -> None:
    assert not content_due([facts(expires_at=NOW - 90 * DAY)], NOW - 100 * DAY, 0, True, NOW)


def test_a_message_without_recipients_is_due_from_its_creation() -> None:
    assert content_due([], NOW - 31 * DAY, 30, False, NOW)
    assert not content_due([], NOW - 29 * DAY, 30, False, NOW)
