"""`/healthz` and `/readyz`: what a load balancer or orchestrator asks before sending traffic.

`/healthz` only says the process answers HTTP (restart it if not). `/readyz` says whether it
can do its work: the database answers a `SELECT 1`, the vault's blob folder is there and
readable/writable (or its S3 bucket answers a one-key listing), and the configured resolver
answers a `. SOA` question. Each check has a short time limit, so a hung database, bucket or
resolver turns into 503, never into a hung probe. Both answer JSON with `Cache-Control:
no-store`, set no cookie and need no CSRF token (GET only, and they change nothing). A failed
check is named with one plain sentence: never the database URL or the bucket's endpoint (they
may hold a password), nor any message content.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from sealgate.bootstrap import Runtime
from sealgate.transport import Resolver
from sealgate.vault import FilesystemBlobStore

log = logging.getLogger(__name__)

# Each check gets at most this long; probes usually time out after a few seconds themselves.
CHECK_TIMEOUT = 2.0
OK = "ok"
NO_STORE = {"Cache-Control": "no-store"}


async def healthz(request: Request) -> JSONResponse:
    """The process is alive and serving HTTP; checks nothing else, so it never flaps."""
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


async def readyz(request: Request) -> JSONResponse:
    """200 when every dependency answers, else 503 naming the ones that did not."""
    rt: Runtime = request.app.state.rt
    checks = await run_checks(rt)
    ready = all(result == OK for result in checks.values())
    if not ready:
        log.warning("not ready: %s", ", ".join(name for name, r in checks.items() if r != OK))
    body = {"status": "ready" if ready else "unready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503, headers=NO_STORE)


async def run_checks(rt: Runtime) -> dict[str, str]:
    """Each check's name -> "ok" or a sentence saying what failed; run side by side."""
    named: dict[str, Callable[[Runtime], Awaitable[str]]] = {
        "database": check_database,
        "vault": check_vault,
        "resolver": check_resolver,
    }
    results = await asyncio.gather(*(_limited(name, check(rt)) for name, check in named.items()))
    return dict(zip(named, results, strict=True))


async def _limited(name: str, check: Awaitable[str]) -> str:
    try:
        return await asyncio.wait_for(check, CHECK_TIMEOUT)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT:g} seconds"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", said in a word
        log.info("readiness check %s failed: %s", name, type(exc).__name__)
        return f"failed: {type(exc).__name__}"


async def check_database(rt: Runtime) -> str:
    return await run_in_threadpool(_select_one, rt)


def _select_one(rt: Runtime) -> str:
    if rt.db.is_sqlite:
        # A pooled connection keeps answering on a deleted file, and a new one would create
        # an empty database in its place: so a missing file is checked for first.
        path = make_url(rt.db.url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            if not os.path.isfile(path):
                return "the SQLite database file is missing"
            if not os.access(path, os.R_OK | os.W_OK):
                return "the SQLite database file is not readable and writable"
    try:
        with rt.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - the driver's message may carry host names
        return f"the database does not answer ({type(exc).__name__})"
    return OK


async def check_vault(rt: Runtime) -> str:
    """The blob folder exists and may be read, written and searched, or the S3 bucket answers
    a listing of one key under the prefix; no blob is written."""
    store = rt.vault.store
    if isinstance(store, FilesystemBlobStore):
        return await run_in_threadpool(_folder_usable, store.root)
    check = getattr(store, "check", None)
    if check is None:
        return OK  # another store (tests) has nothing to check
    return str(await run_in_threadpool(check))


def _folder_usable(root: Path) -> str:
    if not root.is_dir():
        return "the blob folder is missing"
    if not os.access(root, os.R_OK | os.W_OK | os.X_OK):
        return "the blob folder is not readable and writable"
    return OK


async def check_resolver(rt: Runtime) -> str:
    """The configured resolver answers `. SOA` (NXDOMAIN counts: it answered)."""
    resolver = Resolver(rt.settings.transport.resolver, timeout=CHECK_TIMEOUT)
    answer = await resolver.lookup(".", "SOA")
    if answer.rcode in ("NOERROR", "NXDOMAIN"):
        return OK
    if answer.rcode == "TIMEOUT":
        return "the resolver did not answer"
    return f"the resolver answered {answer.rcode}"
