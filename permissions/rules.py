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
    """Write in the customer chat: the insurer's side, the case's customer, and its
    external case handler with customer_contact (who reads the chat in any case)."""
    if principal.acts_as_insurer:
        return principal.has_scope(Scope.MESSAGES_WRITE)
    if principal.role is Role.CUSTOMER:
        return principal.case_id == case.id
    return ech_may(principal, case, Right.CUSTOMER_CONTACT)


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


# The external case handler's rights. Each action below is the insurer's (staff, or an
# insurer API key with cases:write) and also the case's external case handler's when the
# portal grants the matching right. Services and `Case.viewerCan` both ask these
# functions, so a button a client shows is the mutation the server accepts.

ADMIN_LEVEL = 6  # company admins define the role


def lacks_right(right: Right) -> str:
    """The FORBIDDEN message for an external case handler whose role lacks `right`."""
    return f"The external case handler role lacks the right '{right.value}'."


def insurer_or_ech(principal: Principal, case: Any, right: Right) -> bool:
    """The insurer's side manages the case; its external case handler does with `right`."""
    return can_manage_case(principal) or ech_may(principal, case, right)


def refusal(principal: Principal, case: Any, right: Right, otherwise: str) -> str:
    """Why `insurer_or_ech` said no: the missing right when the principal is the case's
    external case handler, else `otherwise`."""
    return lacks_right(right) if is_external_case_handler(principal, case) else otherwise


def can_define_ech_role(principal: Principal) -> bool:
    """The portal's external case handler role: company admins (authority level 6)."""
    return principal.role is Role.STAFF and principal.authority_level >= ADMIN_LEVEL


def can_read_ech_role(principal: Principal) -> bool:
    """Staff, the insurer's API keys and partner users (the rights they would act with)."""
    return principal.acts_as_insurer or principal.role is Role.PARTNER


def can_assign_ech_office(principal: Principal) -> bool:
    """Choosing the office that holds a case's external case handler role: case managers."""
    return can_manage_case(principal)


def can_assign_ech(principal: Principal, case: Any) -> bool:
    """Naming the external case handler: case managers, or a user of the office that holds
    the role on the case."""
    if can_manage_case(principal):
        return True
    office_id = case.external_case_handler_office_id
    return (
        principal.role is Role.PARTNER
        and office_id is not None
        and (principal.office_id == office_id)
    )


def can_manage_tasks(principal: Principal, case: Any) -> bool:
    """Add and remove tasks (right: manage_tasks)."""
    return insurer_or_ech(principal, case, Right.MANAGE_TASKS)


def can_assign_tasks(principal: Principal, case: Any) -> bool:
    """Hand tasks to offices (right: assign_tasks)."""
    return insurer_or_ech(principal, case, Right.ASSIGN_TASKS)


def can_name_responsible(principal: Principal, case: Any, task: Any) -> bool:
    """Name a task's responsible person: its office and staff, or the external case
    handler with assign_tasks."""
    return can_work_on_task(principal, task) or ech_may(principal, case, Right.ASSIGN_TASKS)


def can_decide_compensation(principal: Principal, case: Any) -> bool:
    return insurer_or_ech(principal, case, Right.DECIDE_COMPENSATION)


def can_approve_tasks(principal: Principal, case: Any) -> bool:
    """Approve completed tasks (right: approve_tasks)."""
    return insurer_or_ech(principal, case, Right.APPROVE_TASKS)


def can_start_inspection(principal: Principal, case: Any) -> bool:
    """Start the main inspection whichever office holds it (right: start_inspection); the
    office holding it starts its own task anyway (`can_work_on_task`)."""
    return insurer_or_ech(principal, case, Right.START_INSPECTION)


def can_contact_customer(principal: Principal, case: Any) -> bool:
    """Share the customer page (grant and revoke access) and documents (right:
    customer_contact). Reading the chat the external case handler always may."""
    return insurer_or_ech(principal, case, Right.CUSTOMER_CONTACT)


# --- texts (issue 7): standard replies, notification texts, the event log ---


def can_configure_texts(principal: Principal) -> bool:
    """Standard replies and notification texts: company admins (authority level 6)."""
    return principal.role is Role.STAFF and principal.authority_level >= ADMIN_LEVEL


def can_use_standard_replies(principal: Principal) -> bool:
    """List, render and send standard replies: the insurer's side (staff and its API
    keys), as in the guide; partners write their own words."""
    return principal.acts_as_insurer


def can_read_event_log(principal: Principal) -> bool:
    """Who changed which settings or access: company admins (authority level 6)."""
    return principal.role is Role.STAFF and principal.authority_level >= ADMIN_LEVEL


# --- recurring cases ---


def can_manage_recurring_cases(principal: Principal) -> bool:
    """Define recurring case schedules: company admins (authority level 6), since a schedule
    opens cases in the portal's name, unattended, for as long as it runs."""
    return principal.role is Role.STAFF and principal.authority_level >= ADMIN_LEVEL


def can_read_recurring_cases(principal: Principal) -> bool:
    """See the portal's recurring case schedules: its staff (not partners or customers)."""
    return principal.role is Role.STAFF
