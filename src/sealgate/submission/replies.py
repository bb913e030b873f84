"""Every reply the submission server sends, as a named constant (RFC 5321 code + RFC 3463 code).

Tests compare against these names, never against literal strings. `tests/qa/test_replies.py`
checks that each enhanced code's class digit equals the basic code's first digit.

aiosmtpd words some replies itself, mostly without enhanced status codes. `AIOSMTPD_REPLIES`
maps each of its fixed replies (that this server can reach) to ours, so that every reply
carries an enhanced code and ENHANCEDSTATUSCODES can be advertised truthfully. A reply is
looked up first under the SMTP verb being handled, then under "*" (any verb).
`tests/qa/test_replies.py` checks that every key still occurs in aiosmtpd's source, so an
upgrade that rewords a reply fails a test instead of slipping through untranslated.
"""

from __future__ import annotations

# 2xx: success.
S214_HELP = "214 2.0.0 sealgate mail submission; see RFC 5321, RFC 6409"
S220_READY_FOR_TLS = "220 2.0.0 Ready to start TLS"
S221_BYE = "221 2.0.0 Bye"
S235_AUTH_OK = "235 2.7.0 Authentication successful"
S250_OK = "250 2.0.0 Ok"
S250_SENDER_OK = "250 2.1.0 Sender ok"
S250_RECIPIENT_OK = "250 2.1.5 Recipient ok"
# A template: the only reply that carries a value, the queue id (format with queue_id=...).
S250_QUEUED = "250 2.0.0 Ok: queued as {queue_id}"

# 3xx: intermediate (RFC 2034 gives these no enhanced code).
S354_START_DATA = "354 End data with <CR><LF>.<CR><LF>"

# 4xx: try again later.
S421_IDLE_TIMEOUT = "421 4.4.2 Error: idle timeout exceeded, closing connection"
S421_SESSION_TIMEOUT = "421 4.4.2 Error: session timeout exceeded, closing connection"
S421_SHUTTING_DOWN = "421 4.3.2 Service shutting down, closing connection"
# A command line must be complete within [submission] command_timeout of its first byte, and
# DATA must keep up [submission] min_data_rate: a client trickling bytes cannot hold a session.
S421_COMMAND_TIMEOUT = "421 4.4.2 Error: command line not completed in time, closing connection"
S421_DATA_TOO_SLOW = "421 4.4.2 Error: message data arrives too slowly, closing connection"
# Connection limits ([submission] max_connections, max_connections_per_client,
# max_connection_rate), like Postfix's anvil: the connection is closed after the reply.
S421_TOO_MANY_CONNECTIONS = "421 4.7.0 Too many connections; try again later"
S421_CLIENT_CONNECTIONS = (
    "421 4.7.0 Too many connections from your address; close some or try again later"
)
S421_CLIENT_CONNECTION_RATE = (
    "421 4.7.0 Too many connections from your address in the last minute; try again later"
)
S451_LOCAL_ERROR = "451 4.3.0 Error: could not queue the message; try again later"
S452_TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
S454_AUTH_LOCKED = (
    "454 4.7.0 Too many failed authentication attempts from your address; try again later"
)
S454_AUTH_LOCKED_USER = (
    "454 4.7.0 Too many failed authentication attempts for this username; try again later"
)
S454_TLS_UNAVAILABLE = "454 4.7.0 TLS not available"

