"""Admin: who may administer what — roles, the grants accounts hold, and API tokens.

Receives: CLI commands (`sealgate token …`, `sealgate role …`) and, from the admin web
console and the REST API, a bearer secret or a logged-in account to turn into a `Principal`.
Hands off: `Principal.may(capability, org_id)`, the one check every admin endpoint makes;
`role_grants` and `api_tokens` rows.
Trust: keeps only SHA-256 digests of API tokens (256 random bits each, shown once); every
token expires within a year; an organisation role reaches only its own organisation.
roles.py and principal.py are pure.
"""

from sealgate.admin.account_imports import ORG_ROLES, write_accounts_import
from sealgate.admin.errors import AdminError
from sealgate.admin.grants import GrantListing, grant_role, grants_of, list_grants, revoke_role
from sealgate.admin.principal import Grant, Principal
from sealgate.admin.roles import ALLOWED, Capability, Role, may, role_named
from sealgate.admin.tokens import (
    DEFAULT_DAYS,
    MAX_DAYS,
    TOKEN_PREFIX,
    TokenListing,
    authenticate_token,
    create_token,
    list_tokens,
    revoke_token,
    token_digest,
)
from sealgate.admin.web import create_web_app

__all__ = [
    "ALLOWED",
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "ORG_ROLES",
    "TOKEN_PREFIX",
    "AdminError",
    "Capability",
    "Grant",
    "GrantListing",
    "Principal",
    "Role",
    "TokenListing",
    "authenticate_token",
    "create_token",
    "create_web_app",
    "grant_role",
    "grants_of",
    "list_grants",
    "list_tokens",
    "may",
    "revoke_role",
    "revoke_token",
    "role_named",
    "token_digest",
    "write_accounts_import",
]
