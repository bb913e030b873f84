"""SCIM 2.0 at /scim/v2 (RFC 7643/7644): identity providers provision sender accounts.

Receives: HTTP from an identity provider (Entra ID, Okta) with an org-admin API token as
Bearer: `/Users` (list with `filter=userName eq "…"`, startIndex, count; create), `/Users/{id}`
(get, PUT, PATCH, DELETE), and the discovery resources `/ServiceProviderConfig`,
`/ResourceTypes`, `/Schemas`.
Hands off: accounts through the directory (created, renamed, enabled, disabled), invitation
mails through the portal's account links, and one audit entry per change (actor
`token:<id>`), each in the request's one transaction.
Trust: faces whatever network reaches the web listener; a token reaches its own
organisation only; bodies are capped at 64 KiB; errors are SCIM Error documents.
documents.py and requests.py are pure.
"""

from __future__ import annotations

from starlette.applications import Starlette

from sealgate.admin.scim.app import build_scim_app
from sealgate.bootstrap import Runtime


def scim_app(rt: Runtime) -> Starlette:
    """The /scim/v2 app; a sub-app so its errors are SCIM JSON, not the portal's pages."""
    return build_scim_app(rt)


__all__ = ["scim_app"]
