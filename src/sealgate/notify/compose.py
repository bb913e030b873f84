"""Compose notifications and code mails: text + HTML, no content of the secured message.

Every mail gets Message-ID, Date, From and Sender so a DKIM signature can be added later
without changing anything else.

A mail to or from a non-ASCII address (zoë@exämple.org) is generated with raw UTF-8 header
fields (RFC 6532, `utf8=True`): RFC 2047 forbids encoded-words inside an address, and such a
mail can only travel with SMTPUTF8 anyway (delivery/mail_options.py). Other mails keep
encoded-words for non-ASCII names and subjects, which every server takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from sealgate.locale import _, current_language, install_into, long_when, use_language
from sealgate.mail import Address
from sealgate.notify import mime_bytes
from sealgate.notify.brand import MailBrand

_TEMPLATES = Environment(
    loader=PackageLoader("sealgate.notify", "templates"),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
    extensions=["jinja2.ext.i18n"],
    # Templates ship with the package: compiled once, not checked for changes on each mail.
    auto_reload=False,
)
# Templates mark their words with _(); they are read in the language the mail is composed in
# (`use_language` around the composing).
install_into(_TEMPLATES)


def _address(name: str, address: str) -> HeaderAddress:
    """A From or Sender field's address: parsed once, the domain as written."""
    local, domain = _address_parts(address)
    return HeaderAddress(display_name=name, username=local, domain=domain)


@lru_cache(maxsize=1024)
def _address_parts(address: str) -> tuple[str, str]:
    """(local part, domain as written) of a sender's address; a message's notifications all
    name the same sender, so each is parsed once."""
    parsed = Address.parse(address)
    return parsed.local, parsed.written_domain


