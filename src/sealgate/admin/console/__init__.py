"""The admin web console under /admin (issue 12): server-rendered, password + TOTP logins.

Receives: browsers of accounts that hold an admin role (admin/grants.py), through the
portal's app and its middleware (security headers, language, CSRF guard).
Hands off: the same directory, admin and audit calls the CLI makes, each change in one
transaction with its audit entry (actor "account:<address>"); `admin_sessions` rows.
Trust: a console session is apart from the portal's (its own table and cookie, scoped to
/admin, SameSite=Strict); every page checks `Principal.may(capability, org_id)` and answers
403 otherwise; reads metadata only, never message content; an API token's secret is shown
once from a sealed one-time flash.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from sealgate.admin.console.access import Handler, console_page
from sealgate.admin.console.accounts import (
    account_action,
    accounts_page,
    create_account,
    role_action,
)
from sealgate.admin.console.audit_trail import audit_page, export_download, verify_page
from sealgate.admin.console.contacts import (
    add_contact_entry,
    contacts_page,
    export_contacts,
    remove_contact_entry,
)
from sealgate.admin.console.credentials import (
    create_smtp_credential,
    credential_created,
    credentials_page,
    disable_smtp_credential,
)
from sealgate.admin.console.csv_import import ACCOUNT_IMPORT, CONTACT_IMPORT, ImportPages
from sealgate.admin.console.dashboard import dashboard_page
from sealgate.admin.console.dns import dns_page
from sealgate.admin.console.evidence import evidence_page, evidence_pdf
from sealgate.admin.console.login import login, login_form, logout
from sealgate.admin.console.message_actions import message_action
from sealgate.admin.console.messages import message_page, search_page
from sealgate.admin.console.nta7516 import add_nta7516, nta7516_page, remove_nta7516
from sealgate.admin.console.orgs import (
    claim_domain,
    claim_page,
    create_organisation,
    orgs_page,
    switch_idd,
    verify_domain,
)
from sealgate.admin.console.policy import policy_page, save_policy
from sealgate.admin.console.probes import probes_page, run_probe
from sealgate.admin.console.queue import cancel_queued, queue_page, retry_queued
from sealgate.admin.console.tokens import (
    create_api_token,
    revoke_api_token,
    token_created,
    tokens_page,
)

STATIC = Path(__file__).parent / "static"

# A console page: its path, what GET shows and what POST does (None: not served there).
Page = tuple[str, Handler | None, Handler | None]


def _imports(path: str, pages: ImportPages) -> list[Page]:
    return [
        (path, pages.form, pages.upload),
        (path + "/report", pages.report, None),
        (path + "/confirm", None, pages.confirm),
        (path + "/cancel", None, pages.cancel),
    ]


# Every handler runs behind `console_page` (the admin session checked, refusals as pages).
PAGES: list[Page] = [
    ("/admin", dashboard_page, None),
    ("/admin/messages", search_page, None),
    ("/admin/messages/{message_id}", message_page, None),
    ("/admin/messages/{message_id}/evidence", evidence_page, None),
    ("/admin/messages/{message_id}/evidence.pdf", evidence_pdf, None),
    ("/admin/messages/{message_id}/{action}", None, message_action),
    ("/admin/queue", queue_page, None),
    ("/admin/queue/{job_id}/retry", None, retry_queued),
    ("/admin/queue/{job_id}/cancel", None, cancel_queued),
    ("/admin/credentials", credentials_page, create_smtp_credential),
    ("/admin/credentials/created", credential_created, None),
    ("/admin/credentials/disable", None, disable_smtp_credential),
    ("/admin/orgs", orgs_page, create_organisation),
    ("/admin/orgs/idd", None, switch_idd),
    ("/admin/orgs/claim", claim_page, claim_domain),
    ("/admin/orgs/verify", None, verify_domain),
    ("/admin/nta7516", nta7516_page, add_nta7516),
    ("/admin/nta7516/remove", None, remove_nta7516),
    ("/admin/dns", dns_page, None),
    ("/admin/probes", probes_page, run_probe),
    *_imports("/admin/accounts/import", ACCOUNT_IMPORT),
    ("/admin/accounts", accounts_page, create_account),
    ("/admin/accounts/{action}", None, account_action),
    ("/admin/roles/{action}", None, role_action),
    ("/admin/tokens", tokens_page, create_api_token),
    ("/admin/tokens/created", token_created, None),
    ("/admin/tokens/revoke", None, revoke_api_token),
    ("/admin/policy", policy_page, save_policy),
    ("/admin/contacts", contacts_page, add_contact_entry),
    ("/admin/contacts/remove", None, remove_contact_entry),
    ("/admin/contacts/export", export_contacts, None),
    *_imports("/admin/contacts/import", CONTACT_IMPORT),
    ("/admin/audit", audit_page, None),
    ("/admin/audit/verify", verify_page, None),
    ("/admin/audit/export", export_download, None),
]


def console_routes() -> list[BaseRoute]:
    """The console's routes, served by the portal's app (its CSRF guard, headers, language)."""
    routes: list[BaseRoute] = [
        Route("/admin/login", login_form, methods=["GET"]),
        Route("/admin/login", login, methods=["POST"]),
        Route("/admin/logout", logout, methods=["POST"]),
    ]
    for path, show, act in PAGES:
        for method, handler in (("GET", show), ("POST", act)):
            if handler is not None:
                routes.append(Route(path, console_page(handler), methods=[method]))
    routes.append(Mount("/admin/static", StaticFiles(directory=STATIC), name="admin-static"))
    return routes
