"""The aiosmtpd handler: EHLO, MAIL, RCPT and DATA decisions, each answered with a reply constant.

aiosmtpd parses the commands; this module decides. Its checks on the message itself are
small pure functions (`is_mailbox`, `from_header_addresses`) so they can be tested without
a socket; bare CR/LF and the size limits are the server's DATA reader's (`data.py`). The
header section is parsed once, by `sealgate.mail`, and every header check reads that one
result; the hooks look up accounts and commit via `asyncio.to_thread` because the store is
synchronous. Nothing here reads more of the message than its header section (From, Sender,
the access-right headers): MIME is intake's business.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections import defaultdict
from typing import TYPE_CHECKING

from aiosmtpd.smtp import Envelope, TLSSetupException

from sealgate.bootstrap import Runtime
from sealgate.directory import (
    AccountInfo,
    access_code_minimum,
    find_active_account,
    org_claiming,
)
from sealgate.intake import (
    ControlHeaderError,
    controls_of,
    language_problem,
    parse_access_rights,
    parse_expiry,
)
from sealgate.mail import HeaderSection, field_addresses, parse_header_section
from sealgate.observe import metrics
from sealgate.store import utcnow
from sealgate.submission import replies
from sealgate.submission.auth import Submitter
from sealgate.submission.commit import AcceptedMessage, GroupCommitter
from sealgate.submission.esmtp_params import (
    MailParameters,
    ParameterError,
    RcptParameters,
    dsn_request,
    parse_mail_parameters,
    parse_rcpt_parameters,
)
from sealgate.submission.session import SubmissionSession
from sealgate.submission.spf import check_spf, spf_authorises
from sealgate.submission.spool import StoredContent

if TYPE_CHECKING:
    from aiosmtpd.smtp import SMTP


log = logging.getLogger("sealgate.submission")

# RFC 1870, 3461 section 5, 4954 section 5: what SIZE, ENVID, RET, AUTH and ORCPT add to
# the 512 octets of a command line (aiosmtpd counts SIZE and SMTPUTF8 only).
MAIL_LINE_LIMIT = 512 + 26 + 10 + 110 + 500
RCPT_LINE_LIMIT = 512 + 500 + 30

_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def is_mailbox(address: str) -> bool:
    """RFC 5321 Mailbox limits on top of aiosmtpd's parse: local@domain, a dotted host name.

    Address literals (`user@[192.0.2.1]`) are refused: notifications go out by MX or relay.
    """
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or len(address.encode()) > 254:
        return False
    if len(local.encode()) > 64 or any(ord(char) < 32 or ord(char) == 127 for char in local):
        return False
    labels = domain.split(".")
    if len(labels) < 2 or len(domain) > 253:
        return False
    for label in labels:
        try:
            ascii_label = label.encode("idna").decode("ascii") if not label.isascii() else label
        except UnicodeError:
            return False
        if not _LABEL.match(ascii_label):
            return False
    return True


def from_header_addresses(raw: bytes) -> list[str] | None:
    """The addresses of every From field, or None when there is no From field at all.

    Reads only the header section, with the one parser every check uses (`sealgate.mail`),
    so `From : x` (obsolete blanks before the colon) counts as a From field too. An address
    that does not parse counts as an empty one, so it can never match an account.
    """
    return _field_addresses(parse_header_section(raw), "From")


def _field_addresses(section: HeaderSection, name: str) -> list[str] | None:
    fields = section.get_all(name)
    if not fields:
        return None
    return [
        address
        for field in fields
        for address in (
            _addresses_of(field.value)
            if len(field.value) <= CACHED_FIELD_LENGTH
            else field_addresses(field.value)
        )
    ]


# Field values up to this length are remembered (1024 of them: at most about 1 MB).
CACHED_FIELD_LENGTH = 1000


@functools.lru_cache(maxsize=1024)
def _addresses_of(value: str) -> tuple[str, ...]:
    """`field_addresses` of one field value, remembered: a sender's From field is the same
    text message after message, and the email library's parse of it was a tenth of the
    server's CPU under load. The parse is a pure function of the text."""
    return tuple(field_addresses(value))


