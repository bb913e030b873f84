"""The REST API at /api/v1 (issue 12): JSON over every admin capability, bearer tokens."""

from __future__ import annotations

from starlette.applications import Starlette

from sealgate.bootstrap import Runtime


def api_app(rt: Runtime) -> Starlette:
    """The /api/v1 app; a sub-app so its errors are JSON, not the portal's pages."""
    app = Starlette(routes=[])
    app.state.rt = rt
    return app
