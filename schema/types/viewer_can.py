"""`Case.viewerCan`: what the signed-in principal may do on a case, so clients hide buttons
instead of guessing. Every flag asks the rule functions the write services ask
(permissions/rules.py), plus the case state those services check; it reads the case row,
the principal and (batched per request) the case's page state or tasks, never one query
per case.
"""

from __future__ import annotations

from typing import Any

import strawberry

from permissions import rules
from permissions.customer_page import ChatDirection
from permissions.principal import Principal, Role
from permissions.rights import Right
from schema.types.rights import ExternalCaseHandlerRight, of_rights
from server.db.enums import CaseStatus

OPEN_STATES = (CaseStatus.OPEN, CaseStatus.ON_HOLD)


def _flag(description: str) -> Any:
    return strawberry.field(description=description)


@strawberry.type(
    description="What you may do on this case now: your role, the external case handler "
    "rights the portal grants (when you are the case's external case handler) and the "
    "case's state (a closed case takes only `reopen`, sharing and customer access). True "
    "means the mutation named in each flag would not be refused for who you are; it can "
    "still refuse bad input or an object's own state (a task already started, a budget "
    "over your limit)."
)
class CaseViewerCan:
    update: bool = _flag("`caseUpdate`.")
    put_on_hold: bool = _flag("`casePutOnHold` (the case is open).")
    close: bool = _flag("`caseClose` (the case is open or on hold).")
    reopen: bool = _flag("`caseReopen` (the case is closed or on hold).")
    decide_compensation: bool = _flag(
        "`caseSetCompensationDecision` (external case handler: decide_compensation)."
    )
    add_tasks: bool = _flag("`taskAdd` (external case handler: manage_tasks).")
    remove_tasks: bool = _flag("`taskRemove` (external case handler: manage_tasks).")
    assign_tasks: bool = _flag(
        "`taskAssignOffice`, and `taskAssignResponsible` on any task (external case "
        "handler: assign_tasks); an office always names the responsible for its own tasks."
    )
    approve_tasks: bool = _flag("`taskApprove` (external case handler: approve_tasks).")
    start_inspection: bool = _flag(
        "`taskStart` on the main inspection whichever office holds it (external case "
        "handler: start_inspection); the office holding it starts it anyway."
    )
    upload_documents: bool = _flag("`documentUpload`.")
    share_documents: bool = _flag("`documentShare` (external case handler: customer_contact).")
    manage_customer_access: bool = _flag(
        "`customerAccessGrant`, `customerAccessRevoke` and the `customerAccess` list "
        "(external case handler: customer_contact)."
    )
    read_messages: bool = _flag(
        "Read the customer chat (`Case.messages`) and `messagesMarkRead`; the external case "
        "handler always may."
    )
    send_messages: bool = _flag(
        "`messageSend`: also follows the customer page's `communicationDirection` "
        "(external case handler: customer_contact)."
    )
    add_comments: bool = _flag("`commentAdd` (people, not API keys).")
    assign_external_case_handler_office: bool = _flag("`caseAssignExternalCaseHandlerOffice`.")
    assign_external_case_handler: bool = _flag(
        "`caseAssignExternalCaseHandler` (staff, or a user of the office holding the role, "
        "once an office holds it)."
    )
    approve_budgets: bool = _flag(
        "`budgetApprove` and `budgetReject` on this case, up to your approval limit "
        "(external case handler: approve_budgets)."
    )
    submit_budgets: bool = _flag(
        "`budgetSubmit` for at least one task of the case: your office's tasks, any task for "
        "staff, or any task with the external case handler's budget_for_other_partners."
    )
    see_office_categories: bool = _flag(
        "See office categories when assigning tasks (external case handler: see_office_categories)."
    )
    make_cash_offers: bool = _flag(
        "Cash offers for all tasks (external case handler: cash_offers)."
    )
    cash_offer_before_budget_approval: bool = _flag(
        "Cash offers before the budget is approved (external case handler: "
        "cash_offer_before_budget_approval)."
    )
    manage_rfq: bool = _flag(
        "Create and edit requests for quotation (external case handler: manage_rfq)."
    )
    add_rfq_external_partners: bool = _flag(
        "Add partners outside the portal to a request for quotation (external case handler: "
        "rfq_external_partners)."
    )
    decide_rfq: bool = _flag("Decide a request for quotation (external case handler: decide_rfq).")
    use_remote_video: bool = _flag(
        "Remote video on the case (external case handler: remote_video)."
    )
    receives_chat_notifications: bool = _flag(
        "You are emailed when the customer writes or uploads: the case handler, and the "
        "external case handler when the portal grants chat_notifications."
    )
    external_case_handler_rights: list[ExternalCaseHandlerRight] = _flag(  # type: ignore[valid-type]
        "The rights you act with on this case as its external case handler; empty otherwise."
    )

    @classmethod
    async def of(cls, info: strawberry.Info, case: Any) -> CaseViewerCan:
        principal: Principal = info.context.require_principal()
        live = case.status is not CaseStatus.CLOSED
        manager = rules.can_manage_case(principal)
        is_ech = rules.is_external_case_handler(principal, case)

        def right(which: Right) -> bool:
            return rules.insurer_or_ech(principal, case, which)

        return cls(
            update=manager and live,
            put_on_hold=manager and case.status is CaseStatus.OPEN,
            close=manager and case.status in OPEN_STATES,
            reopen=manager and case.status is not CaseStatus.OPEN,
            decide_compensation=rules.can_decide_compensation(principal, case) and live,
            add_tasks=rules.can_manage_tasks(principal, case) and live,
            remove_tasks=rules.can_manage_tasks(principal, case) and live,
            assign_tasks=rules.can_assign_tasks(principal, case) and live,
            approve_tasks=rules.can_approve_tasks(principal, case) and live,
            start_inspection=rules.can_start_inspection(principal, case) and live,
            upload_documents=live and _can_upload(principal),
            share_documents=rules.can_contact_customer(principal, case),
            manage_customer_access=rules.can_contact_customer(principal, case),
            read_messages=rules.can_read_messages(principal, case),
            send_messages=live and await _can_send(info, principal, case),
            add_comments=rules.can_comment(principal) and principal.user_id is not None,
            assign_external_case_handler_office=rules.can_assign_ech_office(principal) and live,
            assign_external_case_handler=(
                rules.can_assign_ech(principal, case)
                and live
                and case.external_case_handler_office_id is not None
            ),
            approve_budgets=rules.can_decide_budget(principal, case) and live,
            submit_budgets=live and await _can_submit_budgets(info, principal, case),
            see_office_categories=right(Right.SEE_OFFICE_CATEGORIES),
            make_cash_offers=right(Right.CASH_OFFERS),
            cash_offer_before_budget_approval=right(Right.CASH_OFFER_BEFORE_BUDGET_APPROVAL),
            manage_rfq=right(Right.MANAGE_RFQ),
            add_rfq_external_partners=right(Right.RFQ_EXTERNAL_PARTNERS),
            decide_rfq=right(Right.DECIDE_RFQ),
            use_remote_video=right(Right.REMOTE_VIDEO),
            receives_chat_notifications=(
                principal.user_id is not None and principal.user_id == case.case_handler_id
            )
            or rules.ech_may(principal, case, Right.CHAT_NOTIFICATIONS),
            external_case_handler_rights=(
                of_rights(r for r in Right if r.value in principal.ech_rights) if is_ech else []
            ),
        )


def _can_upload(principal: Principal) -> bool:
    if principal.role is Role.CUSTOMER:
        view = principal.view
        return view.communication and view.direction is not ChatDirection.ONLY_TO_CUSTOMER
    return rules.can_upload_document(principal)


async def _can_send(info: strawberry.Info, principal: Principal, case: Any) -> bool:
    """communication.send_message's checks: who you are, then the page's direction."""
    if not rules.can_send_message(principal, case):
        return False
    if principal.role is Role.CUSTOMER:
        return _can_upload(principal)
    state = await info.context.loaders.page_state_by_case.load(case.id)
    return bool(state.view().staff_can_send)


async def _can_submit_budgets(info: strawberry.Info, principal: Principal, case: Any) -> bool:
    """budgets' own rule for any of the case's tasks (batched: one statement per request)."""
    if principal.role not in (Role.STAFF, Role.PARTNER):
        return False  # people submit budgets, never API keys or customers
    tasks = await info.context.loaders.tasks_by_case.load(case.id)
    return any(rules.can_submit_task_budget(principal, case, task) for task in tasks)
