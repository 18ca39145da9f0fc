"""The Relay `Node` interface; global ids are encoded in resolvers.global_ids."""

from __future__ import annotations

import strawberry

from resolvers import global_ids
from resolvers.global_ids import decode_global_id, decode_typed_id


def encode_global_id(type_name: str, row_id: int) -> strawberry.ID:
    return strawberry.ID(global_ids.encode_global_id(type_name, row_id))


@strawberry.interface(description="An object with a globally unique, opaque id.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Globally unique, opaque id; pass it to `node(id:)` to fetch the object."
    )


__all__ = ["Node", "decode_global_id", "decode_typed_id", "encode_global_id"]
