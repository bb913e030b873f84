"""Directory: organisations, their domains, accounts, credentials, policy settings and contacts.

Receives: admin commands (CLI) and look-ups from submission, intake, explain and portal.
Hands off: plain values (`AccountInfo`, `CredentialInfo`, `PolicyInfo`, `ContactInfo`, and the
policy facts of `facts.py`), never ORM rows, to other stages.
Trust: verifies passwords against argon2 hashes and generated SMTP credentials against
HMAC-SHA256 digests under a master-key subkey; never stores or logs a password; stores
contact access codes only as argon2 hashes and never hands a hash to a listing.
"""

from sealgate.directory.accounts import (
    AccountInfo,
    add_account,
    disable_account,
    find_account,
    find_active_account,
    normalise_address,
)
from sealgate.directory.contacts import (
    ContactInfo,
    add_contact,
    list_contacts,
    mark_contact_opened,
    normalise_phone,
    remove_contact,
)
from sealgate.directory.credentials import (
    CREDENTIAL_KEY_PURPOSE,
    CredentialInfo,
    checked_by_argon2,
    create_credential,
    disable_credential,
    verify_credential,
)
from sealgate.directory.errors import DirectoryError
from sealgate.directory.facts import (
    ContactEntry,
    find_contact,
    has_account,
    message_facts,
    org_policy,
    recipient_facts,
)
from sealgate.directory.idd import IddInfo, idd_domains, set_idd
from sealgate.directory.languages import OrgLanguage, org_language, set_org_language
from sealgate.directory.nta7516 import (
    add_nta7516_domain,
    list_nta7516_domains,
    remove_nta7516_domain,
)
from sealgate.directory.orgs import OrgInfo, create_org, find_org, normalise_domain, org_claiming
from sealgate.directory.passwords import hash_password, verify_password
from sealgate.directory.policy import (
    TSC_CHOICES,
    PolicyInfo,
    access_code_minimum,
    get_policy,
    set_policy,
)

__all__ = [
    "OrgLanguage",
    "org_language",
    "set_org_language",
    "TSC_CHOICES",
    "AccountInfo",
    "ContactEntry",
    "ContactInfo",
    "CREDENTIAL_KEY_PURPOSE",
    "CredentialInfo",
    "DirectoryError",
    "IddInfo",
    "OrgInfo",
    "PolicyInfo",
    "add_account",
    "add_contact",
    "add_nta7516_domain",
    "checked_by_argon2",
    "create_credential",
    "create_org",
    "disable_account",
    "disable_credential",
    "find_account",
    "find_active_account",
    "find_contact",
    "find_org",
    "org_claiming",
    "access_code_minimum",
    "get_policy",
    "hash_password",
    "idd_domains",
    "list_contacts",
    "list_nta7516_domains",
    "mark_contact_opened",
    "message_facts",
    "normalise_phone",
    "org_policy",
    "recipient_facts",
    "remove_contact",
    "remove_nta7516_domain",
    "set_idd",
    "set_policy",
    "verify_credential",
    "verify_password",
    "has_account",
    "normalise_address",
    "normalise_domain",
]
