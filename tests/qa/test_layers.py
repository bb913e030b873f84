"""The layers of sealgate, read from the source: who may import whom (DESIGN.md, STYLE.md B13).

Three rules, each checked over the AST of every module under src/sealgate (function-level
imports included, since a late import is still a dependency):

(a) No import cycle: neither between two modules nor between two stages. A stage is a
    package directly under sealgate/ (submission, intake, policy, …) or a top-level module
    (config, bootstrap). A cycle means neither side can be understood, tested or replaced
    alone; the old `delivery` <-> `intake` late import was one.
(b) A stage uses another only through its public names: `from sealgate.delivery import
    enqueue` (a name in delivery/__init__'s `__all__`) is fine, `sealgate.delivery.queue` is
    not. The same holds for cli and bootstrap. Within a stage, modules import each other
    freely.
(c) Pure modules (STYLE.md A) import no I/O and read no clock: they take `now` and random
    values as arguments.

The layers, bottom to top. A layer imports only from layers below it or from its own:
  BOTTOM   mail, config, store, vault, bootstrap: shared values, settings, rows, blobs, and
           the `Runtime` that bundles them; they import no stage above them.
  STAGES   policy, transport, directory, notify, intake, delivery, submission, portal, demo,
           route: they import each other's public names, never in a cycle.
  EDGE     cli and __main__ (parse, call, print; `serve` wires the stages together):
           nothing below imports them.

`KNOWN_VIOLATIONS` lists what this test finds in files other helpers are rewriting for
issue 9; each entry says who owns it. The lead empties it after merging their work.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "sealgate"

BOTTOM = frozenset({"mail", "config", "store", "vault", "bootstrap"})
EDGE = frozenset({"cli", "__main__"})

# Modules that must stay free of I/O (STYLE.md A "(pure)"), as globs under sealgate/.
PURE_GLOBS = (
    "policy/*.py",
    "mail/*.py",
    "transport/levels.py",
    "transport/dane.py",
    "transport/tlsa.py",
    "transport/dnssec.py",
    "transport/mx.py",
    "transport/grade.py",
    "delivery/schedule.py",
    "delivery/outcome.py",
    "delivery/dsn.py",
    "delivery/dkim.py",
    "delivery/direct_mail.py",
    "delivery/mail_options.py",
    "delivery/tls_policy.py",
    "intake/control_headers.py",
    "intake/conversations.py",
    "store/states.py",
    "vault/envelope.py",
    "submission/esmtp_params.py",
)
IO_MODULES = frozenset(
    {
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
        "smtplib",
        "http",
        "urllib.request",
        "subprocess",
        "threading",
        "time",
        "random",
        "secrets",
        "os",
    }
)
CLOCK_CALLS = frozenset(
    {"now", "utcnow", "today", "time", "monotonic", "urandom", "token_bytes", "token_hex"}
)

# Violations still present, as (rule, importer, imported); the list may only shrink.
KNOWN_VIOLATIONS: frozenset[tuple[str, str, str]] = frozenset({})


@dataclass(frozen=True)
class Import:
    """One import statement's target, resolved to the sealgate module or name it reaches."""

    importer: str
    target: str
    line: int


def module_name(path: Path) -> str:
    """`sealgate.delivery.queue` for src/sealgate/delivery/queue.py; packages drop __init__."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@cache
def tree_of(name: str) -> ast.Module:
    return ast.parse(modules()[name].read_text(), filename=str(modules()[name]))


def _absolute(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module of `from … import`, resolving relative imports against importer."""
    if not node.level:
        return node.module or ""
    is_package = modules()[importer].name == "__init__.py"
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(name: str) -> Iterator[Import]:
    """Every module or name the module `name` imports, at any depth of its AST."""
    return imports_in(name, tree_of(name))


def imports_in(name: str, tree: ast.AST) -> Iterator[Import]:
    """Every module or name `tree` (the source of module `name`) imports, at any depth.

    `from sealgate.delivery import dkim` reaches the module `sealgate.delivery.dkim`, and is
    reported as such, so that a submodule imported through its package counts as deep."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(name, node)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield Import(name, sub if sub in modules() else base, node.lineno)


def imported_names(name: str) -> Iterator[tuple[str, str, int]]:
    """(package, name, line) for each `from sealgate.<pkg> import name` in module `name`."""
    for node in ast.walk(tree_of(name)):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            for alias in node.names:
                yield node.module, alias.name, node.lineno


def stage_of(module: str) -> str:
    """The stage a sealgate module belongs to: the first name under `sealgate`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def is_package(module: str) -> bool:
    return module in modules() and modules()[module].name == "__init__.py"


@cache
def public_names(package: str) -> frozenset[str]:
    """The names in `package`'s `__all__`, read from its __init__ without importing it."""
    for node in tree_of(package).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                assert node.value is not None
                return frozenset(ast.literal_eval(node.value))
    return frozenset()


def internal_edges() -> Iterator[Import]:
    for name in modules():
        for found in imports_of(name):
            if found.target == "sealgate" or found.target.startswith("sealgate."):
                yield found


def _module_graph() -> dict[str, set[str]]:
    """Module -> the sealgate modules it imports.

    Importing `sealgate.delivery.dkim` first runs `sealgate/delivery/__init__.py`, so an
    import of a module in another package is an edge to that package's __init__ too (that
    is how directory -> delivery.dkim -> delivery -> worker -> … closed a cycle)."""
    graph: dict[str, set[str]] = {name: set() for name in modules()}
    for edge in internal_edges():
        target = edge.target
        while target not in modules():
            target = target.rpartition(".")[0]
        own = edge.importer if is_package(edge.importer) else edge.importer.rpartition(".")[0]
        reached = {target}
        parent = target.rpartition(".")[0]
        while parent.count(".") >= 1:
            if not (own == parent or own.startswith(parent + ".")):
                reached.add(parent)
            parent = parent.rpartition(".")[0]
        graph[edge.importer] |= reached - {edge.importer}
    return graph


