"""Value sets stored in the database; the GraphQL enums are built from these."""

from __future__ import annotations

import enum


class CompanyKind(enum.StrEnum):
    INSURER = "insurer"
    PARTNER = "partner"


class UserKind(enum.StrEnum):
    STAFF = "staff"
    PARTNER = "partner"


class DamageType(enum.StrEnum):
    WATER = "water"
    FIRE = "fire"
    STORM = "storm"
    BURGLARY = "burglary"
    FLOOD = "flood"
    GLASS = "glass"
    OTHER = "other"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    ON_HOLD = "on_hold"
    CLOSED = "closed"


class CaseOrigin(enum.StrEnum):
    """Where a case came from."""

    STAFF = "staff"  # opened by the insurer's staff (or its API key)
    CUSTOMER = "customer"  # reported by a signed-in customer (self-service)
    PUBLIC = "public"  # reported anonymously through a case type's public id
    RECURRING = "recurring"  # opened by a recurring schedule


class CustomFieldKind(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"  # one of the field's options


class RecurrenceFrequency(enum.StrEnum):
    WEEKLY = "weekly"  # every `interval` weeks
    MONTHLY = "monthly"  # every `interval` months, same day (clamped to the month's end)
    EVERY_N_DAYS = "every_n_days"


class CompensationDecision(enum.StrEnum):
    NONE = "none"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MORE_INFORMATION_NEEDED = "more_information_needed"


class ContactRole(enum.StrEnum):
    POLICYHOLDER = "policyholder"
    CONTACT_PERSON = "contact_person"
    OTHER = "other"


class TaskKind(enum.StrEnum):
    MAIN_INSPECTION = "main_inspection"
    PROJECT_MANAGEMENT = "project_management"
    REPAIR = "repair"


class TaskStatus(enum.StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    STARTED = "started"
    COMPLETED = "completed"
    APPROVED = "approved"


class DocumentType(enum.StrEnum):
    INSPECTION_REPORT = "inspection_report"
    CUSTOMER_SETTLEMENT_REPORT = "customer_settlement_report"
    OTHER = "other"
    CUSTOMER_UPLOAD = "customer_upload"


class MessageDirection(enum.StrEnum):
    TO_CUSTOMER = "to_customer"
    FROM_CUSTOMER = "from_customer"


class BudgetStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class FeedEventType(enum.StrEnum):
    """What happened on a case; see CUSTOMER_FILTERABLE_EVENTS for the customer-facing ones."""

    CALL_HISTORY = "call_history"
    INSPECTOR_ASSIGNED = "inspector_assigned"
    MAIN_INSPECTION_STARTED = "main_inspection_started"
    MAIN_INSPECTION_COMPLETED = "main_inspection_completed"
    COMPENSATION_DECISION = "compensation_decision"
    TASK_STARTED_OR_ENDED = "task_started_or_ended"
    CASE_CLOSED = "case_closed"
    MAIN_INSPECTION_OFFICE_CHANGED = "main_inspection_office_changed"
    NEW_TASKS_ADDED = "new_tasks_added"
    REPAIR_TASK_RESPONSIBLE_CHANGED = "repair_task_responsible_changed"
    REPAIR_TASK_OFFICE_CHANGED = "repair_task_office_changed"
    CASE_REOPENED = "case_reopened"
    PROJECT_MANAGER_CHANGED = "project_manager_changed"
    PROJECT_MANAGEMENT_OFFICE_CHANGED = "project_management_office_changed"
    CUSTOMER_MEETING_TIME_CHANGED = "customer_meeting_time_changed"
    REPAIR_TASK_SCHEDULE_CHANGED = "repair_task_schedule_changed"
    COMMUNICATION_TO_CUSTOMER = "communication_to_customer"
    DOCUMENT_SHARED = "document_shared"
    DOCUMENT_SHARING_REVOKED = "document_sharing_revoked"
    # Internal events: staff and partners see them, no customer filter selects them.
    CASE_CREATED = "case_created"
    CASE_UPDATED = "case_updated"
    CASE_PUT_ON_HOLD = "case_put_on_hold"
    TASK_REMOVED = "task_removed"
    TASK_APPROVED = "task_approved"
    DOCUMENT_UPLOADED = "document_uploaded"
    MESSAGE_FROM_CUSTOMER = "message_from_customer"
    COMMENT_ADDED = "comment_added"
    CASE_RESUMED = "case_resumed"  # back to open from on hold (never closed)
    TASK_SCHEDULE_CHANGED = "task_schedule_changed"  # inspection or project management
    EXTERNAL_CASE_HANDLER_OFFICE_ASSIGNED = "external_case_handler_office_assigned"
    EXTERNAL_CASE_HANDLER_ASSIGNED = "external_case_handler_assigned"
    BUDGET_SUBMITTED = "budget_submitted"
    BUDGET_APPROVED = "budget_approved"
    BUDGET_REJECTED = "budget_rejected"
    WORKFLOW_STATUS_CHANGED = "workflow_status_changed"
    PRIORITY_CHANGED = "priority_changed"
    SLA_BREACHED = "sla_breached"


# The events a customer page's feed filter can select, named one by one: adding a value
# to FeedEventType must never make it customer-visible by accident.
CUSTOMER_FILTERABLE_EVENTS: frozenset[FeedEventType] = frozenset(
    {
        FeedEventType.CALL_HISTORY,
        FeedEventType.INSPECTOR_ASSIGNED,
        FeedEventType.MAIN_INSPECTION_STARTED,
        FeedEventType.MAIN_INSPECTION_COMPLETED,
        FeedEventType.COMPENSATION_DECISION,
        FeedEventType.TASK_STARTED_OR_ENDED,
        FeedEventType.CASE_CLOSED,
        FeedEventType.MAIN_INSPECTION_OFFICE_CHANGED,
        FeedEventType.NEW_TASKS_ADDED,
        FeedEventType.REPAIR_TASK_RESPONSIBLE_CHANGED,
        FeedEventType.REPAIR_TASK_OFFICE_CHANGED,
        FeedEventType.CASE_REOPENED,
        FeedEventType.PROJECT_MANAGER_CHANGED,
        FeedEventType.PROJECT_MANAGEMENT_OFFICE_CHANGED,
        FeedEventType.CUSTOMER_MEETING_TIME_CHANGED,
        FeedEventType.REPAIR_TASK_SCHEDULE_CHANGED,
        FeedEventType.COMMUNICATION_TO_CUSTOMER,
        FeedEventType.DOCUMENT_SHARED,
        FeedEventType.DOCUMENT_SHARING_REVOKED,
    }
)
