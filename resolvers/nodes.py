"""Fetching any object by global id, with the same scopes and rules as the lists.

A row outside the principal's reach is reported exactly like a missing one.
"""

from __future__ import annotations

from typing import Any

from permissions import rules
from permissions.principal import Principal, Role

# Type name → loader attribute on `Loaders`.
LOADER_FOR_TYPE = {
    "Case": "case_by_id",
    "Task": "task_by_id",
    "Document": "document_by_id",
    "FeedEntry": "feed_entry_by_id",
    "Message": "message_by_id",
    "Comment": "comment_by_id",
    "CaseContact": "contact_by_id",
    "User": "user_by_id",
    "Office": "office_by_id",
    "Company": "company_by_id",
    "Budget": "budget_by_id",
    "CaseType": "case_type_by_id",  # casetypes
}

# What a customer may fetch by id; people and companies only through their case.
CUSTOMER_TYPES = frozenset({"Case", "Task", "Document", "FeedEntry", "Message"})


async def load_row(loaders: Any, principal: Principal, type_name: str, row_id: int) -> Any:
    """The row, or None when it does not exist or the principal may not see it."""
    attribute = LOADER_FOR_TYPE.get(type_name)
    if attribute is None:
        return None
    if principal.role is Role.CUSTOMER and type_name not in CUSTOMER_TYPES:
        return None
    row = await getattr(loaders, attribute).load(row_id)
    if row is None:
        return None
    if type_name == "Message":
        case = await loaders.case_by_id.load(row.case_id)
        if case is None or not rules.can_read_messages(principal, case):
            return None
    if type_name == "Comment" and not rules.can_read_comments(principal):
        return None
    return row
