"""Field rules as pure predicates over (principal, rows). No I/O, no GraphQL.

`case` is anything with the Case columns (an ORM object or a Core row); the same for
`task`. Each rule is small enough to read as the sentence in its docstring.
"""

from __future__ import annotations

from typing import Any

from permissions.principal import Principal, Role, Scope
from permissions.rights import Right


def is_external_case_handler(principal: Principal, case: Any) -> bool:
    """The partner user assigned as this case's external case handler."""
    return (
        principal.role is Role.PARTNER
        and principal.user_id is not None
        and case.external_case_handler_id == principal.user_id
    )


def ech_may(principal: Principal, case: Any, right: Right) -> bool:
    """The case's external case handler, when the portal gives the role `right`."""
    return is_external_case_handler(principal, case) and right.value in principal.ech_rights


def is_customer_of(principal: Principal, case: Any) -> bool:
    return principal.role is Role.CUSTOMER and principal.case_id == case.id


def can_see_case_budget(principal: Principal, case: Any) -> bool:
    """Staff, the case's external case handler, insurer keys with budgets:read, and the
    customer once the page's budget milestone is reached."""
    if principal.acts_as_insurer:
        return principal.has_scope(Scope.BUDGETS_READ)
    if principal.role is Role.CUSTOMER:
        return is_customer_of(principal, case) and principal.view.budget
    return is_external_case_handler(principal, case)


def can_see_task_budget(principal: Principal, task: Any, case: Any) -> bool:
    """Whoever sees the case budget (but not the customer, whose budget tile shows the
    case's total only), and the partner office that holds the task."""
    if principal.role is Role.CUSTOMER:
        return False
    if can_see_case_budget(principal, case):
        return True
    return principal.role is Role.PARTNER and task.office_id == principal.office_id


def can_read_messages(principal: Principal, case: Any) -> bool:
    """The customer chat: staff, the external case handler, the customer of the case once
    the communication page is shown, and insurer keys with messages:read. Partners without
    the handler role do not read it."""
    if principal.acts_as_insurer:
        return principal.has_scope(Scope.MESSAGES_READ)
    if principal.role is Role.CUSTOMER:
        return is_customer_of(principal, case) and principal.view.communication
    return is_external_case_handler(principal, case)


# What a customer sees of their case follows the page configuration at its milestone;
# everyone else who sees the case sees these parts of it.


def can_see_feed(principal: Principal) -> bool:
    """The news feed: customers once the page shows it (and only its filter's types)."""
    return principal.role is not Role.CUSTOMER or principal.view.feed


def can_see_documents(principal: Principal) -> bool:
    """The document list: customers once the documents page is shown (shared ones only)."""
    return principal.role is not Role.CUSTOMER or principal.view.documents


def can_see_tasks(principal: Principal) -> bool:
    """Tasks with their descriptions and partners: customers once the project plan page
    is shown."""
    return principal.role is not Role.CUSTOMER or principal.view.project_plan


def can_see_case_handler(principal: Principal) -> bool:
    """The case handler: customers only when the page shows the case handler's name."""
    return principal.role is not Role.CUSTOMER or principal.view.case_handler_name


def can_see_partner_contact(principal: Principal) -> bool:
    """The external case handler and their office: customers only when the page shows
    partner contact information."""
    return principal.role is not Role.CUSTOMER or principal.view.partner_contact


def can_read_internal(principal: Principal) -> bool:
    """Internal comments and contact details: everyone but customers (keys need comments:read
    for comments; contact details follow the case scope)."""
    return principal.role is not Role.CUSTOMER


def can_read_comments(principal: Principal) -> bool:
    return can_read_internal(principal) and principal.has_scope(Scope.COMMENTS_READ)


def can_manage_case(principal: Principal) -> bool:
    """Create, update, hold, close, reopen, decide compensation, manage tasks."""
    if principal.role is Role.INTEGRATION:
        return not principal.partner_integration and principal.has_scope(Scope.CASES_WRITE)
    return principal.role is Role.STAFF


def can_work_on_task(principal: Principal, task: Any) -> bool:
    """Start, complete, schedule a task: staff, or a user of the office holding it."""
    if can_manage_case(principal):
        return True
    return principal.role is Role.PARTNER and task.office_id == principal.office_id