# 5xx: permanent.
S500_BAD_SYNTAX = "500 5.5.2 Error: bad syntax"
S500_LINE_TOO_LONG = "500 5.5.2 Error: line too long"
S500_UNRECOGNISED = "500 5.5.1 Error: command not recognized"
S501_SYNTAX_HELO = "501 5.5.4 Syntax: HELO hostname"
S501_SYNTAX_EHLO = "501 5.5.4 Syntax: EHLO hostname"
S501_SYNTAX_NO_ARGUMENT = "501 5.5.4 Syntax: this command takes no argument"
S501_SYNTAX_MAIL = "501 5.5.4 Syntax: MAIL FROM:<address> [SP <mail-parameters>]"
S501_SYNTAX_RCPT = "501 5.5.4 Syntax: RCPT TO:<address>"
S501_SYNTAX_AUTH = "501 5.5.4 Syntax: AUTH mechanism [initial-response]"
S501_BAD_SENDER_SYNTAX = "501 5.1.7 Bad sender address syntax"
S501_BAD_RECIPIENT_SYNTAX = "501 5.1.3 Bad recipient address syntax"
S501_BODY_VALUE = "501 5.5.4 BODY must be 7BIT or 8BITMIME"
S501_SMTPUTF8_ARGUMENT = "501 5.5.4 SMTPUTF8 takes no argument"
# MAIL / RCPT parameters (esmtp_params.py): RFC 1870, 4954 section 5, 3461 section 4.
S501_PARAMETER_REPEATED = "501 5.5.4 A parameter may be given only once"
S501_SIZE_VALUE = "501 5.5.4 SIZE must be a number of octets"
S501_AUTH_PARAMETER = "501 5.5.4 AUTH must be <> or an xtext mailbox"
S501_RET_VALUE = "501 5.5.4 RET must be FULL or HDRS"
S501_ENVID_VALUE = "501 5.5.4 ENVID must be xtext of at most 100 characters"
S501_NOTIFY_VALUE = "501 5.5.4 NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY"
S501_ORCPT_VALUE = "501 5.5.4 ORCPT must be addr-type;xtext of at most 500 characters"
S501_AUTH_BASE64 = "501 5.5.2 Cannot decode base64"
S501_AUTH_PLAIN_VALUE = "501 5.5.2 Cannot split AUTH PLAIN value"
S501_AUTH_ABORTED = "501 5.7.0 Authentication aborted"
S502_TOO_MANY_UNRECOGNISED = "502 5.5.1 Too many unrecognized commands, goodbye"
S502_VRFY_DISABLED = "502 5.5.1 VRFY command is disabled"
S502_EXPN_DISABLED = "502 5.5.1 EXPN command is disabled"
S503_EHLO_FIRST = "503 5.5.1 Error: send EHLO first"
S503_ALREADY_AUTHENTICATED = "503 5.5.1 Error: already authenticated"
S503_NESTED_MAIL = "503 5.5.1 Error: nested MAIL command"
S503_NEED_MAIL = "503 5.5.1 Error: need MAIL command"
S503_NEED_RCPT = "503 5.5.1 Error: need RCPT command"
# RFC 3207 4: a client must not start TLS a second time inside TLS.
S503_TLS_ACTIVE = "503 5.5.1 Error: TLS already active"
S504_AUTH_MECHANISM = "504 5.5.4 Unrecognized authentication type; use PLAIN or LOGIN"
S530_STARTTLS_FIRST = "530 5.7.0 Must issue a STARTTLS command first"
S530_AUTH_REQUIRED = "530 5.7.0 Authentication required"
S535_AUTH_FAILED = "535 5.7.8 Authentication credentials invalid"
S550_MAIL_FROM_NOT_ACCOUNT = (
    "550 5.7.1 MAIL FROM address is not an active account of your organisation"
)
S550_FROM_HEADER_MISSING = (
    "550 5.7.1 Message has no From header; it must name an active account of your organisation"
)
S550_FROM_HEADER_NOT_SINGLE = "550 5.7.1 From header must hold exactly one address"
S550_SENDER_HEADER_NOT_ACCOUNT = (
    "550 5.7.1 Sender header must name exactly one active account of your organisation"
)
# A line in the header section that is neither a field nor a continuation: no mail client
# sends one, and readers disagree on where such a section ends, so it is refused.
S550_HEADER_SECTION_MALFORMED = (
    "550 5.6.0 Message header section has a line that is neither a header field nor a "
    "folded continuation; end the header section with an empty line"
)
# A zivver-* control header that cannot be applied as written: refused, never downgraded.
S550_CONTROL_HEADER = "550 5.6.0 {problem}"
S550_FROM_HEADER_NOT_ACCOUNT = (
    "550 5.7.1 From header address is not an active account of your organisation"
)
# The null sender (MAIL FROM:<>) sends under the organisation's identity, not an account's.
S550_NULL_SENDER_FROM_DOMAIN = (
    "550 5.7.1 With the null sender, the From header must be in a domain of your organisation"
)
S550_BARE_NEWLINE = "550 5.5.2 Message contains bare CR or LF; send CRLF line endings"
S552_TOO_BIG = "552 5.3.4 Message size exceeds fixed maximum message size"
# DATA limits beyond the size ([submission] max_line_length, max_header_field,
# max_header_section). 552 5.3.4 (a per-message limit of this system, RFC 3463) rather than
# 500 5.5.2: the data is not a command, and RFC 5321 4.5.3.1.10 answers too much mail data
# with 552; both are permanent, so the sender learns to wrap, encode or trim.
S552_LINE_TOO_LONG = (
    "552 5.3.4 Message has a line longer than this server accepts;"
    " encode long lines (quoted-printable or base64)"
)
S552_HEADER_FIELD_TOO_BIG = (
    "552 5.3.4 Message has a header field larger than this server accepts;"
    " shorten it or move its content into the body"
)
S552_HEADER_SECTION_TOO_BIG = (
    "552 5.3.4 Message header section is larger than this server accepts;"
    " remove header fields or move their content into the body"
)
S553_UTF8_NOT_DECLARED = "553 5.6.7 Non-ASCII address needs the SMTPUTF8 parameter on MAIL"
S555_MAIL_PARAMETERS = "555 5.5.4 MAIL FROM parameters not recognized or not implemented"
S555_RCPT_PARAMETERS = "555 5.5.4 RCPT TO parameters not recognized or not implemented"

