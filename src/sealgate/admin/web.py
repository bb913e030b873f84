"""The one web app `sealgate serve` runs: the portal, and the admin console, API and SCIM.

Composed here because admin sits above the portal: the console uses the portal's CSRF guard,
sessions and pages, and the portal knows nothing of admin.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount

from sealgate.admin.api import api_app
from sealgate.admin.console import console_routes
from sealgate.admin.scim import scim_app
from sealgate.bootstrap import Runtime
from sealgate.portal import create_app


def create_web_app(rt: Runtime) -> Starlette:
    return create_app(
        rt,
        extra_routes=[
            Mount("/api/v1", app=api_app(rt)),
            Mount("/scim/v2", app=scim_app(rt)),
            *console_routes(),
        ],
    )