# A header section that ends within this many bytes is parsed on the event loop (well under a
# millisecond); a longer one, up to [submission] max_header_section, in a thread.
INLINE_HEADER_SECTION = 8192


async def _parsed_header_section(raw: bytes) -> HeaderSection:
    """The message's header section, parsed without holding up other sessions.

    The server's DATA reader already refused bare CR/LF and bounded the section's size.
    """
    if raw.find(b"\r\n\r\n", 0, INLINE_HEADER_SECTION) >= 0 or raw.startswith(b"\r\n"):
        return parse_header_section(raw)
    return await asyncio.to_thread(parse_header_section, raw)


def _tls_of(session: SubmissionSession) -> dict[str, str]:
    """The TLS version and cipher of the client's session ("" without STARTTLS): evidence of
    how the mail arrived, kept on the submission row."""
    tls = (session.ssl or {}).get("ssl_object")
    if tls is None:
        return {"tls_version": "", "tls_cipher": ""}
    cipher = tls.cipher()
    return {"tls_version": tls.version() or "", "tls_cipher": cipher[0] if cipher else ""}


class SubmissionEnvelope(Envelope):
    """aiosmtpd's envelope plus the typed MAIL and RCPT parameters of this transaction."""

    def __init__(self) -> None:
        super().__init__()
        self.mail_parameters = MailParameters()
        self.rcpt_parameters: dict[str, RcptParameters] = {}
        # The accounts looked up in this transaction, by (address, organisation): MAIL FROM
        # and the From field usually name the same one, which is then looked up once.
        self.accounts: dict[tuple[str, int], AccountInfo | None] = {}
        # A large message's content, streamed into the vault during DATA (spool.py); its
        # `content` is then only the header section.
        self.stored: StoredContent | None = None