# aiosmtpd's own wording -> ours, keyed by (verb, reply); verb "*" matches any verb.
AIOSMTPD_REPLIES: dict[tuple[str, str], str] = {
    ("*", "500 Command line too long"): S500_LINE_TOO_LONG,
    ("*", "500 Error: bad syntax"): S500_BAD_SYNTAX,
    ("*", "530 Must issue a STARTTLS command first"): S530_STARTTLS_FIRST,
    ("*", "502 5.5.1 Too many unrecognized commands, goodbye."): S502_TOO_MANY_UNRECOGNISED,
    ("*", "503 Error: send HELO first"): S503_EHLO_FIRST,
    ("*", "503 Error: send EHLO first"): S503_EHLO_FIRST,
    ("*", "250 OK"): S250_OK,
    ("*", "221 Bye"): S221_BYE,
    ("*", "501 Syntax: HELO hostname"): S501_SYNTAX_HELO,
    ("*", "501 Syntax: EHLO hostname"): S501_SYNTAX_EHLO,
    ("*", "501 Syntax: QUIT"): S501_SYNTAX_NO_ARGUMENT,
    ("*", "501 Syntax: STARTTLS"): S501_SYNTAX_NO_ARGUMENT,
    ("*", "501 Syntax: RSET"): S501_SYNTAX_NO_ARGUMENT,
    ("*", "501 Syntax: DATA"): S501_SYNTAX_NO_ARGUMENT,
    ("*", "454 TLS not available"): S454_TLS_UNAVAILABLE,
    ("*", "220 Ready to start TLS"): S220_READY_FOR_TLS,
    ("*", "500 Error: command 'AUTH' not recognized"): S503_EHLO_FIRST,
    ("*", "538 5.7.11 Encryption required for requested authentication mechanism"): (
        S530_STARTTLS_FIRST
    ),
    ("*", "503 Already authenticated"): S503_ALREADY_AUTHENTICATED,
    ("*", "501 Not enough value"): S501_SYNTAX_AUTH,
    ("*", "501 Too many values"): S501_SYNTAX_AUTH,
    ("*", "504 5.5.4 Unrecognized authentication type"): S504_AUTH_MECHANISM,
    ("*", "501 5.7.0 Auth aborted"): S501_AUTH_ABORTED,
    ("*", "501 5.5.2 Can't decode base64"): S501_AUTH_BASE64,
    ("*", "501 Syntax: MAIL FROM: <address>"): S501_SYNTAX_MAIL,
    ("*", "501 Syntax: MAIL FROM: <address> [SP <mail-parameters>]"): S501_SYNTAX_MAIL,
    ("*", "501 Syntax: RCPT TO: <address>"): S501_SYNTAX_RCPT,
    ("*", "501 Syntax: RCPT TO: <address> [SP <mail-parameters>]"): S501_SYNTAX_RCPT,
    ("MAIL", "553 5.1.3 Error: malformed address"): S501_BAD_SENDER_SYNTAX,
    ("RCPT", "553 5.1.3 Error: malformed address"): S501_BAD_RECIPIENT_SYNTAX,
    ("*", "503 Error: nested MAIL command"): S503_NESTED_MAIL,
    ("*", "501 Error: BODY can only be one of 7BIT, 8BITMIME"): S501_BODY_VALUE,
    ("*", "501 Error: SMTPUTF8 takes no arguments"): S501_SMTPUTF8_ARGUMENT,
    ("*", "552 Error: message size exceeds fixed maximum message size"): S552_TOO_BIG,
    ("*", "555 MAIL FROM parameters not recognized or not implemented"): S555_MAIL_PARAMETERS,
    ("*", "503 Error: need MAIL command"): S503_NEED_MAIL,
    ("*", "555 RCPT TO parameters not recognized or not implemented"): S555_RCPT_PARAMETERS,
    ("*", "503 Error: need RCPT command"): S503_NEED_RCPT,
    ("*", "354 End data with <CR><LF>.<CR><LF>"): S354_START_DATA,
    ("*", "500 Line too long (see RFC5321 4.5.3.1.6)"): S500_LINE_TOO_LONG,
    ("*", "552 Error: Too much mail data"): S552_TOO_BIG,
    ("*", "502 EXPN not implemented"): S502_EXPN_DISABLED,
}

# aiosmtpd replies that carry a value (the unknown verb); matched by their fixed start.
AIOSMTPD_REPLY_PREFIXES: tuple[tuple[str, str], ...] = (
    ('500 Error: command "', S500_UNRECOGNISED),
)


def translate(verb: str, reply: str) -> str:
    """Our constant for a reply aiosmtpd worded, or the reply unchanged when it is already ours."""
    ours = AIOSMTPD_REPLIES.get((verb, reply)) or AIOSMTPD_REPLIES.get(("*", reply))
    if ours is not None:
        return ours
    for prefix, constant in AIOSMTPD_REPLY_PREFIXES:
        if reply.startswith(prefix):
            return constant
    return reply
