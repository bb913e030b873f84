"""Messages to recipients of every verification method, built straight in the database.

`store_for(rt, sender, specs)` stores one message from the sender to the recipients in
`specs`, each with the method, phone, access code (hashed like intake does) and contact the
spec names, and a link for each; `store_readable` does the same for a readable form of your
own. `add_contact` adds a contact-book row; `add_reader` an organisation with an account that
receives messages.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.directory import add_account, create_org, hash_password
from sealgate.intake.readable import Attachment, ReadableMessage
from sealgate.notify import new_token
from sealgate.notify.sms import OUTBOX_NAME
from sealgate.store import (
    Account,
    Contact,
    Conversation,
    LinkToken,
    Message,
    Recipient,
    Submission,
    new_id,
    utcnow,
)
from tests.conftest import Sender

PHONE = "+31612345678"
MASKED_PHONE = "+31 6 \u2022\u2022\u2022 \u2022\u2022\u2022 78"
_SMS_CODE = re.compile(r"^(\d{6}) is your code")


@dataclass(frozen=True)
class Guest:
    address: str
    recipient_id: str
    token: str


@dataclass(frozen=True)
class Spec:
    address: str
    method: str = "email_verification"
    phone: str = ""
    access_code: str = ""
    hint: str = ""
    contact_id: int | None = None
    delivery: str = "notification"
    role: str = "to"


def add_link(session, recipient_id: str, expires_in: timedelta) -> str:  # type: ignore[no-untyped-def]
    token, token_hash = new_token()
    session.add(
        LinkToken(
            recipient_id=recipient_id, token_hash=token_hash, expires_at=utcnow() + expires_in
        )
    )
    return token


def store_for(
    rt: Runtime,
    sender: Sender,
    specs: list[Spec],
    *,
    subject: str = "Your appointment",
    attachment: bytes = b"",
) -> dict[str, Guest]:
    """One message to `specs`; the guests by address."""
    attachments: tuple[Attachment, ...] = ()
    if attachment:
        blob = rt.vault.put_bytes(attachment)
        attachments = (Attachment("letter.pdf", "application/pdf", len(attachment), blob),)
    readable = ReadableMessage(
        subject=subject,
        sender=f"{sender.name} <{sender.address}>",
        to=tuple(spec.address for spec in specs),
        cc=(),
        date="Tue, 03 Mar 2026 10:00:00 +0100",
        text=f"Body of {subject}",
        html="",
        attachments=attachments,
    )
    return store_readable(rt, sender, readable, specs)


def store_readable(
    rt: Runtime, sender: Sender, readable: ReadableMessage, specs: list[Spec]
) -> dict[str, Guest]:
    """The message `readable` to `specs` in one conversation; the guests by address."""
    now = utcnow()
    with rt.db.begin() as session:
        account = session.scalars(select(Account).where(Account.email == sender.address)).one()
        submission = Submission(
            id=new_id(),
            org_id=account.org_id,
            account_id=account.id,
            mail_from=sender.address,
            rcpt_to=[spec.address for spec in specs],
            blob_id=rt.vault.put_bytes(b"raw"),
            size=3,
            state="done",
            received_at=now,
        )
        session.add(submission)
        session.flush()
        message = Message(
            id=new_id(),
            submission_id=submission.id,
            org_id=account.org_id,
            sender_account_id=account.id,
            sender_address=sender.address,
            sender_name=sender.name,
            content_blob_id=rt.vault.put_bytes(readable.to_json()),
            control_headers={},
            created_at=now,
        )
        session.add(message)
        session.flush()
        conversation = Conversation(id=new_id(), message_id=message.id, kind="to_cc")
        session.add(conversation)
        session.flush()
        guests = {}
        for spec in specs:
            recipient = Recipient(
                id=new_id(),
                conversation_id=conversation.id,
                message_id=message.id,
                address=spec.address,
                role=spec.role,
                method=spec.method,
                delivery=spec.delivery,
                decision={},
                opened_at=None,
                created_at=now,
                phone=spec.phone,
                access_code_hash=hash_password(spec.access_code) if spec.access_code else "",
                access_code_hint=spec.hint,
                contact_id=spec.contact_id,
            )
            session.add(recipient)
            session.flush()
            token = add_link(session, recipient.id, timedelta(days=90))
            guests[spec.address] = Guest(spec.address, recipient.id, token)
    return guests


def add_contact(
    rt: Runtime, sender: Sender, address: str, kind: str, *, phone: str = "", code: str = ""
) -> int:
    """A shared contact-book entry of the sender's organisation, never opened yet."""
    with rt.db.begin() as session:
        account = session.scalars(select(Account).where(Account.email == sender.address)).one()
        contact = Contact(
            org_id=account.org_id,
            owner_account_id=None,
            address=address,
            kind=kind,
            phone=phone,
            code_hash=hash_password(code) if code else "",
            hint="",
            opened_at=None,
            created_at=utcnow(),
        )
        session.add(contact)
        session.flush()
        return contact.id


def add_reader(rt: Runtime, email: str, password: str, org: str = "Clinic") -> int:
    """An organisation (the address's domain) with an account that receives messages."""
    with rt.db.begin() as session:
        create_org(session, org, [email.rpartition("@")[2]])
        return add_account(session, email, org, password, "Dora Dekker").id


def outbox(rt: Runtime) -> list[dict[str, str]]:
    path = Path(rt.settings.storage.data_dir) / OUTBOX_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def sms_code_in(text: str) -> str:
    match = _SMS_CODE.match(text)
    assert match, "no code in the SMS"
    return match.group(1)


def latest_sms_code(rt: Runtime, phone: str = PHONE) -> str:
    texts = [sms["text"] for sms in outbox(rt) if sms["to"] == phone]
    assert texts, "no SMS in the outbox"
    return sms_code_in(texts[-1])
