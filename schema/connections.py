"""Relay cursor connections, generic over the node type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry

NodeType = TypeVar("NodeType")


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow `endCursor`.")
    has_previous_page: bool = strawberry.field(description="More items precede `startCursor`.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item.")


@strawberry.type(description="One item of a connection, with its cursor.")
class Edge(Generic[NodeType]):
    cursor: str = strawberry.field(description="Pass as `after`/`before` to page from here.")
    node: NodeType = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, with cursors to move through it.")
class Connection(Generic[NodeType]):
    edges: list[Edge[NodeType]] = strawberry.field(description="The items with their cursors.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Items in the whole list (all pages), as the viewer sees it.")
    async def total_count(self) -> int:
        return await self.count()

    @strawberry.field(description="The items, without cursors: a shortcut for `edges { node }`.")
    def nodes(self) -> list[NodeType]:
        return [edge.node for edge in self.edges]


def make_connection(
    items: list[tuple[str, NodeType]],
    *,
    has_next: bool,
    has_previous: bool,
    count: Callable[[], Awaitable[int]],
) -> Connection[NodeType]:
    edges = [Edge(cursor=cursor, node=node) for cursor, node in items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )
