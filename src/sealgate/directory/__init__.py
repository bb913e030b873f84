"""Directory: organisations, their domains, accounts, credentials, policy settings, contacts,
and the revocation and expiry of messages' links.

Receives: admin commands (CLI) and look-ups from submission, intake, explain and portal.
Hands off: plain values (`AccountInfo`, `CredentialInfo`, `PolicyInfo`, `ContactInfo`, and the
policy facts of `facts.py`), never ORM rows, to other stages.
Trust: verifies passwords against argon2 hashes and generated SMTP credentials against
HMAC-SHA256 digests under a master-key subkey; never stores or logs a password; stores
contact access codes only as argon2 hashes and never hands a hash to a listing. New passwords
must pass `password_rules.py`; account links (invitation, reset) are kept only as SHA-256
hashes and each is spent once.
"""

from sealgate.directory.account_tokens import (
    AccountLink,
    LinkPurpose,
    find_account_link,
    issue_account_link,
    spend_account_link,
)
from sealgate.directory.accounts import (
    AccountInfo,
    AccountListing,
    active_account_id,
    add_account,
    disable_account,
    enable_account,
    find_account,
    find_active_account,
    is_set_up,
    list_accounts,
    normalise_address,
    reset_second_factor,
    set_account_password,
    set_display_name,
)
from sealgate.directory.accounts_csv import (
    ACCOUNT_COLUMNS,
    ACCOUNT_OPTIONAL_COLUMNS,
    AccountRowPlan,
    AccountsImportPlan,
    AppliedAccount,
    apply_accounts_import,
    plan_accounts_import,
)
from sealgate.directory.batch_facts import BatchDirectory
from sealgate.directory.brand_colours import check_accent, contrast_ratio
from sealgate.directory.brand_logo import (
    MAX_LOGO_BYTES,
    PNG_TYPE,
    SVG_TYPE,
    Logo,
    check_logo,
    sanitise_svg,
)
from sealgate.directory.brands import (
    BrandChange,
    BrandInfo,
    brand_of,
    find_brand,
    set_brand,
    stored_logo,
)
from sealgate.directory.contacts import (
    ContactInfo,
    add_contact,
    list_contacts,
    mark_contact_opened,
    normalise_phone,
    remove_contact,
)
from sealgate.directory.contacts_csv import (
    CONTACT_COLUMNS,
    ContactRowPlan,
    ContactsImportPlan,
    apply_contacts_import,
    export_contacts_csv,
    plan_contacts_import,
)
from sealgate.directory.credentials import (
    CREDENTIAL_KEY_PURPOSE,
    CredentialInfo,
    checked_by_argon2,
    create_credential,
    disable_credential,
    verify_credential,
)
from sealgate.directory.csv_table import RowProblem
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
from sealgate.directory.listings import (
    CredentialSummary,
    OrgSummary,
    list_credentials,
    list_orgs,
)
from sealgate.directory.lockouts import RecipientUnlock, recipient_by_address, unlock_recipient
from sealgate.directory.message_detail import (
    describe,
    describe_message,
    find_message,
    recipient_status,
)
from sealgate.directory.nta7516 import (
    add_nta7516_domain,
    list_nta7516_domains,
    remove_nta7516_domain,
)
from sealgate.directory.orgs import OrgInfo, claimable_domain, create_org, find_org, org_claiming
from sealgate.directory.password_rules import (
    PASSWORD_LIMITS,
    PASSWORD_MIN_LENGTH,
    PASSWORD_PROBLEMS,
    password_problem,
    password_problem_code,
)
from sealgate.directory.passwords import hash_password, verify_password
from sealgate.directory.policy import (
    EXPIRY_OFF,
    REMEMBER_DEVICE_DAYS_RANGE,
    TSC_CHOICES,
    PolicyInfo,
    access_code_minimum,
    expiry_days_default,
    get_policy,
    remember_device_days,
    set_policy,
)
from sealgate.directory.revocation import (
    CONTENT_DELETED,
    EXPIRED,
    REVOKED,
    LinkChange,
    LinkClosure,
    RevocationError,
    link_closure,
    revoke_links,
    set_expiry,
    unrevoke_links,
)

__all__ = [
    "BatchDirectory",
    "describe",
    "describe_message",
    "find_message",
    "recipient_status",
    "CredentialSummary",
    "CONTENT_DELETED",
    "EXPIRED",
    "EXPIRY_OFF",
    "REMEMBER_DEVICE_DAYS_RANGE",
    "remember_device_days",
    "LinkChange",
    "LinkClosure",
    "OrgSummary",
    "REVOKED",
    "RevocationError",
    "RecipientUnlock",
    "recipient_by_address",
    "unlock_recipient",
    "link_closure",
    "list_credentials",
    "list_orgs",
    "revoke_links",
    "set_expiry",
    "unrevoke_links",
    "OrgLanguage",
    "org_language",
    "set_org_language",
    "TSC_CHOICES",
    "AccountInfo",
    "AccountLink",
    "AccountListing",
    "LinkPurpose",
    "active_account_id",
    "enable_account",
    "find_account_link",
    "is_set_up",
    "issue_account_link",
    "list_accounts",
    "PASSWORD_MIN_LENGTH",
    "PASSWORD_LIMITS",
    "PASSWORD_PROBLEMS",
    "password_problem",
    "password_problem_code",
    "reset_second_factor",
    "set_account_password",
    "spend_account_link",
    "ContactEntry",
    "ContactInfo",
    "CREDENTIAL_KEY_PURPOSE",
    "CredentialInfo",
    "DirectoryError",
    "IddInfo",
    "OrgInfo",
    "BrandChange",
    "BrandInfo",
    "Logo",
    "MAX_LOGO_BYTES",
    "PNG_TYPE",
    "SVG_TYPE",
    "stored_logo",
    "brand_of",
    "check_accent",
    "check_logo",
    "contrast_ratio",
    "find_brand",
    "sanitise_svg",
    "set_brand",
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
    "expiry_days_default",
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
    "claimable_domain",
    # CSV import and export (issue 12).
    "ACCOUNT_COLUMNS",
    "ACCOUNT_OPTIONAL_COLUMNS",
    "AccountRowPlan",
    "AccountsImportPlan",
    "AppliedAccount",
    "apply_accounts_import",
    "plan_accounts_import",
    "CONTACT_COLUMNS",
    "ContactRowPlan",
    "ContactsImportPlan",
    "RowProblem",
    "apply_contacts_import",
    "export_contacts_csv",
    "plan_contacts_import",
    "set_display_name",
]
