"""An earlier body of a comment (edits and deletion keep the history)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from schema.types.loading import load_one
from schema.types.people import User


@strawberry.type(
    description="What a comment said before an edit or its deletion, and who replaced it when."
)
class CommentRevision:
    row: strawberry.Private[Any]
    body: str = strawberry.field(description="The body as it was before this change.")
    replaced_at: dt.datetime = strawberry.field(description="When this body was replaced.")

    @classmethod
    def from_row(cls, row: Any) -> CommentRevision:
        return cls(row=row, body=row.body, replaced_at=row.replaced_at)

    @strawberry.field(description="Who replaced it (the author); null if you cannot see them.")
    async def replaced_by(self, info: strawberry.Info) -> User | None:
        return await load_one(info, "user_by_id", self.row.replaced_by_user_id, User)
