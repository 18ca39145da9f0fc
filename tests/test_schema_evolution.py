"""Schema evolution: the printed schema is compared with main's (at the merge base, so a
branch answers only for its own changes) and breaking changes fail unless listed in
schema-breaking-changes.json with a reason. In a fresh clone of main the base is the
commit itself, so nothing differs. SCHEMA_BASE_REF overrides the branch compared with.

Deprecations are the way to change without breaking: every deprecated field, argument
and enum value must say why and what to use instead; their use is logged per client.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess

import pytest
from graphql import build_schema as build_sdl
from graphql import find_breaking_changes

from schema.root import build_schema
from tests.conftest import IN_CI, ROOT

ALLOW_FILE = ROOT / "schema-breaking-changes.json"


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


def _base_schema() -> str:
    refs = [os.environ.get("SCHEMA_BASE_REF"), "origin/main", "main"]
    for ref in filter(None, refs):
        base = _git("merge-base", "HEAD", ref)
        if base:
            sdl = _git("show", f"{base.strip()}:schema.graphql")
            if sdl is not None:
                return sdl
    message = "no git history with main's schema.graphql to compare with"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def test_no_undeclared_breaking_changes_against_main():
    allowed = json.loads(ALLOW_FILE.read_text())
    assert all(entry.get("reason", "").strip() for entry in allowed), "every entry needs a reason"
    declared = {entry["change"] for entry in allowed}
    old = build_sdl(_base_schema())
    new = build_schema()._schema
    breaking = [change.description for change in find_breaking_changes(old, new)]
    undeclared = [change for change in breaking if change not in declared]
    assert undeclared == [], (
        "breaking schema changes: deprecate instead, or list each in "
        "schema-breaking-changes.json as {'change': ..., 'reason': ...}"
    )


def test_every_deprecation_gives_a_reason():
    schema = build_schema()._schema
    missing = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__"):
            continue
        for field_name, field in getattr(type_, "fields", {}).items():
            if (
                getattr(field, "deprecation_reason", None) is not None
                and len(field.deprecation_reason.strip()) < 10
            ):
                missing.append(f"{name}.{field_name}")
            for arg_name, arg in getattr(field, "args", {}).items():
                if arg.deprecation_reason is not None and len(arg.deprecation_reason) < 10:
                    missing.append(f"{name}.{field_name}({arg_name})")
        for value_name, value in getattr(type_, "values", {}).items():
            if value.deprecation_reason is not None and len(value.deprecation_reason) < 10:
                missing.append(f"{name}.{value_name}")
    assert missing == []


DEPRECATING = """
type Query {
  "Old name." total: Int @deprecated(reason: "Use count: it counts what you can see.")
  "New name." count: Int
}
"""


async def test_use_of_deprecated_fields_is_logged_per_client(settings, world, caplog):
    from server.admission import Admission
    from server.ratelimit import MemoryBuckets
    from server.trusted_documents import TrustedDocuments

    admission = Admission(build_sdl(DEPRECATING), settings, MemoryBuckets(), TrustedDocuments(None))
    principal = type("P", (), {"role": None, "label": lambda self: "partner:7"})()
    with caplog.at_level(logging.INFO, logger="casegraph.deprecated"):
        for query in ("{ total }", "{ count }"):
            await admission.admit(
                query=query, operation_name=None, variables=None, extensions=None,
                principal=principal, client_ip="127.0.0.1",
            )  # fmt: skip
    lines = [r for r in caplog.records if r.name == "casegraph.deprecated"]
    assert [(r.client, r.fields) for r in lines] == [("partner:7", ("Query.total",))]