def _stage_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for importer, targets in _module_graph().items():
        for target in targets:
            a, b = stage_of(importer), stage_of(target)
            if a and b and a != b:
                graph.setdefault(a, set()).add(b)
                graph.setdefault(b, set())
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _edge_list(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    members = set(component)
    return [f"{a} -> {b}" for a in component for b in sorted(graph[a] & members)]


# -- (a) no cycles ---------------------------------------------------------------------------


def module_cycle_violations() -> set[tuple[str, str, str]]:
    graph = _module_graph()
    return {
        ("module-cycle", a, b)
        for component in cycles(graph)
        for a in component
        for b in graph[a] & set(component)
    }


def stage_cycle_violations() -> set[tuple[str, str, str]]:
    graph = _stage_graph()
    return {
        ("stage-cycle", a, b)
        for component in cycles(graph)
        for a in component
        for b in graph[a] & set(component)
    }


def layer_violations() -> set[tuple[str, str, str]]:
    """A bottom layer importing a stage or the edge, or anything importing the edge."""
    found = set()
    for edge in internal_edges():
        a, b = stage_of(edge.importer), stage_of(edge.target)
        if a == b or not b:
            continue
        if (a in BOTTOM and b not in BOTTOM) or (b in EDGE and a not in EDGE):
            found.add(("layer", edge.importer, edge.target))
    return found


# -- (b) public names only -------------------------------------------------------------------


def private_import_violations() -> set[tuple[str, str, str]]:
    found = set()
    for edge in internal_edges():
        a, b = stage_of(edge.importer), stage_of(edge.target)
        if not b or a == b:
            continue
        package = f"sealgate.{b}"
        if edge.target != package and is_package(package):
            found.add(("private", edge.importer, edge.target))
    for name in modules():
        for package, imported, _ in imported_names(name):
            if stage_of(package) in ("", stage_of(name)) or not is_package(package):
                continue
            if f"{package}.{imported}" in modules():
                continue  # reported above as a private module
            if package.count(".") == 1 and imported not in public_names(package):
                found.add(("not-exported", name, f"{package}.{imported}"))
    return found


# -- (c) pure modules ------------------------------------------------------------------------


def pure_modules() -> list[str]:
    paths = {path for pattern in PURE_GLOBS for path in PACKAGE.glob(pattern)}
    return sorted(module_name(path) for path in paths)


def impurity_violations(name: str) -> set[tuple[str, str, str]]:
    found = set()
    for edge in imports_of(name):
        if any(edge.target == io or edge.target.startswith(io + ".") for io in IO_MODULES):
            found.add(("io", name, edge.target))
    for node in ast.walk(tree_of(name)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CLOCK_CALLS
        ):
            found.add(("clock", name, node.func.attr))
    return found


def _unexpected(found: set[tuple[str, str, str]], rule: str) -> list[str]:
    known = {v for v in KNOWN_VIOLATIONS if v[0] == rule}
    return sorted(f"{imp} -> {tgt}" for r, imp, tgt in found - known if r == rule)


def test_no_import_cycle_between_modules() -> None:
    assert not _unexpected(module_cycle_violations(), "module-cycle")


def test_no_import_cycle_between_stages() -> None:
    assert not _unexpected(stage_cycle_violations(), "stage-cycle")


def test_layers_import_only_downwards() -> None:
    assert not _unexpected(layer_violations(), "layer")


def test_stages_import_only_public_names() -> None:
    found = private_import_violations()
    assert not _unexpected(found, "private") + _unexpected(found, "not-exported")


@pytest.mark.parametrize("name", pure_modules())
def test_pure_module_does_no_io(name: str) -> None:
    found = impurity_violations(name)
    assert not _unexpected(found, "io") + _unexpected(found, "clock")


def test_known_violations_are_still_real() -> None:
    """An entry that no longer happens is deleted, so the list only ever shrinks."""
    found = (
        module_cycle_violations()
        | stage_cycle_violations()
        | layer_violations()
        | private_import_violations()
        | {v for name in pure_modules() for v in impurity_violations(name)}
    )
    assert not sorted(KNOWN_VIOLATIONS - found)


def test_the_checker_sees_late_and_submodule_imports() -> None:
    """A late import inside a function is an edge too, and a module imported through its
    package (`from sealgate.delivery import dkim`) is that module, not the package."""
    source = "def f():\n    from sealgate.delivery import dkim, enqueue\n    import sealgate.mail\n"
    found = {i.target for i in imports_in("sealgate.portal.app", ast.parse(source))}
    assert found == {"sealgate.delivery.dkim", "sealgate.delivery", "sealgate.mail"}


def test_cycles_are_found_and_only_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_every_public_name_exists() -> None:
    """`__all__` lists only names the package defines or imports."""
    missing = []
    for name in modules():
        if not is_package(name) or name.count(".") != 1:
            continue
        bound = set()
        for node in tree_of(name).body:
            if isinstance(node, ast.ImportFrom | ast.Import):
                bound.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
                bound.add(node.name)
            elif isinstance(node, ast.Assign):
                bound.update(t.id for t in node.targets if isinstance(t, ast.Name))
        missing += [f"{name}.{n}" for n in public_names(name) - bound]
    assert not missing
