"""The admin web console under /admin (issue 12): server-rendered, password + TOTP logins."""

from __future__ import annotations

from starlette.routing import BaseRoute


def console_routes() -> list[BaseRoute]:
    """The console's routes, served by the portal's app (its CSRF guard, headers, language)."""
    return []
