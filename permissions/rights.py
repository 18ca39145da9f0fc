"""The external case handler's rights: which of the 16 the portal grants the role.

The insurer defines the role once for its portal (`external_case_handler_roles`); every
partner user's principal carries the portal's set, and `rules.ech_may` applies it on the
cases where that user is the external case handler. Chat, all documents and the reported
information of their cases the external case handler always has, whatever the set.
"""

from __future__ import annotations

import enum


class Right(enum.StrEnum):
    MANAGE_TASKS = "manage_tasks"  # add and remove tasks
    ASSIGN_TASKS = "assign_tasks"  # assign tasks to partner offices
    SEE_OFFICE_CATEGORIES = "see_office_categories"
    DECIDE_COMPENSATION = "decide_compensation"
    CASH_OFFERS = "cash_offers"  # cash offers for all tasks
    BUDGET_FOR_OTHER_PARTNERS = "budget_for_other_partners"
    APPROVE_BUDGETS = "approve_budgets"  # up to the user's (or the portal's) limit
    APPROVE_TASKS = "approve_tasks"
    MANAGE_RFQ = "manage_rfq"  # create and edit requests for quotation
    RFQ_EXTERNAL_PARTNERS = "rfq_external_partners"  # add non-portal partners to an RFQ
    DECIDE_RFQ = "decide_rfq"
    CUSTOMER_CONTACT = "customer_contact"  # share the customer page and documents, chat
    CHAT_NOTIFICATIONS = "chat_notifications"  # always notified of chat in the case
    CASH_OFFER_BEFORE_BUDGET_APPROVAL = "cash_offer_before_budget_approval"
    START_INSPECTION = "start_inspection"
    REMOTE_VIDEO = "remote_video"


RIGHT_DESCRIPTIONS: dict[Right, str] = {
    Right.MANAGE_TASKS: "Add and remove tasks on the case.",
    Right.ASSIGN_TASKS: "Assign tasks to partner offices and name their responsible people.",
    Right.SEE_OFFICE_CATEGORIES: "See the insurer's office categories when assigning tasks.",
    Right.DECIDE_COMPENSATION: "Make the compensation decision.",
    Right.CASH_OFFERS: "Make cash offers for all tasks.",
    Right.BUDGET_FOR_OTHER_PARTNERS: "Add budgets on behalf of other partners' tasks.",
    Right.APPROVE_BUDGETS: "Approve budgets up to the user's approval limit.",
    Right.APPROVE_TASKS: "Approve completed tasks.",
    Right.MANAGE_RFQ: "Create and edit requests for quotation.",
    Right.RFQ_EXTERNAL_PARTNERS: "Add partners outside the portal to a request for quotation.",
    Right.DECIDE_RFQ: "Decide a request for quotation.",
    Right.CUSTOMER_CONTACT: "Share the customer page and documents; read and send messages.",
    Right.CHAT_NOTIFICATIONS: "Always notified of new chat messages in the case.",
    Right.CASH_OFFER_BEFORE_BUDGET_APPROVAL: "Give a cash offer before the budget is approved.",
    Right.START_INSPECTION: "Start an inspection from the web portal.",
    Right.REMOTE_VIDEO: "Use remote video on the case.",
}
