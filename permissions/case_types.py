"""Who reaches which case types, and the field rule for what only the insurer reads.

- The insurer's side (staff, its API keys with cases:read) reaches every type of the
  portal.
- Partners reach the types of the cases they see.
- A customer reaches the active types open to customer reporting (they need them to
  report a case), and their own case's type only when it is open to customer or public
  reporting: a type kept for internal triage (its name, say "Suspected fraud") is the
  insurer's business, so for a customer such a case's `caseType` is null by design. Of a
  type they read only the fields visible to customers (the resolvers filter the
  definitions, see schema/types).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select

from permissions import scopes
from permissions.fields import Audience, FieldRule
from permissions.principal import Principal, Role, Scope
from server.db.casework import CaseType
from server.db.models import Case


def visible_case_types(principal: Principal) -> ColumnElement[bool]:
    if not principal.has_scope(Scope.CASES_READ):
        return false()
    portal = CaseType.insurer_id == principal.insurer_id
    if principal.acts_as_insurer:
        return portal
    of_visible_cases = CaseType.id.in_(
        select(Case.case_type_id).where(
            scopes.visible_cases(principal), Case.case_type_id.is_not(None)
        )
    )
    if principal.role is Role.CUSTOMER:
        reportable = and_(CaseType.active, CaseType.customer_reporting)
        open_to_reporters = or_(CaseType.customer_reporting, CaseType.public_reporting)
        return and_(portal, or_(and_(of_visible_cases, open_to_reporters), reportable))
    return and_(portal, of_visible_cases)


def _insurer(principal: Principal, source: Any, info: Any) -> bool:
    return principal.acts_as_insurer


INSURER_ONLY = FieldRule(
    "insurerOnly",
    [Audience.STAFF, Audience.INTEGRATION],
    "the insurer's staff and its API keys.",
    _insurer,
)
