"""Row scopes: which rows a principal may reach, as SQL conditions.

Lists are narrowed in SQL by these conditions, never filtered in Python after loading.
Every condition starts from the portal: nothing ever crosses insurers.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from permissions.principal import Principal, Role
from server.db.enums import CUSTOMER_FILTERABLE_EVENTS
from server.db.models import Case, Document, FeedEntry, Office, Task


def _partner_offices(principal: Principal):  # type: ignore[no-untyped-def]
    """The offices whose tasks a partner principal works on."""
    if principal.role is Role.PARTNER:
        return [principal.office_id] if principal.office_id is not None else []
    return select(Office.id).where(Office.company_id == principal.company_id).scalar_subquery()


def visible_cases(principal: Principal) -> ColumnElement[bool]:
    """Cases the principal can see at all."""
    portal = Case.insurer_id == principal.insurer_id
    if principal.acts_as_insurer:
        return portal
    if principal.role is Role.CUSTOMER:
        return and_(portal, Case.id == principal.case_id)
    offices = _partner_offices(principal)
    office_has_task = exists().where(Task.case_id == Case.id, Task.office_id.in_(offices))
    handled_by_office = Case.external_case_handler_office_id.in_(offices)
    conditions = [office_has_task, handled_by_office]
    if principal.user_id is not None:
        conditions.append(Case.external_case_handler_id == principal.user_id)
    return and_(portal, or_(*conditions))


def visible_documents(principal: Principal) -> ColumnElement[bool]:
    """Documents within visible cases: customers see shared ones; partners their tasks' and
    the case's general documents, the external case handler all of them."""
    if principal.acts_as_insurer:
        return Document.insurer_id == principal.insurer_id
    if principal.role is Role.CUSTOMER:
        return and_(Document.case_id == principal.case_id, Document.shared_with_customer)
    offices = _partner_offices(principal)
    own_task = Document.task_id.in_(select(Task.id).where(Task.office_id.in_(offices)))
    handles_case = exists().where(
        Case.id == Document.case_id,
        or_(
            Case.external_case_handler_id == (principal.user_id or -1),
            Case.external_case_handler_office_id.in_(offices),
        ),
    )
    return and_(
        Document.insurer_id == principal.insurer_id,
        or_(Document.task_id.is_(None), own_task, handles_case),
    )


def visible_feed(principal: Principal) -> ColumnElement[bool]:
    """Feed entries: customers see only the customer-facing event types."""
    if principal.role is Role.CUSTOMER:
        return FeedEntry.type.in_(CUSTOMER_FILTERABLE_EVENTS)
    return true()


def nothing() -> ColumnElement[bool]:
    return false()
