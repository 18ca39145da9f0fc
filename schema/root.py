"""Builds the Schema: Query, Mutation, the types only reachable through interfaces,
and the extensions every request goes through."""

from __future__ import annotations

import strawberry
from strawberry.extensions import ValidationCache
from strawberry.schema.config import StrawberryConfig

from resolvers.services import mentions
from schema.gate import SocketGate
from schema.limits import LimitedParserCache, QueryLimits
from schema.mutations import (
    api_key,
    auth,
    budget,
    case,
    case_report,
    case_type,
    comment,
    communication,
    company,
    customer_access,
    customer_page_settings,
    customers,
    document,
    external_case_handler,
    notification,
    notification_text,
    office,
    recurring_case_schedule,
    sla,
    standard_reply,
    task,
)
from schema.mutations.payloads import (
    CasePayload,
    CommentPayload,
    DocumentPayload,
    DocumentsPayload,
    MarkReadPayload,
    MessagePayload,
    TaskPayload,
)
from schema.query import NODE_TYPES, Query
from schema.request_log import RequestLog
from schema.scalars import SCALAR_OVERRIDES
from schema.shared_render import SharedRenderExecutor
from schema.socket_scope import SocketScope
from schema.subscription import Subscription


def _m(resolver, description: str):  # type: ignore[no-untyped-def]
    return strawberry.mutation(resolver=resolver, description=description)