def _base(
    *, from_: HeaderAddress, sender: HeaderAddress | None, to: str, subject: str, now: datetime
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = from_
    if sender is not None and sender.addr_spec != from_.addr_spec:
        mail["Sender"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid(domain=(sender or from_).domain)
    mail["Auto-Submitted"] = "auto-generated"
    return internationalised(mail, to, from_.addr_spec)


def internationalised(mail: EmailMessage, *addresses: str) -> EmailMessage:
    """`mail`, generated with raw UTF-8 headers when one of `addresses` is non-ASCII."""
    if not all(address.isascii() for address in addresses):
        mail.policy = policy.default.clone(utf8=True)
    return mail


def _render(
    mail: EmailMessage, template: str, brand: MailBrand, org_name: str, **values: object
) -> EmailMessage:
    """Text and HTML parts from `template`, each ending with the organisation's block."""
    language = current_language()
    values = {**brand.template_values(org_name), **values}
    text = _TEMPLATES.get_template(f"{template}.txt").render(language=language, **values)
    html = _TEMPLATES.get_template(f"{template}.html").render(language=language, **values)
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    # RFC 3282: the language the reader gets, on the whole mail (set after the parts, which
    # would otherwise take every Content-* field into the first part).
    mail["Content-Language"] = language
    return mail


@dataclass(frozen=True)
class HowToOpen:
    """What the recipient must show in the portal, as the notification words it.

    `proof` is one of the portal's proofs ("email_code", "sms_code", "access_code",
    "account"); `phone` is the masked number an SMS goes to (never the whole number), `hint`
    the access code's hint, which the sender wrote to be read (the code itself never travels).
    """

    proof: str = "email_code"
    phone: str = ""
    hint: str = ""


# The proofs a notification has words for; anything else is worded as the email code, the
# proof the portal falls back to.
PROOFS = ("email_code", "sms_code", "access_code", "account")


def compose_notification(**fields: Any) -> EmailMessage:
    """`notification_bytes(**fields)`, parsed: the mail as a mail program reads it (tests
    and the API's test world look at it so; route queues the bytes)."""
    raw = notification_bytes(**fields)
    ascii_only = str(fields["sender_address"]).isascii() and str(fields["recipient"]).isascii()
    mail = message_from_bytes(
        raw, policy=policy.default if ascii_only else policy.default.clone(utf8=True)
    )
    assert isinstance(mail, EmailMessage)
    return mail


@lru_cache(maxsize=256)
def _long_when(language: str, moment: datetime) -> str:
    """`long_when` in `language`, kept: a message's recipients mostly share their link's end,
    and Babel's formatting costs more than the rest of a notification's words."""
    with use_language(language):
        return long_when(moment)


def notification_bytes(
    *,
    sender_name: str,
    sender_address: str,
    recipient: str,
    link: str,
    now: datetime,
    org_name: str,
    until: datetime,
    how: HowToOpen | None = None,
    subject: str | None = None,
    language: str | None = None,
    brand: MailBrand | None = None,
) -> bytes:
    """The mail that tells a recipient a secure message waits, with the link to it, as the
    bytes route queues: written by `mime_bytes` (no `EmailMessage` per recipient).

    It names the organisation and the sender, says how the recipient proves who they are
    (`how`) and until when the link works (`until`, naive UTC). It carries no content: the
    message's `subject` only when the organisation allows it (None: not shown).
    `language` is one of `sealgate.locale.LANGUAGES` (English when None or not ours).
    `org_name` is the name the organisation shows (its display name); `brand` adds its
    support line, footer and accent.
    """
    shown = sender_name or sender_address
    how = how or HowToOpen()
    proof = how.proof if how.proof in PROOFS else "email_code"
    utf8 = not (sender_address.isascii() and recipient.isascii())
    local, domain = _address_parts(sender_address)
    with use_language(language):
        title = _("Secure message from %(sender)s (%(org)s)", sender=shown, org=org_name)
        if subject:
            title = _("%(title)s: %(subject)s", title=title, subject=subject)
        words = current_language()
        values = {
            **(brand or MailBrand()).template_values(org_name),
            "sender_name": sender_name,
            "sender_address": sender_address,
            "org": org_name,
            "link": link,
            "proof": proof,
            "phone": how.phone,
            "hint": how.hint,
            "subject": subject or "",
            "until": _long_when(words, until),
        }
        text = _TEMPLATES.get_template("notification.txt").render(language=words, **values)
        html = _TEMPLATES.get_template("notification.html").render(language=words, **values)
    headers = (
        mime_bytes.named_address_field("From", sender_name, local, domain, utf8),
        mime_bytes.address_field("To", recipient, utf8),
        mime_bytes.folded("Subject", title, utf8),
        mime_bytes.plain_field("Date", format_datetime(now)),
        mime_bytes.plain_field("Message-ID", make_msgid(domain=domain), utf8),
        b"Auto-Submitted: auto-generated\n",
        mime_bytes.plain_field("Sealgate-Proof", proof),
    )
    return mime_bytes.alternative(headers, text, html, words)


def compose_code_mail(
    *,
    recipient: str,
    code: str,
    sender_name: str,
    sender_address: str,
    system_from: str,
    ttl_minutes: int,
    now: datetime,
    language: str | None = None,
    org_name: str = "",
    brand: MailBrand | None = None,
) -> EmailMessage:
    """The mail with a verification code, sent from the system address on the sender's behalf.

    `language` is one of `sealgate.locale.LANGUAGES` (English when None or not ours). The
    mail is from `org_name` (the name the sender's organisation shows) and ends with its
    block (`brand`).
    """
    with use_language(language):
        mail = _base(
            from_=_address(org_name or _("Secure mail"), system_from),
            sender=None,
            to=recipient,
            subject=_("Your verification code: %(code)s", code=code),
            now=now,
        )
        internationalised(mail, sender_address)
        return _render(
            mail,
            "code",
            brand or MailBrand(),
            org_name,
            code=code,
            sender_name=sender_name or sender_address,
            sender_address=sender_address,
            ttl_minutes=ttl_minutes,
        )
