"""The functional core stays pure: no sockets, SQL, frameworks, clock or randomness (STYLE.md A)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "sealgate"
PURE = sorted(
    [*SRC.glob("policy/*.py")]
    + [
        SRC / name
        for name in (
            "mail/__init__.py",
            "mail/headers.py",
            "intake/control_headers.py",
            "intake/conversations.py",
            "delivery/schedule.py",
            "delivery/outcome.py",
            "delivery/dsn.py",
            "vault/envelope.py",
            "transport/dane.py",
            "transport/tlsa.py",
            "transport/levels.py",
            "transport/dnssec.py",
            "transport/mx.py",
            "transport/grade.py",
            "delivery/dkim.py",
            "delivery/direct_mail.py",
            "delivery/mail_options.py",
            "delivery/tls_policy.py",
            "mail/address.py",
            "mail/xtext.py",
            "submission/esmtp_params.py",
        )
    ]
)
FORBIDDEN_MODULES = {
    "asyncio",
    "socket",
    "ssl",
    "sqlalchemy",
    "aiosmtpd",
    "aiosmtplib",
    "starlette",
    "uvicorn",
    "dns.resolver",
    "dns.asyncresolver",
    "random",
    "secrets",
    "time",
}
FORBIDDEN_CALLS = {"now", "utcnow", "today", "time", "urandom", "token_bytes", "token_hex"}


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(SRC)))
def test_pure_module_imports_no_io(path: Path) -> None:
    tree = ast.parse(path.read_text())
    bad = {
        name
        for name in _imports(tree)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_MODULES)
    }
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(SRC)))
def test_pure_module_reads_no_clock_or_randomness(path: Path) -> None:
    tree = ast.parse(path.read_text())
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not calls & FORBIDDEN_CALLS, f"{path.name} calls {calls & FORBIDDEN_CALLS}"
