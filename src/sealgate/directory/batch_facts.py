"""The directory's facts about recipients, for a whole batch in four queries, not four each.

Route decides up to a batch of recipients in one transaction; asking about each (IDD
domain? NTA 7516 domain? active account? contact-book entries?) cost four queries and about
1 ms of CPU a recipient. `BatchDirectory` asks once for every recipient `load` is given and
then answers from memory: accounts and contacts by `mail.Address.key` and their stored
forms, domains by A-label, a personal entry before a shared one. These are the directory's
only copy of those rules: `recipient_facts` (facts.py, for `sealgate explain` and one
recipient at a time) is a batch of one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.directory.contacts import KINDS as CONTACT_KINDS
from sealgate.directory.contacts import stored_forms
from sealgate.mail import address_key, domain_key
from sealgate.policy import AccessRight, ContactMethod, RecipientFacts
from sealgate.store import Account, Contact, Domain, Nta7516Domain, Organisation
from sealgate.transport import TransportFacts

# One sender's contact books: (organisation, account or None for a null sender).
_Books = tuple[int, int | None]


@dataclass
class BatchDirectory:
    """What the directory says about the addresses `load` was given, in the caller's
    transaction. An address not loaded is loaded on first use (one more round of queries)."""

    session: Session
    _domains: set[str] = field(default_factory=set)
    _idd: set[str] = field(default_factory=set)
    _nta7516: set[str] = field(default_factory=set)
    _keys: set[str] = field(default_factory=set)
    _accounts: set[str] = field(default_factory=set)
    # Per sender's books: the stored forms read, and the entry per (form, kind).
    _forms: dict[_Books, set[str]] = field(default_factory=dict)
    _entries: dict[_Books, dict[tuple[str, str], list[Contact]]] = field(default_factory=dict)

    def load(self, books: _Books, addresses: Iterable[str]) -> None:
        """Read what is not read yet about `addresses` as recipients of a sender with
        `books`: at most four queries, however many addresses."""
        addresses = list(addresses)
        domains = {domain_key(address) for address in addresses} - self._domains
        if domains:
            self._domains |= domains
            self._idd |= set(
                self.session.scalars(
                    select(Domain.name).where(Domain.name.in_(domains), Domain.idd.is_(True))
                )
            )
            on_system = select(Domain.name).where(
                Domain.name.in_(domains),
                Domain.org_id == Organisation.id,
                Organisation.nta7516.is_(True),
            )
            listed = select(Nta7516Domain.name).where(Nta7516Domain.name.in_(domains))
            self._nta7516 |= set(self.session.scalars(on_system.union(listed)))
        keys = {address_key(address) for address in addresses} - self._keys
        if keys:
            self._keys |= keys
            self._accounts |= set(
                self.session.scalars(
                    select(Account.email).where(Account.email.in_(keys), Account.active.is_(True))
                )
            )
        read = self._forms.setdefault(books, set())
        forms = {form for address in addresses for form in stored_forms(address)} - read
        if forms:
            read |= forms
            self._read_contacts(books, forms)

    def _read_contacts(self, books: _Books, forms: set[str]) -> None:
        org_id, account_id = books
        shared = Contact.owner_account_id.is_(None)
        owners = shared if account_id is None else shared | (Contact.owner_account_id == account_id)
        rows = self.session.scalars(
            select(Contact)
            .where(
                Contact.org_id == org_id,
                Contact.address.in_(forms),
                Contact.kind.in_(CONTACT_KINDS),
                owners,
            )
            .order_by(Contact.id)
        )
        entries = self._entries.setdefault(books, {})
        for row in rows:
            entries.setdefault((row.address, row.kind), []).append(row)

    def entries(self, books: _Books, address: str) -> dict[str, Contact]:
        """The recipient's contact-book entry per kind: the sender's personal one, else the
        shared one. A personal entry wins even when it was never opened: the sender chose
        it for this person."""
        self.load(books, [address])
        entries = self._entries.get(books, {})
        found: dict[str, Contact] = {}
        for form in stored_forms(address):
            for kind in CONTACT_KINDS:
                for row in entries.get((form, kind), ()):
                    if kind not in found or row.owner_account_id is not None:
                        found[kind] = row
        return found

    def contacts(self, books: _Books, address: str) -> tuple[ContactMethod, ...]:
        """The recipient's contact methods (see `entries`), as policy weighs them."""
        found = self.entries(books, address)
        return tuple(
            ContactMethod(kind, found[kind].opened_at is not None)
            for kind in CONTACT_KINDS
            if kind in found
        )

    def recipient_facts(
        self,
        books: _Books,
        *,
        address: str,
        access_right: AccessRight | None,
        transport: TransportFacts,
        transport_matters: bool,
    ) -> RecipientFacts:
        """Everything policy needs to know about one recipient of a sender with `books`.

        The transport level costs a probe (cached, but network on a miss): it is asked only
        when a rule could use it, i.e. `transport_matters` (the org's transport security
        compliance or a direct-delivery header) or the recipient is reachable by IDD or
        NTA 7516. A malformed address keys to something no row holds."""
        self.load(books, [address])
        domain = domain_key(address)
        idd, nta7516 = domain in self._idd, domain in self._nta7516
        asks = transport_matters or idd or nta7516
        return RecipientFacts(
            address=address,
            has_account=address_key(address) in self._accounts,
            idd=idd,
            nta7516=nta7516,
            access_right=access_right,
            contacts=self.contacts(books, address),
            transport_level=transport.level(domain) if asks else None,
        )