class SubmissionHandler:
    """aiosmtpd hooks; one instance shared by every session of a `SubmissionServer`."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.max_recipients = rt.settings.submission.max_recipients
        self.committer = GroupCommitter(rt)

    async def handle_EHLO(
        self,
        server: SMTP,
        session: SubmissionSession,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        # aiosmtpd keeps these limits in a dict shared by every session (and cleared by each
        # new one); this session gets a dict of its own.
        base = server.command_size_limit
        server.command_size_limits = defaultdict(
            lambda: base, {"MAIL": MAIL_LINE_LIMIT, "RCPT": RCPT_LINE_LIMIT}
        )
        # Every reply carries an RFC 3463 code (replies.py), so the extension can be announced.
        # aiosmtpd reads one command at a time from its buffer, so pipelined input (RFC 2920)
        # always worked; DSN parameters are parsed in esmtp_params.py (RFC 3461).
        extensions = ["250-ENHANCEDSTATUSCODES", "250-PIPELINING", "250-DSN"]
        return [*responses[:-1], *extensions, responses[-1]]

    async def handle_MAIL(
        self,
        server: SMTP,
        session: SubmissionSession,
        envelope: SubmissionEnvelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """MAIL FROM, counted when refused (an accepted one is counted at DATA)."""
        reply = await self._mail(server, session, envelope, address, mail_options)
        if not reply.startswith("2"):
            metrics().submission("MAIL", reply)
        return reply

    async def _mail(
        self,
        server: SMTP,
        session: SubmissionSession,
        envelope: SubmissionEnvelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        try:
            parameters = parse_mail_parameters(" ".join(mail_options))
        except ParameterError as refused:
            return refused.reply
        limit = server.data_size_limit
        if parameters.size is not None and limit and parameters.size > limit:
            return replies.S552_TOO_BIG
        envelope.smtp_utf8 = parameters.smtputf8
        if address == "":
            return await self._null_sender(session, envelope, parameters, mail_options)
        if not is_mailbox(address):
            return replies.S501_BAD_SENDER_SYNTAX
        session.spf_submitter = None
        if session.submitter is None:
            session.spf_submitter = await self._spf_submitter(session, address)
        submitter = self._submitter(session)
        if submitter is None:
            return replies.S530_AUTH_REQUIRED
        if not address.isascii() and not envelope.smtp_utf8:
            return replies.S553_UTF8_NOT_DECLARED
        if await self._find_account(address, submitter, envelope) is None:
            log.info("mail from refused client=%s mail_from=%s", session.client, address)
            return replies.S550_MAIL_FROM_NOT_ACCOUNT
        return self._accept_sender(envelope, address, parameters, mail_options)

    async def _null_sender(
        self,
        session: SubmissionSession,
        envelope: SubmissionEnvelope,
        parameters: MailParameters,
        mail_options: list[str],
    ) -> str:
        """`MAIL FROM:<>`: an authenticated client, or one SPF authorises for its HELO name
        (RFC 7208 section 2.4); the From header is checked at DATA (`_null_sender_from`)."""
        session.spf_submitter = None
        if session.submitter is None:
            helo = session.host_name or ""
            if not is_mailbox(f"postmaster@{helo}"):
                return replies.S530_AUTH_REQUIRED
            session.spf_submitter = await self._spf_submitter(session, f"postmaster@{helo}", "")
        if self._submitter(session) is None:
            return replies.S530_AUTH_REQUIRED
        log.info("null sender client=%s", session.client)
        return self._accept_sender(envelope, "", parameters, mail_options)

    @staticmethod
    def _accept_sender(
        envelope: SubmissionEnvelope,
        address: str,
        parameters: MailParameters,
        mail_options: list[str],
    ) -> str:
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        envelope.mail_parameters = parameters
        envelope.rcpt_parameters = {}
        return replies.S250_SENDER_OK

    async def handle_RCPT(
        self,
        server: SMTP,
        session: SubmissionSession,
        envelope: SubmissionEnvelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            parameters = parse_rcpt_parameters(" ".join(rcpt_options))
        except ParameterError as refused:
            return refused.reply
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return replies.S452_TOO_MANY_RECIPIENTS
        if not is_mailbox(address):
            return replies.S501_BAD_RECIPIENT_SYNTAX
        if not address.isascii() and not envelope.smtp_utf8:
            return replies.S553_UTF8_NOT_DECLARED
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        envelope.rcpt_parameters[address] = parameters
        return replies.S250_RECIPIENT_OK

    async def handle_DATA(
        self, server: SMTP, session: SubmissionSession, envelope: Envelope
    ) -> str:
        session.busy = True
        started = time.monotonic()
        stored = envelope.stored if isinstance(envelope, SubmissionEnvelope) else None
        try:
            reply = await self._data(session, envelope, stored)
        finally:
            session.busy = False
            if isinstance(envelope, SubmissionEnvelope):
                envelope.stored = None
        metrics().submission("DATA", reply, time.monotonic() - started)
        return reply

    async def _data(
        self, session: SubmissionSession, envelope: Envelope, stored: StoredContent | None
    ) -> str:
        """`_decide`, and a streamed message's blob removed again unless it was committed
        (the committer removes it itself when its row fails)."""
        handed: list[bool] = []
        try:
            return await self._decide(session, envelope, stored, handed)
        finally:
            if stored is not None and not handed:
                await asyncio.to_thread(self.rt.vault.delete, stored.blob_id)

    async def _decide(
        self,
        session: SubmissionSession,
        envelope: Envelope,
        stored: StoredContent | None,
        handed: list[bool],
    ) -> str:
        """The reply to DATA; `raw` is the whole message, or its header section when the
        content is `stored` in the vault already. `handed` gets an entry once the
        committer owns `stored`."""
        raw = envelope.original_content or b""
        submitter = self._submitter(session)
        if submitter is None or envelope.mail_from is None:
            return replies.S530_AUTH_REQUIRED
        section = await _parsed_header_section(raw)
        if section.stray:
            log.info("malformed header section refused client=%s", session.client)
            return replies.S550_HEADER_SECTION_MALFORMED
        if envelope.mail_from == "":
            account: AccountInfo | str | None = await self._null_sender_from(
                section, session, submitter
            )
        else:
            account = await self._content_sender(section, session, submitter, envelope)
        if isinstance(account, str):
            return account
        problem = await self._control_header_problem(section, envelope.rcpt_tos, submitter)
        if problem:
            log.info(
                "control header refused client=%s mail_from=%s", session.client, envelope.mail_from
            )
            return replies.S550_CONTROL_HEADER.format(problem=problem)
        accepted = AcceptedMessage(
            raw=b"" if stored is not None else raw,
            stored=stored,
            org_id=submitter.org_id,
            account_id=account.id if account else None,
            mail_from=envelope.mail_from,
            rcpt_to=tuple(envelope.rcpt_tos),
            client_address=session.client,
            authenticated_as=submitter.username,
            **_tls_of(session),
            dsn=dsn_request(envelope.mail_parameters, envelope.rcpt_parameters)
            if isinstance(envelope, SubmissionEnvelope)
            else None,
        )
        try:
            handed.append(True)
            queue_id = await self.committer.commit(accepted)
        except Exception:
            log.exception(
                "commit failed client=%s mail_from=%s", session.client, envelope.mail_from
            )
            return replies.S451_LOCAL_ERROR
        log.info(
            "queued id=%s client=%s username=%s mail_from=%s from=%s rcpt_to=%s size=%d",
            queue_id,
            session.client,
            submitter.username,
            envelope.mail_from,
            account.email if account else "<organisation>",
            ",".join(envelope.rcpt_tos),
            stored.size if stored is not None else len(raw),
        )
        return replies.S250_QUEUED.format(queue_id=queue_id)

    async def _content_sender(
        self,
        section: HeaderSection,
        session: SubmissionSession,
        submitter: Submitter,
        envelope: Envelope,
    ) -> AccountInfo | str:
        """The account the From field names, or the reply that refuses the message.

        Exactly one From field with one address, an active account of the submitter's
        organisation; a Sender field, when present, must be one as well (RFC 5322 3.6.2: it
        names who actually sent the message, so it must not name someone else's mailbox).
        """
        addresses = _field_addresses(section, "From")
        if addresses is None:
            return replies.S550_FROM_HEADER_MISSING
        if len(addresses) != 1:
            return replies.S550_FROM_HEADER_NOT_SINGLE
        account = await self._find_account(addresses[0], submitter, envelope)
        if account is None:
            log.info("from header refused client=%s from=%s", session.client, addresses[0])
            return replies.S550_FROM_HEADER_NOT_ACCOUNT
        senders = _field_addresses(section, "Sender")
        if senders is not None and (
            len(senders) != 1 or await self._find_account(senders[0], submitter, envelope) is None
        ):
            log.info("sender header refused client=%s sender=%s", session.client, senders)
            return replies.S550_SENDER_HEADER_NOT_ACCOUNT
        return account

    async def _null_sender_from(
        self, section: HeaderSection, session: SubmissionSession, submitter: Submitter
    ) -> str | None:
        """A null-sender message is sent under the organisation's system identity: no account,
        but its one From address must be in a domain the organisation claims. None when it is;
        else the reply that refuses it."""
        addresses = _field_addresses(section, "From")
        if addresses is None:
            return replies.S550_FROM_HEADER_MISSING
        if len(addresses) != 1:
            return replies.S550_FROM_HEADER_NOT_SINGLE

        def claimant() -> int | None:
            with self.rt.db.begin() as db:
                org = org_claiming(db, addresses[0].rpartition("@")[2])
                return org.id if org else None

        if not addresses[0] or await asyncio.to_thread(claimant) != submitter.org_id:
            log.info("null sender from refused client=%s from=%s", session.client, addresses[0])
            return replies.S550_NULL_SENDER_FROM_DOMAIN
        return None

    async def handle_exception(self, error: Exception) -> str:
        # A failed handshake (an old TLS version, say) is the client's problem, not ours;
        # aiosmtpd closes that connection itself after this returns.
        if isinstance(error, TLSSetupException):
            log.info("tls handshake failed: %s", error.__cause__ or error)
            return replies.S454_TLS_UNAVAILABLE
        # The default reply would echo the exception text to the client; log it here instead.
        log.error("session error: %s", type(error).__name__, exc_info=error)
        return replies.S451_LOCAL_ERROR

    async def _control_header_problem(
        self, section: HeaderSection, recipients: list[str], submitter: Submitter
    ) -> str:
        """Why the zivver-access-right or sealgate-expiry headers cannot be applied ("" when
        they can).

        Checked here, before the 250, so that the sender hears of it; intake parses them again.
        An access code shorter than the organisation's minimum length is one such reason, an
        expiry in the past another. Most messages carry no such header: they cost neither a
        look-up nor a thread.
        """
        language = language_problem(section)
        if language:
            return language
        controls = controls_of(section)
        try:
            parse_expiry(controls.expiry, utcnow())
        except ControlHeaderError as exc:
            return str(exc)
        access_rights = controls.access_rights
        if not access_rights:
            return ""
        region = self.rt.settings.policy.default_phone_region

        def problem() -> str:
            with self.rt.db.begin() as session:
                code_minimum = access_code_minimum(session, submitter.org_id)
            try:
                parse_access_rights(access_rights, recipients, region, code_minimum)
            except ControlHeaderError as exc:
                return str(exc)
            return ""

        return await asyncio.to_thread(problem)

    @staticmethod
    def _submitter(session: SubmissionSession) -> Submitter | None:
        return session.submitter or session.spf_submitter

    async def _spf_submitter(
        self, session: SubmissionSession, address: str, mail_from: str | None = None
    ) -> Submitter | None:
        """A submitter for this transaction when the client passes SPF for the MAIL FROM
        domain and an organisation claimed that domain; None otherwise (fail closed).

        For the null sender `address` is postmaster@<HELO name> and `mail_from` is "": SPF
        then checks the HELO identity (RFC 7208 section 2.4), and the HELO name may be a host
        in a domain the organisation claimed (mta.hospital.example for hospital.example)."""
        domain = address.rpartition("@")[2].lower()
        names = [domain]
        if mail_from == "":
            labels = domain.split(".")
            names = [".".join(labels[i:]) for i in range(len(labels) - 1)]
        mail_from = address if mail_from is None else mail_from

        def claimant() -> int | None:
            with self.rt.db.begin() as db:
                for name in names:
                    org = org_claiming(db, name)
                    if org is not None:
                        return org.id
                return None

        org_id = await asyncio.to_thread(claimant)
        if org_id is None:
            return None
        resolver = self.rt.settings.transport.resolver or None
        result = await asyncio.to_thread(
            check_spf, session.client, mail_from, session.host_name or "", resolver_address=resolver
        )
        if not spf_authorises(result) or result.domain.lower() != domain:
            log.info(
                "spf refused client=%s mail_from=%s result=%s",
                session.client,
                address,
                result.result,
            )
            return None
        log.info("spf ok client=%s domain=%s", session.client, domain)
        return Submitter(org_id=org_id, credential_id=None, username=f"spf:{domain}")

    async def _find_account(
        self, address: str, submitter: Submitter, envelope: Envelope
    ) -> AccountInfo | None:
        """The active account `address` names in the submitter's organisation, or None.

        Looked up once per transaction (the envelope keeps the answer): a new MAIL FROM
        starts a new envelope, so an account disabled since is seen by the next message.
        """
        key = (address, submitter.org_id)
        accounts = envelope.accounts if isinstance(envelope, SubmissionEnvelope) else {}
        if key in accounts:
            return accounts[key]

        # A bare connection, not an ORM session: a read asked for every message, and the
        # session's set-up and events cost more CPU than the query (py-spy: a fifth of the
        # server's Python time went to this look-up).
        def lookup() -> AccountInfo | None:
            with self.rt.db.engine.connect() as connection:
                return find_active_account(connection, address, submitter.org_id)

        account = accounts[key] = await asyncio.to_thread(lookup)
        return account
