"""Imports flow one way: server.db ← permissions ← resolvers ← schema ← server (app)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["server.db", "permissions", "resolvers", "schema", "server.app"]
# Leaf infrastructure every layer may use.
SHARED = (
    "server.errors",
    "server.settings",
    "server.pubsub",
    "server.storage",
    "server.db",
    "server.ratelimit",  # points buckets: the rateLimit query and sign-in read them
)


def _layer(module: str) -> int | None:
    if module.startswith(SHARED):
        return 0
    for index, prefix in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            return index
    if module.startswith("server."):
        return len(LAYERS) - 1  # the rest of server/ composes the app
    return None


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def test_imports_flow_one_way():
    violations = []
    for package in ("server", "permissions", "resolvers", "schema"):
        for path in (ROOT / package).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            own = _layer(module)
            if own is None or "migrations" in module or module.startswith("server.seed"):
                continue
            for imported in _imports(path):
                layer = _layer(imported)
                if layer is not None and layer > own:
                    violations.append(f"{module} imports {imported}")
    assert violations == []


def test_init_files_are_empty():
    for package in ("server", "permissions", "resolvers", "schema"):
        for init in (ROOT / package).rglob("__init__.py"):
            assert init.read_text().strip() == "", init
