"""Field rules as pure predicates over (principal, rows). No I/O, no GraphQL.

`case` is anything with the Case columns (an ORM object or a Core row); the same for
`task`. Each rule is small enough to read as the sentence in its docstring.
"""

from __future__ import annotations

from typing import Any

from permissions.principal import Principal, Role, Scope


def is_external_case_handler(principal: Principal, case: Any) -> bool:
    """The partner user assigned as this case's external case handler."""
    return (
        principal.role is Role.PARTNER
        and principal.user_id is not None
        and case.external_case_handler_id == principal.user_id
    )


def can_see_case_budget(principal: Principal, case: Any) -> bool:
    """Staff, the case's external case handler, and insurer keys with budgets:read."""
    if principal.acts_as_insurer:
        return principal.has_scope(Scope.BUDGETS_READ)
    return is_external_case_handler(principal, case)


def can_see_task_budget(principal: Principal, task: Any, case: Any) -> bool:
    """Whoever sees the case budget, and the partner office that holds the task."""
    if can_see_case_budget(principal, case):
        return True
    return principal.role is Role.PARTNER and task.office_id == principal.office_id


def can_read_messages(principal: Principal, case: Any) -> bool:
    """The customer chat: staff, the external case handler, the customer of the case, and
    insurer keys with messages:read. Partners without the handler role do not read it."""
    if principal.acts_as_insurer:
        return principal.has_scope(Scope.MESSAGES_READ)
    if principal.role is Role.CUSTOMER:
        return principal.case_id == case.id
    return is_external_case_handler(principal, case)


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
