"""Small helpers the object types share to follow references through loaders."""

from __future__ import annotations

from typing import Any

import strawberry


async def load_one(info: strawberry.Info, loader_name: str, row_id: int | None, kind: Any) -> Any:
    """The object `kind` for `row_id` through the named loader; None when absent or unseen."""
    if row_id is None:
        return None
    row = await getattr(info.context.loaders, loader_name).load(row_id)
    return kind.from_row(row) if row is not None else None
