"""Row scopes: which rows a principal may reach, as SQL conditions.

Lists are narrowed in SQL by these conditions, never filtered in Python after loading.
Every condition starts from the portal: nothing ever crosses insurers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from permissions.principal import Principal, Role, Scope
from server.db.enums import CUSTOMER_FILTERABLE_EVENTS
from server.db.models import Budget, Case, Document, FeedEntry, Message, Office, Task, User


def _partner_offices(principal: Principal) -> Any:
    """The offices whose tasks a partner principal works on: a partner user's own office,
    or every office of a partner company's API key."""
    if principal.role is Role.PARTNER:
        return [principal.office_id] if principal.office_id is not None else []
    return select(Office.id).where(Office.company_id == principal.company_id).scalar_subquery()


def _handles_case(principal: Principal, offices: Any) -> ColumnElement[bool]:
    """The principal is the case's external case handler, or its office holds the role and
    has not yet named the person."""
    # `is None`, not truthiness: the compiled read path passes ids as bind parameters.
    user_id = principal.user_id if principal.user_id is not None else -1
    handler = Case.external_case_handler_id == user_id
    office_pending = and_(
        Case.external_case_handler_id.is_(None), Case.external_case_handler_office_id.in_(offices)
    )
    return or_(handler, office_pending)


def visible_cases(principal: Principal) -> ColumnElement[bool]:
    """Cases the principal can see at all."""
    if not principal.has_scope(Scope.CASES_READ):
        return false()  # an API key without cases:read reads no case data at all
    portal = Case.insurer_id == principal.insurer_id
    if principal.acts_as_insurer:
        return portal
    if principal.role is Role.CUSTOMER:
        return and_(portal, Case.id == principal.case_id)
    offices = _partner_offices(principal)
    office_has_task = exists().where(Task.case_id == Case.id, Task.office_id.in_(offices))
    return and_(portal, or_(office_has_task, _handles_case(principal, offices)))


def visible_documents(principal: Principal) -> ColumnElement[bool]:
    """Documents within visible cases: customers see shared ones; partners their tasks' and
    the case's general documents, the external case handler all of them."""
    if not principal.has_scope(Scope.CASES_READ):
        return false()
    if principal.acts_as_insurer:
        return Document.insurer_id == principal.insurer_id
    if principal.role is Role.CUSTOMER:
        if not principal.view.documents:
            return false()
        return and_(Document.case_id == principal.case_id, Document.shared_with_customer)
    offices = _partner_offices(principal)
    own_task = Document.task_id.in_(select(Task.id).where(Task.office_id.in_(offices)))
    # Only the named external case handler reads every document: an office that holds
    # the role while it names the person sees the case, not other partners' files.
    user_id = principal.user_id if principal.user_id is not None else -1
    handles_case = exists().where(
        Case.id == Document.case_id, Case.external_case_handler_id == user_id
    )
    return and_(
        Document.insurer_id == principal.insurer_id,
        or_(Document.task_id.is_(None), own_task, handles_case),
    )


def visible_tasks(principal: Principal) -> ColumnElement[bool]:
    """Tasks within visible cases; customers once their page shows the project plan."""
    if principal.role is Role.CUSTOMER and not principal.view.project_plan:
        return false()
    return true()


def visible_feed(principal: Principal) -> ColumnElement[bool]:
    """Feed entries: customers see the customer-facing event types their page's feed
    filter selects, once the feed is shown (no types until then)."""
    if principal.role is Role.CUSTOMER:
        types = principal.view.feed_types & CUSTOMER_FILTERABLE_EVENTS  # never an internal one
        return FeedEntry.type.in_(sorted(types)) if types else false()
    return true()


def visible_users(principal: Principal) -> ColumnElement[bool]:
    """People: staff see the portal; partners the insurer's staff and their own company;
    customers only the people working on their case."""
    portal = User.insurer_id == principal.insurer_id
    if principal.acts_as_insurer:
        return portal
    if principal.role is Role.CUSTOMER:
        return and_(portal, or_(false(), *_customer_people(principal)))
    return and_(portal, User.company_id.in_([principal.insurer_id, principal.company_id]))


def _customer_people(principal: Principal) -> list[ColumnElement[bool]]:
    """Whom a customer's page names: the case handler (when the page shows the name),
    the external case handler (partner contact information), the people responsible for
    tasks (project plan, schedule tile or partner contact information), and the insurer's
    people who wrote to them (communication page)."""
    view, case_id = principal.view, principal.case_id
    people: list[ColumnElement[bool]] = []
    if view.case_handler_name:
        people.append(User.id.in_(select(Case.case_handler_id).where(Case.id == case_id)))
    if view.partner_contact:
        ech = select(Case.external_case_handler_id).where(Case.id == case_id)
        people.append(User.id.in_(ech))
    if view.project_plan or view.schedule or view.partner_contact:
        people.append(User.id.in_(select(Task.responsible_id).where(Task.case_id == case_id)))
    if view.communication:
        authors = select(Message.author_user_id).where(Message.case_id == case_id)
        people.append(User.id.in_(authors))
    return people


# Budgets


def visible_budgets(principal: Principal) -> ColumnElement[bool]:
    """Budgets: the insurer's side with budgets:read sees the portal's; a partner user the
    budgets their office submitted and all of the cases they handle as external case
    handler; customers and partner companies' keys none."""
    if not principal.has_scope(Scope.CASES_READ) or not principal.has_scope(Scope.BUDGETS_READ):
        return false()
    portal = Budget.insurer_id == principal.insurer_id
    if principal.acts_as_insurer:
        return portal
    if principal.role is not Role.PARTNER:
        return false()
    office_id = principal.office_id if principal.office_id is not None else -1
    user_id = principal.user_id if principal.user_id is not None else -1
    # The office that submitted it (a task may have moved on to another office since).
    own_task = Budget.office_id == office_id
    handled = Budget.case_id.in_(select(Case.id).where(Case.external_case_handler_id == user_id))
    return and_(portal, or_(own_task, handled))