def can_send_message(principal: Principal, case: Any) -> bool:
    if principal.acts_as_insurer:
        return principal.has_scope(Scope.MESSAGES_WRITE)
    if principal.role is Role.CUSTOMER:
        return principal.case_id == case.id
    return is_external_case_handler(principal, case)


def can_comment(principal: Principal) -> bool:
    return can_read_internal(principal) and principal.has_scope(Scope.COMMENTS_WRITE)


def can_upload_document(principal: Principal) -> bool:
    return principal.has_scope(Scope.DOCUMENTS_WRITE)


# Offices


def can_manage_offices(principal: Principal) -> bool:
    """Create and edit the portal's partner offices: the insurer's staff (case managers)."""
    return principal.role is Role.STAFF


def can_manage_office_categories(principal: Principal) -> bool:
    """Define the portal's office categories: staff with authority level 5 or more (a
    portal-wide setting, like the customer page's, which needs level 6)."""
    return principal.role is Role.STAFF and principal.authority_level >= 5


def can_set_office_availability(principal: Principal, office: Any) -> bool:
    """Whether an office takes new tasks: staff, or the office's own users."""
    if can_manage_offices(principal):
        return True
    return principal.role is Role.PARTNER and principal.office_id == office.id


def can_see_office_categories(principal: Principal, case: Any | None = None) -> bool:
    """The insurer's office categories: staff and insurer API keys; a partner user only as
    the external case handler of `case` with SEE_OFFICE_CATEGORIES (without a case: as
    someone the portal's role grants it, for the category list itself)."""
    if principal.acts_as_insurer:
        return True
    if principal.role is not Role.PARTNER:
        return False
    if case is None:
        return Right.SEE_OFFICE_CATEGORIES.value in principal.ech_rights
    return ech_may(principal, case, Right.SEE_OFFICE_CATEGORIES)


def can_recommend_offices(principal: Principal, case: Any) -> bool:
    """Offices to assign a task of `case` to: those who assign tasks (staff, insurer keys
    with cases:write) and the case's external case handler with ASSIGN_TASKS."""
    return can_manage_case(principal) or ech_may(principal, case, Right.ASSIGN_TASKS)


def sees_task_in_full(principal: Principal, task: Any, case: Any, office_company: Any) -> bool:
    """Everything of a task: everyone but partners; partners when their office holds it
    (a partner key: any office of its company) or as the case's external case handler.
    `office_company` is the company of the task's office (None when unassigned)."""
    if principal.role is Role.PARTNER:
        if task.office_id is not None and task.office_id == principal.office_id:
            return True
        return is_external_case_handler(principal, case)
    if principal.role is Role.INTEGRATION and principal.partner_integration:
        return office_company is not None and office_company == principal.company_id
    return True


# Budgets (services/budgets.py). People submit and decide, never API keys: the approval
# limit and the record of who did it belong to a person.


def can_submit_task_budget(principal: Principal, case: Any, task: Any) -> bool:
    """Submit a task's budget: a user of the office holding the task, staff on the
    partner's behalf, or the case's external case handler with budget_for_other_partners."""
    if principal.role is Role.STAFF:
        return True
    own_office = task.office_id is not None and task.office_id == principal.office_id
    if principal.role is Role.PARTNER and own_office:
        return True
    return ech_may(principal, case, Right.BUDGET_FOR_OTHER_PARTNERS)


def can_decide_budget(principal: Principal, case: Any) -> bool:
    """Approve (up to one's limit) or reject a budget: staff, or the case's external case
    handler with approve_budgets."""
    return principal.role is Role.STAFF or ech_may(principal, case, Right.APPROVE_BUDGETS)


def can_list_budgets(principal: Principal) -> bool:
    """Budget lists: everyone but customers (API keys need budgets:read); rows follow
    scopes.visible_budgets."""
    return principal.role is not Role.CUSTOMER and principal.has_scope(Scope.BUDGETS_READ)


def can_see_budget_figures(principal: Principal, case: Any) -> bool:
    """A case's budget totals: whoever sees the case budget, except customers."""
    return principal.role is not Role.CUSTOMER and can_see_case_budget(principal, case)
