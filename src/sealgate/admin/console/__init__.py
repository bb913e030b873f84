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

from sealgate.admin.console.access import console_page
from sealgate.admin.console.accounts import (
    account_action,
    accounts_page,
    create_account,
    role_action,
)
from sealgate.admin.console.audit_trail import audit_page, verify_page
from sealgate.admin.console.contacts import add_contact_entry, contacts_page, remove_contact_entry
from sealgate.admin.console.contacts_import import (
    cancel_import,
    confirm_import,
    import_form,
    import_report,
    upload_contacts,
)
from sealgate.admin.console.credentials import (
    create_smtp_credential,
    credential_created,
    credentials_page,
    disable_smtp_credential,
)
from sealgate.admin.console.dashboard import dashboard_page
from sealgate.admin.console.dns import dns_page
from sealgate.admin.console.evidence import evidence_page, evidence_pdf
from sealgate.admin.console.login import login, login_form, logout
from sealgate.admin.console.messages import message_page, revoke_message, search_page
from sealgate.admin.console.nta7516 import add_nta7516, nta7516_page, remove_nta7516
from sealgate.admin.console.orgs import create_organisation, orgs_page, switch_idd
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


def _page(path: str, handler: object, method: str = "GET") -> Route:
    return Route(path, console_page(handler), methods=[method])  # type: ignore[arg-type]


def console_routes() -> list[BaseRoute]:
    """The console's routes, served by the portal's app (its CSRF guard, headers, language)."""
    return [
        Route("/admin/login", login_form, methods=["GET"]),
        Route("/admin/login", login, methods=["POST"]),
        Route("/admin/logout", logout, methods=["POST"]),
        _page("/admin", dashboard_page),
        _page("/admin/messages", search_page),
        _page("/admin/messages/{message_id}", message_page),
        _page("/admin/messages/{message_id}/revoke", revoke_message, "POST"),
        _page("/admin/messages/{message_id}/evidence", evidence_page),
        _page("/admin/messages/{message_id}/evidence.pdf", evidence_pdf),
        _page("/admin/queue", queue_page),
        _page("/admin/queue/{job_id}/retry", retry_queued, "POST"),
        _page("/admin/queue/{job_id}/cancel", cancel_queued, "POST"),
        _page("/admin/credentials", credentials_page),
        _page("/admin/credentials", create_smtp_credential, "POST"),
        _page("/admin/credentials/created", credential_created),
        _page("/admin/credentials/disable", disable_smtp_credential, "POST"),
        _page("/admin/orgs", orgs_page),
        _page("/admin/orgs", create_organisation, "POST"),
        _page("/admin/orgs/idd", switch_idd, "POST"),
        _page("/admin/nta7516", nta7516_page),
        _page("/admin/nta7516", add_nta7516, "POST"),
        _page("/admin/nta7516/remove", remove_nta7516, "POST"),
        _page("/admin/dns", dns_page),
        _page("/admin/probes", probes_page),
        _page("/admin/probes", run_probe, "POST"),
        _page("/admin/accounts", accounts_page),
        _page("/admin/accounts", create_account, "POST"),
        _page("/admin/accounts/{action}", account_action, "POST"),
        _page("/admin/roles/{action}", role_action, "POST"),
        _page("/admin/tokens", tokens_page),
        _page("/admin/tokens", create_api_token, "POST"),
        _page("/admin/tokens/created", token_created),
        _page("/admin/tokens/revoke", revoke_api_token, "POST"),
        _page("/admin/policy", policy_page),
        _page("/admin/policy", save_policy, "POST"),
        _page("/admin/contacts", contacts_page),
        _page("/admin/contacts", add_contact_entry, "POST"),
        _page("/admin/contacts/remove", remove_contact_entry, "POST"),
        _page("/admin/contacts/import", import_form),
        _page("/admin/contacts/import", upload_contacts, "POST"),
        _page("/admin/contacts/import/report", import_report),
        _page("/admin/contacts/import/confirm", confirm_import, "POST"),
        _page("/admin/contacts/import/cancel", cancel_import, "POST"),
        _page("/admin/audit", audit_page),
        _page("/admin/audit/verify", verify_page),
        Mount("/admin/static", StaticFiles(directory=STATIC), name="admin-static"),
    ]
