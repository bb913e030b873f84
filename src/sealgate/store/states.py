"""Every row kind's states and the transitions allowed between them, as data (after h11).

A runner claims rows in one state and leaves them in another; this table is the one place
that says which moves exist, so a line in the middle of the pipeline can tell which rows it
may touch. docs/architecture.md draws it. The values are the words stored in the database
(Postfix's for the queue), so an admin can read the tables with SQL.

    submissions     incoming -> done | corrupt | hold
    recipients      undecided -> decided | awaiting_probe;  awaiting_probe -> undecided;
                    decided -> undecided  (delivery proved too little: route chooses again)
    probe_requests  incoming -> active -> done;  active -> incoming (lease ran out);
                    done -> incoming  (the cached level expired and someone waits again)
    outbound_jobs   incoming | deferred -> active -> done | deferred | bounced | corrupt;
                    active -> active (a lapsed lease reclaimed);  hold -> incoming;
                    incoming | deferred | hold -> bounced  (an admin gave it up: queue cancel)
"""

from __future__ import annotations

from enum import StrEnum


class SubmissionState(StrEnum):
    """A committed SMTP submission, waiting for intake or taken by it."""

    INCOMING = "incoming"
    DONE = "done"
    CORRUPT = "corrupt"  # its vault blob failed authentication
    HOLD = "hold"  # invalid control headers got past submission: kept, never sent


class RecipientState(StrEnum):
    """One recipient between intake's split and a queued job."""

    UNDECIDED = "undecided"
    AWAITING_PROBE = "awaiting_probe"  # policy needs a transport level not cached yet
    DECIDED = "decided"  # method chosen and its job (or DSN, or nothing) queued


class ProbeRequestState(StrEnum):
    """A domain whose transport level someone waits for."""

    INCOMING = "incoming"
    ACTIVE = "active"
    DONE = "done"


class JobState(StrEnum):
    """An outbound mail in the queue (Postfix's words; done and bounced are ours)."""

    INCOMING = "incoming"
    ACTIVE = "active"
    DEFERRED = "deferred"
    DONE = "done"
    BOUNCED = "bounced"
    CORRUPT = "corrupt"
    HOLD = "hold"


class JobKind(StrEnum):
    """What an outbound mail is; `direct` carries content at a required level."""

    NOTIFICATION = "notification"
    DIRECT = "direct"
    DSN = "dsn"
    CODE = "code"  # a verification code mail from the portal
    NOTICE = "notice"  # a content-free notice to the sender (e.g. a link's code cap)
    ACCOUNT = "account"  # an account's invitation or password-reset link


State = SubmissionState | RecipientState | ProbeRequestState | JobState

TRANSITIONS: dict[type[State], frozenset[tuple[State, State]]] = {
    SubmissionState: frozenset(
        {
            (SubmissionState.INCOMING, SubmissionState.DONE),
            (SubmissionState.INCOMING, SubmissionState.CORRUPT),
            (SubmissionState.INCOMING, SubmissionState.HOLD),
        }
    ),
    RecipientState: frozenset(
        {
            (RecipientState.UNDECIDED, RecipientState.DECIDED),
            (RecipientState.UNDECIDED, RecipientState.AWAITING_PROBE),
            (RecipientState.AWAITING_PROBE, RecipientState.UNDECIDED),
            (RecipientState.DECIDED, RecipientState.UNDECIDED),
        }
    ),
    ProbeRequestState: frozenset(
        {
            (ProbeRequestState.INCOMING, ProbeRequestState.ACTIVE),
            (ProbeRequestState.ACTIVE, ProbeRequestState.DONE),
            (ProbeRequestState.ACTIVE, ProbeRequestState.INCOMING),
            (ProbeRequestState.DONE, ProbeRequestState.INCOMING),
        }
    ),
    JobState: frozenset(
        {
            (JobState.INCOMING, JobState.ACTIVE),
            (JobState.DEFERRED, JobState.ACTIVE),
            (JobState.ACTIVE, JobState.ACTIVE),
            (JobState.ACTIVE, JobState.DONE),
            (JobState.ACTIVE, JobState.DEFERRED),
            (JobState.ACTIVE, JobState.BOUNCED),
            (JobState.ACTIVE, JobState.CORRUPT),
            (JobState.HOLD, JobState.INCOMING),
            # `sealgate queue cancel`: given up before a worker took it (delivery/queue_admin.py).
            (JobState.INCOMING, JobState.BOUNCED),
            (JobState.DEFERRED, JobState.BOUNCED),
            (JobState.HOLD, JobState.BOUNCED),
        }
    ),
}


class IllegalTransition(ValueError):
    """A runner tried to move a row along an edge the state table does not have."""


def allowed(old: State, new: State) -> bool:
    """Whether the table has the edge old -> new (both of one row kind)."""
    return type(old) is type(new) and (old, new) in TRANSITIONS[type(old)]


def check(old: State, new: State) -> None:
    """Raise IllegalTransition unless old -> new is an edge of the table."""
    if not allowed(old, new):
        raise IllegalTransition(f"{type(old).__name__}: {old} -> {new} is not allowed")


def sources(new: State) -> tuple[State, ...]:
    """The states a row may be in when a runner moves it to `new`: the WHERE of its UPDATE."""
    edges = TRANSITIONS[type(new)]
    return tuple(sorted((old for old, to in edges if to == new), key=str))
