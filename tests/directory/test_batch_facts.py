"""A batch loaded with many addresses says for each what a lookup of that one recipient
(`recipient_facts`, a batch of one) says: IDD and NTA 7516 domains (claimed or listed),
accounts (active or not), shared and personal contact entries under every stored form,
malformed and non-ASCII addresses; and once loaded it asks the database nothing more."""

from __future__ import annotations

from sqlalchemy import event, update

from sealgate.bootstrap import Runtime
from sealgate.directory import BatchDirectory, add_account, create_org, recipient_facts
from sealgate.store import Account, Contact, Domain, Nta7516Domain, Organisation, utcnow
from sealgate.transport import AssumedLevels, TransportLevel, UnknownTransport
from tests.conftest import Sender

ADDRESSES = [
    "patient@example.org",
    "Patient@Example.ORG",
    "nurse@idd.example",
    "doctor@nta.example",
    "clerk@listed.example",
    "gone@nta.example",
    "zoë@exämple.org",
    "ZOË@EXÄMPLE.ORG",
    "friend@xn--exmple-cua.org",
    "not an address",
    "",
    "shared@example.org",
    "alice@hospital.example",
]


def _world(runtime: Runtime, sender: Sender) -> tuple[int, int]:
    """Another organisation with IDD and NTA 7516 domains, accounts, and contact entries of
    both books; (org id, alice's account id)."""
    with runtime.db.begin() as session:
        other = create_org(session, "Clinic", ["idd.example", "nta.example"])
        session.execute(update(Domain).where(Domain.name == "idd.example").values(idd=True))
        session.execute(
            update(Organisation).where(Organisation.id == other.id).values(nta7516=True)
        )
        session.add(Nta7516Domain(name="listed.example", created_at=utcnow()))
        add_account(session, "nurse@idd.example", "Clinic", "pw-nurse-1", "Nurse")
        add_account(session, "gone@nta.example", "Clinic", "pw-gone-1", "Gone")
        session.execute(
            update(Account).where(Account.email == "gone@nta.example").values(active=False)
        )
        session.flush()
        alice = session.query(Account).filter_by(email=sender.address).one()
        other_account = session.query(Account).filter_by(email="nurse@idd.example").one()
        entries = [
            (None, "patient@example.org", "sms", True),
            (alice.id, "patient@example.org", "sms", False),  # personal wins, never opened
            (None, "patient@example.org", "access_code", False),
            (None, "zoë@xn--exmple-cua.org", "access_code", True),  # the key form
            (None, "zoë@exämple.org", "sms", True),  # the old U-label form
            (other_account.id, "shared@example.org", "sms", True),  # another sender's book
            (None, "shared@example.org", "access_code", True),
        ]
        for owner, address, kind, opened in entries:
            session.add(
                Contact(
                    org_id=alice.org_id,
                    owner_account_id=owner,
                    address=address,
                    kind=kind,
                    phone="+31612345678" if kind == "sms" else "",
                    code_hash="",
                    hint="",
                    opened_at=utcnow() if opened else None,
                    created_at=utcnow(),
                )
            )
        return alice.org_id, alice.id


def test_a_loaded_batch_says_what_one_recipients_lookup_says(
    runtime: Runtime, sender: Sender
) -> None:
    org_id, account_id = _world(runtime, sender)
    transport = AssumedLevels({"example.org": TransportLevel.from_text("tls")}, UnknownTransport())
    for books in ((org_id, account_id), (org_id, None)):
        for matters in (True, False):
            with runtime.db.begin() as session:
                batch = BatchDirectory(session)
                batch.load(books, ADDRESSES)
                for address in ADDRESSES:
                    expected = recipient_facts(
                        session,
                        sender_org_id=books[0],
                        sender_account_id=books[1],
                        address=address,
                        access_right=None,
                        transport=transport,
                        transport_matters=matters,
                    )
                    got = batch.recipient_facts(
                        books,
                        address=address,
                        access_right=None,
                        transport=transport,
                        transport_matters=matters,
                    )
                    assert got == expected, address


def test_a_loaded_batch_asks_no_more_queries(runtime: Runtime, sender: Sender) -> None:
    org_id, account_id = _world(runtime, sender)
    statements: list[str] = []
    with runtime.db.begin() as session:
        batch = BatchDirectory(session)
        event.listen(
            session.get_bind(), "before_cursor_execute", lambda *a: statements.append(a[2])
        )
        batch.load((org_id, account_id), ADDRESSES)
        loaded = len(statements)
        for address in ADDRESSES:
            batch.recipient_facts(
                (org_id, account_id),
                address=address,
                access_right=None,
                transport=UnknownTransport(),
                transport_matters=False,
            )
    assert loaded <= 4
    assert len(statements) == loaded
