"""The floor: each workload's data as ONE hand-written SQL statement per request.

Each statement builds the GraphQL response's `data` object in PostgreSQL (json_build_object,
json_agg over LATERAL subqueries) with the same ids, enum spellings, DateTime format,
ordering, limits and tenancy filter (`insurer_id`) as the server, so the floor is what the
server's answer costs without GraphQL, HTTP, Python objects and several statements per
request.
"""

from __future__ import annotations

import random
from typing import Any

import orjson
from driver import Op, Pick, mixed, rotation
from workloads import MIX

from resolvers.compiled.connections import Connections
from resolvers.formats import SQL_DATETIME_FORMAT


def gid(type_name: str, column: str) -> str:
    """SQL for the server's opaque global id: base64url('<Type>:<id>') without padding."""
    raw = f"convert_to('{type_name}:' || {column}, 'UTF8')"
    return f"rtrim(translate(encode({raw}, 'base64'), '+/', '-_'), '=')"


def datetime(column: str) -> str:
    """DateTime as the API prints it (always microseconds, `Z`) in the pool's UTC session:
    PostgreSQL's own JSON form drops trailing zeros and says +00:00."""
    return f"to_char({column}, '{SQL_DATETIME_FORMAT}')"


def fields(pairs: dict[str, str]) -> str:
    return "json_build_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs.items()) + ")"


CASE_FIELDS = {
    "id": gid("Case", "c.id"),
    "number": "c.number",
    "status": "upper(c.status)",
    "city": "c.city",
    "damageType": "upper(c.damage_type)",
    "createdAt": datetime("c.created_at"),
}
TASK_FIELDS = {
    "id": gid("Task", "t.id"),
    "kind": "upper(t.kind)",
    "title": "t.title",
    "status": "upper(t.status)",
}


def tasks_lateral() -> str:
    """All tasks of case `c`, oldest first (as the server's `tasks` field)."""
    return f"""
    CROSS JOIN LATERAL (
      SELECT coalesce(json_agg({fields(TASK_FIELDS)} ORDER BY t.id), '[]') AS tasks
      FROM tasks t WHERE t.case_id = c.id
    ) tk"""


ENUM_FIELDS = {"type", "direction"}  # GraphQL enum names are the stored values upper-cased


def _column(field: str, column: str) -> str:
    if field in ENUM_FIELDS:
        return f"upper({column})"
    return datetime(column) if field == "createdAt" else column


def page_lateral(
    name: str, table: str, type_name: str, cols: dict[str, str], limit: int, scope: str = ""
) -> str:
    """The newest `limit` rows of a child list of case `c` as {"nodes": [...]}, by id DESC.

    `cols` maps GraphQL field names to column names."""
    shape = fields(
        {"id": gid(type_name, "x.id")} | {k: _column(k, f"x.{v}") for k, v in cols.items()}
    )
    columns = ", ".join(["id", *cols.values()])
    return f"""
    CROSS JOIN LATERAL (
      SELECT json_build_object('nodes', coalesce(json_agg({shape} ORDER BY x.id DESC), '[]'))
        AS {name}
      FROM (
        SELECT {columns} FROM {table}
        WHERE case_id = c.id{scope}
        ORDER BY id DESC LIMIT {limit}
      ) x
    ) {name}_l"""


# The server scopes a staff member's documents by insurer (permissions.scopes.visible_documents).
DOCUMENTS_SCOPE = " AND insurer_id = $1"


def case_object(extra: dict[str, str]) -> str:
    return fields(CASE_FIELDS | extra)


W1_SQL = f"""
SELECT json_build_object('cases', json_build_object('nodes', coalesce(json_agg(
  {case_object({"tasks": "tk.tasks", "documents": "documents_l.documents", "feed": "feed_l.feed"})}
  ORDER BY c.created_at DESC, c.id DESC), '[]')))
FROM (
  SELECT id, number, status, city, damage_type, created_at FROM cases
  WHERE insurer_id = $1
  ORDER BY created_at DESC, id DESC LIMIT 50
) c
{tasks_lateral()}
{
    page_lateral(
        "documents",
        "documents",
        "Document",
        {"title": "title", "fileName": "file_name"},
        10,
        DOCUMENTS_SCOPE,
    )
}
{page_lateral("feed", "feed_entries", "FeedEntry", {"type": "type", "createdAt": "created_at"}, 5)}
"""

W2_SQL = f"""
SELECT json_build_object('case', {
    case_object(
        {
            "tasks": "tk.tasks",
            "documents": "documents_l.documents",
            "feed": "feed_l.feed",
            "messages": "messages_l.messages",
        }
    )
})
FROM cases c
{tasks_lateral()}
{
    page_lateral(
        "documents",
        "documents",
        "Document",
        {"title": "title", "fileName": "file_name", "createdAt": "created_at"},
        100,
        DOCUMENTS_SCOPE,
    )
}
{page_lateral("feed", "feed_entries", "FeedEntry", {"type": "type", "createdAt": "created_at"}, 20)}
{
    page_lateral(
        "messages",
        "messages",
        "Message",
        {"direction": "direction", "body": "body", "createdAt": "created_at"},
        20,
    )
}
WHERE c.id = $2 AND c.insurer_id = $1
"""

W3_SQL = """
SELECT json_build_object('case', json_build_object(
  'number', c.number, 'status', upper(c.status), 'city', c.city))
FROM cases c WHERE c.id = $2 AND c.insurer_id = $1
"""


class FloorWorkloads:
    """The same three workloads and the mix, over a pool of asyncpg connections."""

    def __init__(self, pool: Connections, insurer_id: int, case_ids: list[int]) -> None:
        self.pool = pool
        self.insurer_id = insurer_id
        self.next_id = rotation(case_ids)

    async def fetch(self, name: str, case_id: int | None = None) -> dict[str, Any]:
        """The `data` object of one workload's request, parsed (for the shape check)."""
        data: dict[str, Any] = orjson.loads(await self._run(name, case_id))
        return data

    async def _run(self, name: str, case_id: int | None) -> str:
        async with self.pool.acquire() as connection:
            if name == "W1":
                text = await connection.fetchval(W1_SQL, self.insurer_id)
            else:
                sql = W2_SQL if name == "W2" else W3_SQL
                text = await connection.fetchval(sql, self.insurer_id, case_id)
        if text is None:
            raise LookupError(f"{name}: no row for case {case_id}")
        return str(text)

    def _pick(self, name: str) -> Pick:
        def pick(rng: random.Random) -> Op:
            case_id = None if name == "W1" else self.next_id()

            async def op() -> None:
                await self._run(name, case_id)

            return op

        return pick

    def picks(self) -> dict[str, Pick]:
        single = {name: self._pick(name) for name in ("W1", "W2", "W3")}
        return single | {"MIXED": mixed([(w, single[name]) for name, w in MIX])}


def open_pool(url: str, size: int) -> Connections:
    """Up to `size` connections, checked out as the server's compiled reads do theirs (no
    reset round trip); UTC so timestamps print as the server's do."""
    plain = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    return Connections(plain, size, {"timezone": "UTC"})
