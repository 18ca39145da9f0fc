"""The field rules of the schema, one named instance each.

`source` is the GraphQL object being resolved; its `.row` holds the database columns.
"""

from __future__ import annotations

from typing import Any

from permissions import rules
from permissions.fields import AsyncFieldRule, Audience, FieldRule
from permissions.principal import Principal, Role

A = Audience


def _not_customer(principal: Principal, source: Any, info: Any) -> bool:
    return rules.can_read_internal(principal)


async def _task_budget(principal: Principal, source: Any, info: Any) -> bool:
    case = await info.context.loaders.case_by_id.load(source.row.case_id)
    return case is not None and rules.can_see_task_budget(principal, source.row, case)


CASE_BUDGET = FieldRule(
    "caseBudget",
    [A.STAFF, A.EXTERNAL_CASE_HANDLER, A.CUSTOMER, A.INTEGRATION],
    "staff, the case's external case handler, insurer API keys with budgets:read, and the "
    "customer once the customer page's `showBudget` milestone is reached.",
    lambda principal, source, info: rules.can_see_case_budget(principal, source.row),
)

TASK_BUDGET = AsyncFieldRule(
    "taskBudget",
    [A.STAFF, A.PARTNER, A.EXTERNAL_CASE_HANDLER, A.INTEGRATION],
    "whoever sees the case budget, and users of the office that holds the task.",
    _task_budget,
)

CASE_MESSAGES = FieldRule(
    "customerChat",
    [A.STAFF, A.EXTERNAL_CASE_HANDLER, A.CUSTOMER, A.INTEGRATION],
    "staff, the case's external case handler, insurer API keys with messages:read, and "
    "the case's customer once the customer page's `showCommunication` milestone is reached; "
    "other partner users do not read the customer chat.",
    lambda principal, source, info: rules.can_read_messages(principal, source.row),
)

INTERNAL_COMMENTS = FieldRule(
    "internalComments",
    [A.STAFF, A.PARTNER, A.EXTERNAL_CASE_HANDLER, A.INTEGRATION],
    "staff and partner users (API keys need comments:read); never customers.",
    lambda principal, source, info: rules.can_read_comments(principal),
)

NOT_FOR_CUSTOMERS = FieldRule(
    "internalDetail",
    [A.STAFF, A.PARTNER, A.EXTERNAL_CASE_HANDLER, A.INTEGRATION],
    "everyone working on the case; not customers.",
    _not_customer,
)

EVERYONE_ON_CASE = [A.STAFF, A.PARTNER, A.EXTERNAL_CASE_HANDLER, A.CUSTOMER, A.INTEGRATION]

CASE_FEED = FieldRule(
    "caseFeed",
    EVERYONE_ON_CASE,
    "everyone who sees the case; the customer once the customer page's `showFeed` milestone "
    "is reached, and then only the event types of its `feedFilter`.",
    lambda principal, source, info: rules.can_see_feed(principal),
)

CASE_DOCUMENTS = FieldRule(
    "caseDocuments",
    EVERYONE_ON_CASE,
    "everyone who sees the case (partners: their tasks' and the case's general documents); "
    "the customer once the customer page's `showDocuments` milestone is reached, and then "
    "only documents shared with them.",
    lambda principal, source, info: rules.can_see_documents(principal),
)

PROJECT_PLAN = FieldRule(
    "projectPlan",
    EVERYONE_ON_CASE,
    "everyone who sees the case; the customer once the customer page's `showProjectPlan` "
    "milestone is reached.",
    lambda principal, source, info: rules.can_see_tasks(principal),
)

CASE_HANDLER = FieldRule(
    "caseHandler",
    EVERYONE_ON_CASE,
    "everyone who sees the case; the customer only when the customer page shows the case "
    "handler's name (`showCaseHandlerName`).",
    lambda principal, source, info: rules.can_see_case_handler(principal),
)

PARTNER_CONTACT = FieldRule(
    "partnerContact",
    EVERYONE_ON_CASE,
    "everyone who sees the case; the customer only when the customer page shows partner "
    "contact information (`showPartnerContact`).",
    lambda principal, source, info: rules.can_see_partner_contact(principal),
)


# Offices: what partners see of other partners' tasks, and the insurer's office categories.


async def _task_in_full(principal: Principal, source: Any, info: Any) -> bool:
    row = source.row
    case = await info.context.loaders.case_by_id.load(row.case_id)
    office_company = None
    if principal.partner_integration and row.office_id is not None:
        office = await info.context.loaders.office_by_id.load(row.office_id)
        office_company = office.company_id if office is not None else None
    return case is not None and rules.sees_task_in_full(principal, row, case, office_company)


async def _office_categories(principal: Principal, source: Any, info: Any) -> bool:
    if rules.can_see_office_categories(principal):
        if principal.role is not Role.PARTNER:
            return True
        # A partner user sees them only while handling a case whose role grants the right.
        return bool(await info.context.loaders.handles_open_case.load(principal.user_id))
    return False


OWN_TASK_DETAIL = AsyncFieldRule(
    "ownTaskDetail",
    [A.STAFF, A.PARTNER, A.EXTERNAL_CASE_HANDLER, A.CUSTOMER, A.INTEGRATION],
    "everyone who sees the task, except partners on tasks of other offices: a partner user "
    "sees this only on tasks its own office holds (a partner API key: its company's "
    "offices), or as the case's external case handler. Of other offices' tasks partners "
    "see kind, title, status, schedule, customer meeting time and office.",
    _task_in_full,
)

OFFICE_CATEGORIES = AsyncFieldRule(
    "officeCategories",
    [A.STAFF, A.EXTERNAL_CASE_HANDLER, A.INTEGRATION],
    "staff and insurer API keys; a partner user only while external case handler of an open "
    "case, when the portal's role grants `see_office_categories`.",
    _office_categories,
)


# Budgets

CASE_BUDGETS = FieldRule(
    "caseBudgets",
    [A.STAFF, A.PARTNER, A.EXTERNAL_CASE_HANDLER, A.INTEGRATION],
    "staff and insurer API keys with budgets:read (every budget), the case's external case "
    "handler (every budget), partner users (the budgets of tasks their office holds); never "
    "customers.",
    lambda principal, source, info: rules.can_list_budgets(principal),
)

BUDGET_FIGURES = FieldRule(
    "budgetFigures",
    [A.STAFF, A.EXTERNAL_CASE_HANDLER, A.INTEGRATION],
    "staff, the case's external case handler and insurer API keys with budgets:read; not "
    "partners (the figures include other partners' budgets) and not customers.",
    lambda principal, source, info: rules.can_see_budget_figures(principal, source.row),
)
