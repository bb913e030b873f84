"""Portal: the web pages where a recipient proves who they are and reads a secure message.

Receives: HTTPS requests from anyone holding a notification link `<base_url>/m/<token>`, and
account logins at /login; probes at /healthz (alive) and /readyz (database, vault folder
and resolver answer: 200, else 503 naming the failed check). Each recipient proves what its
method (`Recipient.method`) asks: a code by mail, a code by SMS, the access code agreed with
the sender, or an account login (password + TOTP); a logged-in account reads every message
to its address at /inbox. An account without a password is set up from a single-use link
(/account/<token>: password, then TOTP), mailed by `account add`, `account reset-password`,
/forgot or the invitation button of a message's start page.
Hands off: code mails and account-link mails to the outbound queue (`outbound_jobs`, kinds
`code` and `account`); `account_tokens` (hashes) and `account_link_requests`; code SMS to the
SMS provider (`notify.sms`), counted in `sms_quotas`; `portal_sessions` rows (of a recipient or
of an account); `recipients.opened_at`, and `contacts.opened_at` for the "once opened" rule;
an account's sealed TOTP secret and recovery-code hashes; an audit entry (`audit.record`)
for every read page, HTML body, download and inbox view, every judged proof and every
log-in and log-out (access_log.py). Reads messages from the vault.
Trust: faces the internet unauthenticated. Holds the vault master key (to decrypt what it
shows) and keys derived from it for code hashes, CSRF tokens, login tickets, TOTP secrets and
recovery codes; stores only hashes of link tokens, codes, session secrets and recovery codes,
and argon2 hashes of passwords and access codes. A GET never changes state (mail scanners
pre-fetch links). Nothing here logs content, subjects, addresses, phone numbers, codes or
tokens. HTML bodies are sanitised (nh3) and shown in a sandboxed iframe under a CSP that
loads nothing; attachments are always downloads.
Refuses: unknown/expired links (404), a link or inbox message its sender withdrew or whose
expiry passed (410 on every route, downloads included: the date and the organisation, no
content; checked on every request), forms without a valid CSRF token or from another origin
(403), sessions of another recipient or account (403 or back to the start page; 404 in the
inbox), wrong codes (400), too many codes, SMS, attempts or failed log-ins, or a link past its
code caps (429; every such limit is a database counter changed by one conditional UPDATE, and
a guess is judged only once counted), an SMS the provider did not take (503), a request that
does not arrive whole within `request_timeout` (408), past `max_connections` (503).
Standards: RFC 6265 (cookies), RFC 6266 (Content-Disposition), RFC 6238 (TOTP), CSP Level 3.
"""

from sealgate.portal.account_links import AccountLinkSent, send_account_link
from sealgate.portal.app import create_app
from sealgate.portal.cookies import read_cookie
from sealgate.portal.csrf import CSRF_FIELD, CsrfGuard, guard_of
from sealgate.portal.form_errors import locked_out
from sealgate.portal.methods import Proof, mask_phone, proof_for
from sealgate.portal.second_factor import spend_second_factor
from sealgate.portal.server import portal_config
from sealgate.portal.sessions import Lifetime
from sealgate.portal.throttle import (
    LOGIN_LOCKOUT,
    clear_login_attempts,
    give_back_login_attempt,
    locked_for,
    take_login_attempt,
)

# The admin console (sealgate.admin) logs accounts in with the same mechanics: the CSRF
# guard, the login throttle, the second factor and the session lifetime.
__all__ = [
    "CSRF_FIELD",
    "LOGIN_LOCKOUT",
    "AccountLinkSent",
    "CsrfGuard",
    "Lifetime",
    "Proof",
    "clear_login_attempts",
    "create_app",
    "give_back_login_attempt",
    "guard_of",
    "locked_for",
    "locked_out",
    "mask_phone",
    "portal_config",
    "proof_for",
    "read_cookie",
    "send_account_link",
    "spend_second_factor",
    "take_login_attempt",
]
