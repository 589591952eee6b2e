"""The layers keep to their jobs: only storage/ speaks SQL, services/ never talk to a terminal,
and the core never imports the test network (netdiscover_lab).

Every import counts here, also those inside functions: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "netdiscover"

# sqlalchemy names a module outside storage/ may import: session types for hints, errors to catch
ALLOWED_SQLALCHEMY = {("sqlalchemy.orm", "Session"), ("sqlalchemy.orm", "sessionmaker"),
                      ("sqlalchemy.exc", "*")}
# methods that run SQL whatever they are called on (transactions end in storage's helpers too)
SQL_METHODS = {"execute", "scalars", "scalar", "exec_driver_sql", "query", "execution_options", "commit",
               "rollback"}
# methods that run SQL when called on a session or a connection (in a module importing sqlalchemy)
SESSION_METHODS = {"get", "add", "add_all", "delete", "merge", "flush", "refresh", "get_bind", "commit",
                   "rollback", "begin", "begin_nested", "connection"}

def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        yield ".".join(rel.parts), ast.parse(path.read_text(encoding="utf-8"))


def _sessionish(node: ast.expr) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name == "db" or name.endswith(("session", "conn", "connection"))


def sql_uses(tree: ast.Module) -> list[str]:
    """What in ``tree`` speaks SQL: sqlalchemy imports beyond types and errors, and SQL calls."""
    found = []
    holds_sessions = any(m.startswith("sqlalchemy") for m in _imports(tree))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names
                      if a.name.startswith("sqlalchemy") or a.name == "sqlite3"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            for alias in node.names:
                allowed = {(node.module, alias.name), (node.module, "*")} & ALLOWED_SQLALCHEMY
                if not allowed:
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method in SQL_METHODS or (holds_sessions and method in SESSION_METHODS
                                         and _sessionish(node.func.value)):
                found.append(f"line {node.lineno}: .{method}()")
    return found


def _imports(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def test_only_storage_speaks_sql():
    offenders = {name: uses for name, tree in _modules()
                 if not name.startswith("netdiscover.storage") and (uses := sql_uses(tree))}
    assert not offenders, "SQL outside storage/:\n" + "\n".join(f"{n}: {u}" for n, u in offenders.items())


def test_the_checker_sees_sql():
    tree = ast.parse("import sqlite3\nfrom sqlalchemy import select\nfrom sqlalchemy.orm import Session\n"
                     "def f(session):\n    session.execute(select(1))\n    session.add(object())\n"
                     "    {}.get('x')\n")
    uses = sorted(u.split(": ", 1)[1] for u in sql_uses(tree))
    assert uses == [".add()", ".execute()", "from sqlalchemy import select", "import sqlite3"]
    agent = "from sqlalchemy.orm import Session\nasync def f(agent):\n    await agent.get(1)\n"
    assert sql_uses(ast.parse(agent)) == []


def test_services_never_talk_to_a_terminal():
    for name, tree in _modules():
        if not name.startswith("netdiscover.services"):
            continue
        assert not [m for m in _imports(tree) if m.split(".")[0] in {"click", "rich"}], name
        prints = [n.lineno for n in ast.walk(tree)
                  if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"]
        assert not prints, f"{name} prints (lines {prints})"


def test_core_never_imports_the_lab():
    users = sorted(name for name, tree in _modules()
                   if any(m.split(".")[0] == "netdiscover_lab" for m in _imports(tree)))
    assert not users, f"the core imports netdiscover_lab: {users}"


# Who may import whom (every import, lazy ones too). The layers, from the top: front doors
# (cli/commands, web, workers, daemon) -> services -> reconcile, inventory, reports, fingerprints,
# scanners -> storage -> plain data (observation, vocabulary, fields, identity, scope, durations).
PLAIN_DATA = {"observation", "vocabulary", "fields", "identity", "scope", "durations"}
FORBIDDEN = {
    "storage": {"services", "commands", "cli", "web", "workers", "daemon", "reconcile", "reports",
                "inventory", "scanners", "fingerprints"},
    "services": {"commands", "cli", "web", "daemon"},
    "reconcile": {"services", "commands", "cli", "web", "workers", "daemon"},
    "fingerprints": {"services", "commands", "cli", "web", "workers", "daemon", "storage", "reconcile"},
    "scanners": {"services", "commands", "cli", "web", "workers", "daemon", "storage", "reconcile"},
    "reports": {"services", "commands", "cli", "web", "workers", "daemon"},
    "inventory": {"services", "commands", "cli", "web", "workers", "daemon"},
}
for _name in PLAIN_DATA:
    FORBIDDEN[_name] = {"services", "commands", "cli", "web", "workers", "daemon", "storage", "reconcile",
                        "reports", "inventory", "scanners", "fingerprints"}


def test_layers_import_only_downwards():
    wrong = []
    for name, tree in _modules():
        parts = name.split(".")
        layer = parts[1] if len(parts) > 1 else ""
        for target in _imports(tree):
            tparts = target.split(".")
            if tparts[0] == "netdiscover" and len(tparts) > 1 and tparts[1] in FORBIDDEN.get(layer, ()):
                wrong.append(f"{name} imports {target}")
    assert not wrong, "imports against the layering:\n" + "\n".join(sorted(set(wrong)))