@strawberry.type(description="Everything that changes state. Each mutation is one transaction.")
class Mutation:
    login: auth.LoginPayload = _m(auth.login, "Sign in with email and password.")
    customer_login: auth.CustomerLoginPayload = _m(
        auth.customer_login,
        "Sign in as a customer with the access token from their link (and the SMS code, "
        "when the portal requires one).",
    )
    customer_access_grant: customer_access.CustomerAccessPayload = _m(
        customer_access.customer_access_grant,
        "Give a contact access to the customer page; returns the link token once.",
    )
    customer_access_revoke: customer_access.CustomerAccessRevokePayload = _m(
        customer_access.customer_access_revoke,
        "End a contact's access to the customer page at once (their open subscriptions end).",
    )
    company_set_logo: company.CompanyPayload = _m(
        company.company_set_logo,
        "Set or clear (null) your company's default logo, an https URL (company admins).",
    )
    customer_page_settings_update: customer_page_settings.CustomerPageSettingsPayload = _m(
        customer_page_settings.customer_page_settings_update,
        "Change the portal's customer page configuration (company admins, authority level "
        "6); omitted settings keep their value.",
    )
    case_customer_page_override: customer_page_settings.CustomerPageSettingsPayload = _m(
        customer_page_settings.case_customer_page_override,
        'Override customer page settings for one case ("Sending customer access"); `reset` '
        "makes settings follow the portal's again. Reports or links due at the case's "
        "milestones under the new settings go out at once.",
    )
    api_key_create: api_key.ApiKeyCreatePayload = _m(
        api_key.api_key_create, "Create an API key for an integration client (admins only)."
    )
    api_key_revoke: api_key.ApiKeyRevokePayload = _m(
        api_key.api_key_revoke, "Revoke an API key at once (admins only)."
    )
    case_create: CasePayload = _m(case.case_create, "Open a new case. Feed: CASE_CREATED.")
    case_update: CasePayload = _m(case.case_update, "Change case details. Feed: CASE_UPDATED.")
    case_put_on_hold: CasePayload = _m(
        case.case_put_on_hold, "Put an open case on hold. Feed: CASE_PUT_ON_HOLD."
    )
    case_close: CasePayload = _m(case.case_close, "Close a case. Feed: CASE_CLOSED.")
    case_reopen: CasePayload = _m(
        case.case_reopen, "Reopen a closed case or resume one on hold. Feed: CASE_REOPENED."
    )
    case_set_compensation_decision: CasePayload = _m(
        case.case_set_compensation_decision,
        "Record the compensation decision. Feed: COMPENSATION_DECISION.",
    )
    task_add: TaskPayload = _m(task.task_add, "Add a task to a case. Feed: NEW_TASKS_ADDED.")
    task_remove: CasePayload = _m(
        task.task_remove, "Remove a task that has not started. Feed: TASK_REMOVED."
    )
    task_assign_office: TaskPayload = _m(
        task.task_assign_office,
        "Assign a task to an office (clears the responsible person). "
        "Feed: the office-changed event for the task's kind.",
    )
    task_assign_responsible: TaskPayload = _m(
        task.task_assign_responsible,
        "Name the person responsible for a task. Feed: INSPECTOR_ASSIGNED, "
        "PROJECT_MANAGER_CHANGED or REPAIR_TASK_RESPONSIBLE_CHANGED.",
    )
    task_start: TaskPayload = _m(
        task.task_start,
        "Start an assigned task. Feed: MAIN_INSPECTION_STARTED or TASK_STARTED_OR_ENDED.",
    )
    task_complete: TaskPayload = _m(
        task.task_complete,
        "Complete a started task. Feed: MAIN_INSPECTION_COMPLETED or TASK_STARTED_OR_ENDED.",
    )
    task_approve: TaskPayload = _m(
        task.task_approve, "Approve a completed task (insurer only). Feed: TASK_APPROVED."
    )
    task_set_schedule: TaskPayload = _m(
        task.task_set_schedule,
        "Set a task's planned start and end. Feed: REPAIR_TASK_SCHEDULE_CHANGED.",
    )
    task_set_customer_meeting: TaskPayload = _m(
        task.task_set_customer_meeting,
        "Set the customer meeting time. Feed: CUSTOMER_MEETING_TIME_CHANGED.",
    )
    office_create: office.OfficePayload = _m(
        office.office_create, "Add an office to a partner company of your portal (staff)."
    )
    office_update: office.OfficePayload = _m(
        office.office_update,
        "Change an office (staff); a partner user of the office may change only its "
        "`availableForNewTasks`.",
    )
    office_category_create: office.OfficeCategoryPayload = _m(
        office.office_category_create,
        "Define an office category (staff with authority level 5 or more).",
    )
    office_category_update: office.OfficeCategoryPayload = _m(
        office.office_category_update,
        "Rename or describe an office category (staff with authority level 5 or more).",
    )
    office_category_delete: office.OfficeCategoryDeletePayload = _m(
        office.office_category_delete,
        "Delete an office category; offices leave it (staff with authority level 5 or more).",
    )
    document_upload: DocumentPayload = _m(
        document.document_upload,
        "Upload a file (GraphQL multipart request). Feed: DOCUMENT_UPLOADED. A customer "
        "uploads only when their page's communication allows messages from them (else "
        "FORBIDDEN); their upload stays shared with them, puts the case on the dashboard "
        "(`customerActivity`) and emails the case handler and external case handler.",
    )
    document_share: DocumentsPayload = _m(
        document.document_share,
        "Share documents with the customer (`shared: true`), or revoke sharing (`false`), "
        "without asking again (the UI confirms). All or nothing; customers' own uploads stay "
        "shared. Feed: DOCUMENT_SHARED / DOCUMENT_SHARING_REVOKED per changed document.",
    )
    message_send: MessagePayload = _m(
        communication.message_send,
        "Send a chat message. Feed: COMMUNICATION_TO_CUSTOMER or MESSAGE_FROM_CUSTOMER. "
        "The page's `communicationDirection` decides who may write (else FORBIDDEN); a "
        "customer's message puts the case on the dashboard and emails its handlers.",
    )
    budget_submit: budget.BudgetPayload = _m(
        budget.budget_submit,
        "Submit a task's budget with its budget file (a user of the office holding the task, "
        "staff, or the external case handler with budget_for_other_partners). Supersedes "
        "the task's budget still waiting for a decision; emails the case handler and the "
        "external case handler who approves budgets. Feed: BUDGET_SUBMITTED.",
    )
    budget_approve: budget.BudgetPayload = _m(
        budget.budget_approve,
        "Approve a submitted budget (staff, or the external case handler with "
        "approve_budgets), up to your approval limit: your own, else none for company "
        "admins, else the portal's default; over it is FORBIDDEN naming the limit "
        "(`extensions.approvalLimit`). The task's `budgetEstimate` becomes the sum of its "
        "approved budgets; emails the submitter. Feed: BUDGET_APPROVED.",
    )
    budget_reject: budget.BudgetPayload = _m(
        budget.budget_reject,
        "Reject a submitted budget with a note (same people as `budgetApprove`, no limit); "
        "emails the submitter. Feed: BUDGET_REJECTED.",
    )
    external_case_handler_role_update: external_case_handler.ExternalCaseHandlerRolePayload = _m(
        external_case_handler.external_case_handler_role_update,
        "Define the portal's external case handler role: exactly these rights (company "
        "admins, authority level 6). Applies to every external case handler's next request.",
    )
    case_assign_external_case_handler_office: CasePayload = _m(
        external_case_handler.case_assign_external_case_handler_office,
        "Give a case's external case handler role to an office (staff); null takes it away. "
        "Only offices with an active user eligible for the role (`externalCaseHandlerOffices`, "
        "else BAD_USER_INPUT). Clears the named handler and emails the office's eligible "
        "users. Feed: EXTERNAL_CASE_HANDLER_OFFICE_ASSIGNED.",
    )
    case_assign_external_case_handler: CasePayload = _m(
        external_case_handler.case_assign_external_case_handler,
        "Name the case's external case handler (staff, or a user of the office holding the "
        "role); null unnames. Only an active eligible user of that office (else "
        "BAD_USER_INPUT); emails them. Feed: EXTERNAL_CASE_HANDLER_ASSIGNED.",
    )
    # --- customers ---
    customer_create: customers.CustomerPayload = _m(
        customers.customer_create,
        "Add a customer to your portal (staff); `customerNumber` is unique in the portal.",
    )
    customer_update: customers.CustomerPayload = _m(
        customers.customer_update, "Change a customer (staff); omitted fields keep their value."
    )
    case_set_customer: CasePayload = _m(
        customers.case_set_customer,
        "Link a case to a customer of its portal, or unlink it (null) (staff). Customer "
        "grants covering the previous customer lose the case at once.",
    )
    customer_grant_create: customers.CustomerGrantCreatePayload = _m(
        customers.customer_grant_create,
        "Give one person access to the cases of several customers (staff); returns the link "
        "token once. Event-logged.",
    )
    customer_grant_update: customers.CustomerGrantPayload = _m(
        customers.customer_grant_update,
        "Add or remove covered customers, or change the holder's details (staff); sessions "
        "on removed customers' cases end at once. Event-logged.",
    )
    customer_grant_revoke: customers.CustomerGrantPayload = _m(
        customers.customer_grant_revoke,
        "End a customer grant at once: its link, grant sessions and every case session "
        "opened through it (staff). Event-logged.",
    )
    customer_grant_login: customers.CustomerGrantLoginPayload = _m(
        customers.customer_grant_login,
        "Sign in with a customer grant's link token: returns a grant session token and the "
        "covered cases. The session is not a bearer token; open a case with `grantOpenCase`.",
    )
    grant_open_case: customers.GrantOpenCasePayload = _m(
        customers.grant_open_case,
        "Open one case the customer grant covers: returns a customer bearer token bound to "
        "that case, like `customerLogin`'s. Any other case is NOT_FOUND.",
    )
    # --- end customers ---
    comment_add: CommentPayload = _m(
        communication.comment_add,
        "Add an internal comment, or a reply (`parentId`). Feed: COMMENT_ADDED. "
        + mentions.SYNTAX_HELP,
    )
    # --- casetypes ---
    case_type_create: case_type.CaseTypePayload = _m(
        case_type.case_type_create,
        "Define a case type with its custom fields and task template (company admins, "
        "authority level 6). Event log: caseType.create.",
    )
    case_type_update: case_type.CaseTypePayload = _m(
        case_type.case_type_update,
        "Change a case type (company admins); given `fields`/`taskTemplates` lists replace "
        "the stored ones. Event log: caseType.update.",
    )
    customer_case_report: case_report.CustomerCaseReportPayload = _m(
        case_report.customer_case_report,
        "A signed-in customer reports a new case of a type open to customer reporting "
        "(else NOT_FOUND): origin CUSTOMER, their contact details as policyholder, the "
        "type's defaults and template tasks, and access of their own (a token for the new "
        "case; its link goes to them too). Feed: CASE_CREATED.",
    )
    public_case_report: case_report.PublicCaseReportPayload = _m(
        case_report.public_case_report,
        "Report a case without signing in, with a case type's public id (NOT_FOUND when no "
        "active type open to public reporting has it). Origin PUBLIC; the reporter becomes "
        "the policyholder. At most 5 reports per client address in 15 minutes (else "
        "RATE_LIMITED with `retryAfter`). Answers only the case number.",
    )
    messages_mark_read: MarkReadPayload = _m(
        communication.messages_mark_read,
        "Mark all as read, for your side of the chat (no feed entry): the insurer's side "
        "marks the customer's messages read and takes the case off the dashboard "
        "(`customerActivity`); a customer marks the messages sent to them read.",
    )
    # --- texts: standard replies and notification texts (company admins; event log) ---
    standard_reply_create: standard_reply.StandardReplyPayload = _m(
        standard_reply.standard_reply_create,
        "Write a standard reply (company admins, authority level 6). Event log: "
        "standardReply.create.",
    )
    standard_reply_update: standard_reply.StandardReplyPayload = _m(
        standard_reply.standard_reply_update,
        "Change or (de)activate a standard reply (company admins). Event log: "
        "standardReply.update.",
    )
    standard_reply_delete: standard_reply.StandardReplyDeletePayload = _m(
        standard_reply.standard_reply_delete,
        "Delete a standard reply (company admins); messages written with it keep their "
        "text. Event log: standardReply.delete.",
    )
    notification_text_set: notification_text.NotificationTextPayload = _m(
        notification_text.notification_text_set,
        "Use your own wording for one notification on one channel (company admins); for "
        "the kinds not sent by default this also switches them on. Event log: "
        "notificationText.set.",
    )
    notification_text_reset: notification_text.NotificationTextPayload = _m(
        notification_text.notification_text_reset,
        "Go back to the built-in wording (kinds not sent by default stop being sent; "
        "company admins). Event log: notificationText.reset.",
    )

    # --- recurring ---
    recurring_case_schedule_create: recurring_case_schedule.RecurringCaseSchedulePayload = _m(
        recurring_case_schedule.recurring_case_schedule_create,
        "Define a recurring case schedule (company admins, authority level 6): opens a case "
        "with `caseData` at every occurrence. Event log: recurringCaseSchedule.create.",
    )
    recurring_case_schedule_update: recurring_case_schedule.RecurringCaseSchedulePayload = _m(
        recurring_case_schedule.recurring_case_schedule_update,
        "Change, pause (`active: false`) or resume a recurring case schedule (company "
        "admins). A new timing applies from now on. Event log: recurringCaseSchedule.update.",
    )
    recurring_case_schedule_delete: recurring_case_schedule.RecurringCaseScheduleDeletePayload = _m(
        recurring_case_schedule.recurring_case_schedule_delete,
        "Delete a recurring case schedule and its run records (company admins); the "
        "cases it opened stay. Event log: recurringCaseSchedule.delete.",
    )

    # --- sla: workflow statuses, priorities, the SLA clock ---
    workflow_status_create: sla.WorkflowStatusPayload = _m(
        sla.workflow_status_create,
        "Define a workflow status (company admins, authority level 6; event-logged). "
        "`color` must be #RRGGBB (else BAD_USER_INPUT naming it).",
    )
    workflow_status_update: sla.WorkflowStatusPayload = _m(
        sla.workflow_status_update,
        "Change a workflow status; omitted fields stay (company admins; event-logged).",
    )
    priority_create: sla.PriorityPayload = _m(
        sla.priority_create,
        "Define a priority with SLA targets (company admins, authority level 6; event-logged).",
    )
    priority_update: sla.PriorityPayload = _m(
        sla.priority_update,
        "Change a priority; omitted fields stay, null clears a target (company admins; "
        "event-logged). Cases follow the new targets at once.",
    )
    case_set_workflow_status: CasePayload = _m(
        sla.case_set_workflow_status,
        "Move an open case to a workflow status (staff, insurer API keys with cases:write). "
        "A status with `pausesSla` stops the SLA clock until the case leaves it. "
        "Feed: WORKFLOW_STATUS_CHANGED.",
    )
    case_set_priority: CasePayload = _m(
        sla.case_set_priority,
        "Give an open case a priority (staff, insurer API keys with cases:write); its SLA "
        "targets apply from creation, and breaches recorded for targets still running are "
        "cleared so the new targets decide. Feed: PRIORITY_CHANGED.",
    )

    # --- mentions: comments, in-app notifications, preferences ---
    comment_edit: CommentPayload = _m(
        comment.comment_edit,
        "Change the body of your own comment (others get FORBIDDEN; a deleted one CONFLICT). "
        "The old body is kept in `Comment.revisions`; only people newly mentioned are "
        "notified.",
    )
    comment_delete: CommentPayload = _m(
        comment.comment_delete,
        "Delete your own comment (others get FORBIDDEN): it stays as a tombstone "
        "(`isDeleted`, empty `body`) so replies keep their parent; its last body is kept in "
        "`Comment.revisions`.",
    )
    notifications_mark_read: notification.NotificationsMarkReadPayload = _m(
        notification.notifications_mark_read,
        "Mark your in-app notifications read: the given `ids`, or `all: true`.",
    )
    viewer_preferences_update: notification.ViewerPreferencesPayload = _m(
        notification.viewer_preferences_update,
        "Change your own preferences (staff and partner users; others get FORBIDDEN).",
    )


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(NODE_TYPES.values()),
        extensions=[
            LimitedParserCache,  # the token limit, one cached parse per document
            QueryLimits,  # depth and aliases, as validation rules built once
            lambda: ValidationCache(maxsize=1000),
            RequestLog,
            SocketScope,
            SocketGate,  # after SocketScope: admission sees the operation's principal
        ],
        config=StrawberryConfig(auto_camel_case=True),
        scalar_overrides=SCALAR_OVERRIDES,
        # Live events render once per (operation, permission scope): schema/shared_render.
        execution_context_class=SharedRenderExecutor,
    )
