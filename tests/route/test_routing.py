"""Intake applies policy: each recipient gets what its decision says, and nothing weaker."""

from __future__ import annotations

from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser

from sqlalchemy import select, update

from sealgate.bootstrap import Runtime
from sealgate.delivery import queued_mail
from sealgate.directory import hash_password, verify_password
from sealgate.store import (
    Contact,
    LinkToken,
    Nta7516Domain,
    Organisation,
    OutboundJob,
    Recipient,
    utcnow,
)
from tests.conftest import Sender
from tests.intake.conftest import Submit
from tests.route.pipeline import process_incoming

PATIENT = "pat@example.org"


def _mail(**headers: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Alice Arts <alice@hospital.example>"
    mail["To"] = PATIENT
    mail["Subject"] = "Results"
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content("Confidential body.")
    return mail.as_bytes()


def _add_contact(
    runtime: Runtime,
    kind: str,
    *,
    phone: str = "",
    code_hash: str = "",
    hint: str = "",
    opened: bool = False,
) -> int:
    """A shared contact-book entry of the sender's organisation for PATIENT."""
    with runtime.db.begin() as session:
        contact = Contact(
            org_id=1,
            owner_account_id=None,
            address=PATIENT,
            kind=kind,
            phone=phone,
            code_hash=code_hash,
            hint=hint,
            opened_at=utcnow() if opened else None,
            created_at=utcnow(),
        )
        session.add(contact)
        session.flush()
        return contact.id


def _routed(runtime: Runtime) -> tuple[Recipient, list[OutboundJob], int]:
    assert process_incoming(runtime) == 1
    with runtime.db.begin() as session:
        (recipient,) = session.scalars(select(Recipient)).all()
        jobs = list(session.scalars(select(OutboundJob)).all())
        tokens = len(session.scalars(select(LinkToken)).all())
    return recipient, jobs, tokens


def test_direct_delivery_is_queued_with_the_level_it_must_prove(
    runtime: Runtime, submit: Submit
) -> None:
    """NTA 7516 on both sides → direct, due now, to be delivered only at PKIX or better."""
    with runtime.db.begin() as session:
        session.execute(update(Organisation).values(nta7516=True))
        session.add(Nta7516Domain(name="example.org", created_at=utcnow()))
    submit(_mail(), [PATIENT])
    recipient, jobs, tokens = _routed(runtime)
    assert (recipient.method, recipient.delivery) == ("nta7516", "direct")
    assert [(job.kind, job.state, job.required_level) for job in jobs] == [
        ("direct", "incoming", "pkix")
    ]
    assert tokens == 0
    delivered = queued_mail(runtime.vault, jobs[0])
    assert b"Confidential body." in delivered and b"zivver" not in delivered.lower()


def test_fallback_prevented_sends_a_dsn_and_no_notification(
    runtime: Runtime, submit: Submit, sender: Sender
) -> None:
    submit(_mail(zivver_direct_delivery="tls tls1.2 auth certificate-validation"), [PATIENT])
    recipient, jobs, tokens = _routed(runtime)
    assert (recipient.method, recipient.delivery) == ("none", "none")
    assert [(job.kind, job.rcpt_to, job.mail_from) for job in jobs] == [("dsn", sender.address, "")]
    assert tokens == 0
    report = BytesParser(policy=email_policy.default).parsebytes(
        queued_mail(runtime.vault, jobs[0])
    )
    assert report.get_content_type() == "multipart/report"
    text = report.get_body(preferencelist=("plain",)).get_content()
    assert PATIENT in text and "Email Security Policy" in text
    assert "Confidential body." not in report.as_string()


def test_access_right_code_is_stored_hashed(runtime: Runtime, submit: Submit) -> None:
    submit(_mail(zivver_access_right=f"{PATIENT} access-code 4711-secret"), [PATIENT])
    recipient, jobs, _ = _routed(runtime)
    assert recipient.method == "access_right_access_code"
    assert "4711-secret" not in recipient.access_code_hash
    assert verify_password(recipient.access_code_hash, "4711-secret")
    assert [job.kind for job in jobs] == ["notification"]


def test_opened_contact_sms_is_copied_onto_the_recipient(
    runtime: Runtime, submit: Submit, sender: Sender
) -> None:
    contact_id = _add_contact(runtime, "sms", phone="+31612345678", opened=True)
    submit(_mail(), [PATIENT])
    recipient, jobs, tokens = _routed(runtime)
    assert (recipient.method, recipient.phone, recipient.contact_id) == (
        "sms",
        "+31612345678",
        contact_id,
    )
    assert tokens == 1 and [job.kind for job in jobs] == ["notification"]


def test_unopened_contact_access_code_is_not_applied(runtime: Runtime, submit: Submit) -> None:
    _add_contact(runtime, "access_code", code_hash=hash_password("1234"), hint="your birth year")
    submit(_mail(), [PATIENT])
    recipient, _, _ = _routed(runtime)
    assert recipient.method == "email_verification"
    assert recipient.access_code_hash == "" and recipient.contact_id is None


def test_access_right_naming_the_contact_phone_links_the_contact(
    runtime: Runtime, submit: Submit
) -> None:
    """Opening a message sent with the header is what later lets the contact apply by itself."""
    contact_id = _add_contact(runtime, "sms", phone="+31612345678")
    submit(_mail(zivver_access_right=f"{PATIENT} sms +31 6 1234 5678"), [PATIENT])
    recipient, _, _ = _routed(runtime)
    assert (recipient.method, recipient.contact_id) == ("access_right_sms", contact_id)


def test_access_right_with_another_phone_does_not_link_the_contact(
    runtime: Runtime, submit: Submit
) -> None:
    _add_contact(runtime, "sms", phone="+31612345678")
    submit(_mail(zivver_access_right=f"{PATIENT} sms +31 6 8765 4321"), [PATIENT])
    recipient, _, _ = _routed(runtime)
    assert (recipient.phone, recipient.contact_id) == ("+31687654321", None)
