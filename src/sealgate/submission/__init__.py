"""Submission: accept mail from client MTAs over SMTP and commit it durably.

Receives: ESMTP sessions on [submission] listen (587 in production): STARTTLS (TLS >= 1.2),
then AUTH PLAIN/LOGIN with an SMTP credential of an organisation.
Hands off: a vault blob (the raw message, encrypted) + a `submissions` row in state
`incoming`, committed in that order; only then "250 2.0.0 Ok: queued as <id>".
Trust: faces untrusted networks before authentication. Holds the vault master key (to
encrypt) and reads argon2 credential hashes; counts failed AUTH in the database (hashed keys).
A break-in here reaches the vault key and the database, so the stage parses no more than it
must: SMTP commands, and the message's From header; MIME and control headers are intake's.
Logs ids and addresses, never content or credentials.
Refuses: MAIL/AUTH before STARTTLS (530 5.7.0), MAIL without AUTH (530 5.7.0), bad
credentials (535 5.7.8, slower each time, then 454 4.7.0 during a lockout), a MAIL FROM or
From header that is not an active account of the credential's organisation (550 5.7.1),
more than max_recipients (452 4.5.3), bad recipient syntax (501 5.1.3), bare CR or LF in
DATA (550 5.5.2, and the connection closes when the data ends in <LF>.<CR><LF>), oversize,
overlong lines, header fields or header sections (552 5.3.4); a second STARTTLS (503 5.5.1);
connections beyond the total, per-client or per-minute limits (421 4.7.0); idle, session,
command-line and DATA-rate timeouts end with 421 4.4.2.
Processes: [submission] processes > 1 runs that many listener processes on the one address
(SO_REUSEPORT), supervised by `sealgate serve` (processes.py); each is a whole submission
stage with its own database engine, and connection limits count per process.
Standards: RFC 5321, 3207, 4954, 4616, 2034, 3463, 6152, 6531, 1870, 6409.
"""

from sealgate.submission.commit import AcceptedMessage, commit_submission
from sealgate.submission.processes import SubmissionProcesses, process_count
from sealgate.submission.server import SubmissionError, SubmissionServer
from sealgate.submission.tls import write_self_signed

__all__ = [
    "AcceptedMessage",
    "SubmissionError",
    "SubmissionProcesses",
    "SubmissionServer",
    "commit_submission",
    "process_count",
    "write_self_signed",
]
