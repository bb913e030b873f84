"""SCIM 2.0 at /scim/v2 (RFC 7643/7644): identity providers provision sender accounts."""

from __future__ import annotations

from starlette.applications import Starlette

from sealgate.bootstrap import Runtime


def scim_app(rt: Runtime) -> Starlette:
    """The /scim/v2 app; a sub-app so its errors are SCIM JSON, not the portal's pages."""
    app = Starlette(routes=[])
    app.state.rt = rt
    return app
