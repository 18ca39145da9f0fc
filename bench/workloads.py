"""The GraphQL side: the workload queries, sign-in, case ids, and one request per op."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson
from driver import Op, Pick, mixed, rotation

W1_CASE_LIST = """
query W1 {
  cases(first: 50) {
    nodes {
      id number status city damageType createdAt
      tasks { id kind title status }
      documents(first: 10) { nodes { id title fileName } }
      feed(first: 5) { nodes { id type createdAt } }
    }
  }
}
"""

W2_CASE_PAGE = """
query W2($id: ID!) {
  case(id: $id) {
    id number status city damageType createdAt
    tasks { id kind title status }
    documents(first: 100) { nodes { id title fileName createdAt } }
    feed(first: 20) { nodes { id type createdAt } }
    messages(first: 20) { nodes { id direction body createdAt } }
  }
}
"""

W3_CASE_SCALARS = """
query W3($id: ID!) {
  case(id: $id) { number status city }
}
"""

CASE_IDS = """
query CaseIds($after: String) {
  cases(first: 100, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } }
}
"""

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token errors { message } }
}
"""

MIX = (("W1", 0.2), ("W2", 0.4), ("W3", 0.4))
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class GraphQLFailure(Exception):
    """A response that is not a clean 200 with data and no `errors`."""

    def __init__(self, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.request_id = request_id  # to find the request in the server's log


def body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables or {}})


def clean(response: Any) -> None:
    """As `checked`, for the load, without decoding what cannot hold an error: a 200 whose
    body is an object starting with `data` and never says "errors" (anything else is
    decoded and checked). Decoding every body cost the load generator, which shares the
    cores with the server, about as much as the server's own work on W1 pages."""
    content = response.content
    if (
        response.status_code == 200
        and content.startswith(b'{"data":{')
        and content.endswith(b"}")
        and b'"errors"' not in content
    ):
        return
    checked(response)


def checked(response: Any) -> dict[str, Any]:
    """The `data` of a response, or GraphQLFailure with the status and first error."""
    if response.status_code != 200:
        raise GraphQLFailure(f"HTTP {response.status_code}: {response.text[:300]}")
    payload = orjson.loads(response.content)
    errors = payload.get("errors")
    if errors:
        first = errors[0]
        code = first.get("extensions", {}).get("code")
        request_id = first.get("extensions", {}).get("requestId")
        raise GraphQLFailure(f"{code}: {first.get('message')} ({len(errors)} error(s))", request_id)
    if payload.get("data") is None:
        raise GraphQLFailure("response without data")
    data: dict[str, Any] = payload["data"]
    return data


def row_id(global_id: str) -> int:
    """The database id inside an opaque global id; only the SQL floor needs it."""
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return int(raw.partition(":")[2])


async def login(http: httpx.AsyncClient, email: str, password: str) -> str:
    data = checked(
        await http.post("/graphql", content=body(LOGIN, {"email": email, "password": password}))
    )
    payload = data["login"]
    if payload["errors"] or not payload["token"]:
        raise GraphQLFailure(f"login as {email} failed: {payload['errors']}")
    return str(payload["token"])


async def case_ids(http: httpx.AsyncClient, pages: int) -> list[str]:
    """Up to `pages` pages of 100 case ids, newest first."""
    ids: list[str] = []
    after: str | None = None
    for _ in range(pages):
        data = checked(await http.post("/graphql", content=body(CASE_IDS, {"after": after})))
        ids.extend(node["id"] for node in data["cases"]["nodes"])
        info = data["cases"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    return ids


class ServerWorkloads:
    """Pre-encoded request bodies for each workload, posted over one keep-alive pool."""

    def __init__(self, http: Any, ids: list[str]) -> None:
        self.http = http
        self.w1 = body(W1_CASE_LIST)
        self.w2 = rotation([body(W2_CASE_PAGE, {"id": i}) for i in ids])
        self.w3 = rotation([body(W3_CASE_SCALARS, {"id": i}) for i in ids])

    async def fetch(self, content: bytes) -> dict[str, Any]:
        return checked(await self.http.post("/graphql", content=content))

    def _op(self, content: bytes) -> Op:
        async def op() -> None:
            clean(await self.http.post("/graphql", content=content))

        return op

    def picks(self) -> dict[str, Pick]:
        single: dict[str, Pick] = {
            "W1": lambda rng: self._op(self.w1),
            "W2": lambda rng: self._op(self.w2()),
            "W3": lambda rng: self._op(self.w3()),
        }
        return single | {"MIXED": mixed([(w, single[name]) for name, w in MIX])}


class CeilingWorkloads(ServerWorkloads):
    """The same workloads for bench/ceiling_app.py: the workload's name and the row id."""

    def __init__(self, http: Any, row_ids: list[int]) -> None:
        self.http = http
        self.w1 = orjson.dumps({"workload": "W1"})
        self.w2 = rotation([orjson.dumps({"workload": "W2", "id": i}) for i in row_ids])
        self.w3 = rotation([orjson.dumps({"workload": "W3", "id": i}) for i in row_ids])


def sample_bodies(ids: list[str]) -> dict[str, bytes]:
    """One request of each single workload, for the shape check against the floor."""
    return {
        "W1": body(W1_CASE_LIST),
        "W2": body(W2_CASE_PAGE, {"id": ids[0]}),
        "W3": body(W3_CASE_SCALARS, {"id": ids[0]}),
    }
