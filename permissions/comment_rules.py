"""Field rules of comment history: who may read what a comment said before."""

from __future__ import annotations

from typing import Any

from permissions import rules
from permissions.fields import Audience, FieldRule
from permissions.principal import Principal, Role


def _staff_or_author(principal: Principal, source: Any, info: Any) -> bool:
    # Staff share renders by portal and level (permissions.sharing): this rule must not
    # depend on which staff member asks, and it does not.
    if not rules.can_read_comments(principal):
        return False
    if principal.role is Role.STAFF:
        return True
    return principal.user_id is not None and principal.user_id == source.row.author_user_id


COMMENT_HISTORY = FieldRule(
    "commentHistory",
    [Audience.STAFF, Audience.PARTNER, Audience.EXTERNAL_CASE_HANDLER],
    "the insurer's staff, and the comment's author; never customers or API keys.",
    _staff_or_author,
)
