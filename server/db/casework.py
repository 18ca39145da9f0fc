"""Configurable casework (issue 7): what an insurer's admin configures beyond the claim.

Case types with custom fields and task templates, workflow statuses, priorities with
SLA targets, standard replies, notification texts, recurring cases, comment mentions
and in-app notifications, customers and access grants covering several of them, and
the event log of settings and access changes. Every row carries `insurer_id`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, created, enum_column, insurer, pk
from server.db.enums import CustomFieldKind, RecurrenceFrequency, TaskKind

__all__ = [
    "CaseType",
    "CaseTypeField",
    "CaseTypeTaskTemplate",
    "CaseWorkflowStatus",
    "CasePriority",
    "StandardReply",
    "NotificationText",
    "EventLogEntry",
    "RecurringCaseSchedule",
    "RecurringCaseRun",
    "CommentRevision",
    "CommentMention",
    "UserNotification",
    "Customer",
    "CustomerGrant",
    "CustomerGrantCustomer",
    "CustomerLogin",
    "CustomerGrantCode",
]


# --- Case types ---------------------------------------------------------------------


class CaseType(Base):
    """A kind of case the insurer handles, with its own custom fields and task template.
    `public_id` is the unguessable id anonymous reporters use; it is not the node id."""

    __tablename__ = "case_types"
    __table_args__ = (UniqueConstraint("insurer_id", "name", name="uq_case_types_name"),)

    id: Mapped[int] = pk()
    insurer_id: Mapped[int] = insurer()
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    # Signed-in customers may report cases of this type / anyone with the public id may.
    customer_reporting: Mapped[bool] = mapped_column(Boolean, server_default="false")
    public_reporting: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # What a reported case lands with.
    default_priority_id: Mapped[int | None] = mapped_column(ForeignKey("case_priorities.id"))
    default_deadline_days: Mapped[int | None] = mapped_column(Integer)
    default_case_handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[dt.datetime] = created()
    updated_at: Mapped[dt.datetime] = created()


class CaseTypeField(Base):
    """A custom field of a case type; values live in `cases.custom_fields` under `key`."""

    __tablename__ = "case_type_fields"
    __table_args__ = (UniqueConstraint("case_type_id", "key", name="uq_case_type_fields_key"),)

    id: Mapped[int] = pk()
    insurer_id: Mapped[int] = insurer()
    case_type_id: Mapped[int] = mapped_column(
        ForeignKey("case_types.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CustomFieldKind] = mapped_column(enum_column(CustomFieldKind))
    options: Mapped[list[str]] = mapped_column(ARRAY(String(200)), server_default="{}")
    required: Mapped[bool] = mapped_column(Boolean, server_default="false")
    visible_to_customer: Mapped[bool] = mapped_column(Boolean, server_default="false")
    position: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[dt.datetime] = created()


class CaseTypeTaskTemplate(Base):
    """A task opened with every new case of the type."""

    __tablename__ = "case_type_task_templates"

    id: Mapped[int] = pk()
    insurer_id: Mapped[int] = insurer()
    case_type_id: Mapped[int] = mapped_column(
        ForeignKey("case_types.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[TaskKind] = mapped_column(enum_column(TaskKind))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    # The task's scheduled start, in days after the case is opened (none: unscheduled).
    start_after_days: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, server_default="0")


# --- Statuses and priorities --------------------------------------------------------


class CaseWorkflowStatus(Base):
    """A status the insurer's staff move cases through (beside the lifecycle status
    open/on hold/closed). Customers see `customer_label` (several statuses may share one)
    and only when `visible_to_customer`; `pauses_sla` stops the SLA clock."""

    __tablename__ = "case_workflow_statuses"
    __table_args__ = (
        UniqueConstraint("insurer_id", "name", name="uq_case_workflow_statuses_name"),
        CheckConstraint("color ~ '^#[0-9a-fA-F]{6}$'", name="ck_case_workflow_statuses_color"),
    )

    id: Mapped[int] = pk()
    insurer_id: Mapped[int] = insurer()
    name: Mapped[str] = mapped_column(String(100))
    color: Mapped[str] = mapped_column(String(7))
    position: Mapped[int] = mapped_column(Integer, server_default="0")
    visible_to_customer: Mapped[bool] = mapped_column(Boolean, server_default="false")
    customer_label: Mapped[str | None] = mapped_column(String(100))
    pauses_sla: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # The status new cases start in (at most one per insurer).
    is_default: Mapped[bool] = mapped_column(Boolean, server_default="false")
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[dt.datetime] = created()


class CasePriority(Base):
    """A priority with SLA targets, in minutes from the case's creation (paused time
    excluded): to the first reply to the customer, and to closing the case."""

    __tablename__ = "case_priorities"
    __table_args__ = (UniqueConstraint("insurer_id", "name", name="uq_case_priorities_name"),)

    id: Mapped[int] = pk()
    insurer_id: Mapped[int] = insurer()
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, server_default="0")
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    # "At risk" once this share of a target's time has passed.
    at_risk_percent: Mapped[int] = mapped_column(Integer, server_default="80")
    is_default: Mapped[bool] = mapped_column(Boolean, server_default="false")
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[dt.datetime] = created()


# --- Texts ----------------------------------------------------------------------------


class StandardReply(Base):
    """A reusable text with placeholders ({customer_name}, {case_number}, ...)."""

    __tablename__ = "standard_replies"

    id: Mapped[int] = pk()
    insurer_id: Mapped[int] = insurer()
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = created()
    updated_at: Mapped[dt.datetime] = created()


class NotificationText(Base):
    """The insurer's wording of one email or SMS the server sends (by notification kind);
    without a row the built-in text is used."""

    __tablename__ = "notification_texts"

    insurer_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(48), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = created()
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# --- Event log ------------------------------------------------------------------------


class EventLogEntry(Base):
    """A change to settings or access: who, what, when, and the values before and after."""

    __tablename__ = "event_log"
    __table_args__ = (Index("ix_event_log_insurer_id_id", "insurer_id", "id"),)

    id: Mapped[int] = pk()
    insurer_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Who, in words, also when there is no user (an API key, the scheduler).
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(48))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = created()


# --- Recurring cases --------------------------------------------------------------------


class RecurringCaseSchedule(Base):
    """Opens a case with `case_data` at every occurrence from `starts_at` until `ends_at`."""

    __tablename__ = "recurring_case_schedules"
    __table_args__ = (
        CheckConstraint("interval >= 1", name="ck_recurring_case_schedules_interval"),
        Index(
            "ix_recurring_case_schedules_due",
            "next_occurrence_at",
            postgresql_where=text("active AND next_occurrence_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = pk()
    insurer_id: Mapped[int] = insurer()
    name: Mapped[str] = mapped_column(String(200))
    case_type_id: Mapped[int | None] = mapped_column(ForeignKey("case_types.id"))
    # The case to open, as the caseCreate input would give it (validated when saved).
    case_data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    frequency: Mapped[RecurrenceFrequency] = mapped_column(enum_column(RecurrenceFrequency))
    interval: Mapped[int] = mapped_column(Integer, server_default="1")
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The next occurrence not yet opened; null once the schedule has ended.
    next_occurrence_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = created()
    updated_at: Mapped[dt.datetime] = created()


class RecurringCaseRun(Base):
    """One occurrence of a schedule and the case it opened: the primary key is what makes
    an occurrence run exactly once, whichever process gets there."""

    __tablename__ = "recurring_case_runs"

    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("recurring_case_schedules.id", ondelete="CASCADE"), primary_key=True
    )
    occurrence_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    # Why no case was opened for this occurrence (its stored case data failed), else null.
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created()


# --- Comments, mentions, in-app notifications --------------------------------------------


class CommentRevision(Base):
    """An earlier body of an edited or deleted comment."""

    __tablename__ = "comment_revisions"

    id: Mapped[int] = pk()
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    # When this body was replaced, and by whom.
    replaced_at: Mapped[dt.datetime] = created()
    replaced_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CommentMention(Base):
    """A user mentioned in a comment."""

    __tablename__ = "comment_mentions"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class UserNotification(Base):
    """An in-app notification for one user (e.g. "you were mentioned")."""

    __tablename__ = "user_notifications"
    __table_args__ = (Index("ix_user_notifications_user_id_id", "user_id", "id"),)

    id: Mapped[int] = pk()
    insurer_id: Mapped[int] = insurer()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(48))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created()
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# --- Customers and grants across customers ---------------------------------------------


class Customer(Base):
    """A policyholder of the insurer (a person or an organisation) whose cases a broker
    grant can cover; `cases.customer_id` links a case to its customer."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("insurer_id", "customer_number", name="uq_customers_number"),
    )

    id: Mapped[int] = pk()
    insurer_id: Mapped[int] = insurer()
    customer_number: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = created()


class CustomerGrant(Base):
    """Access for one person (a household member, a property manager) to the cases of
    one or more customers, by a secret link token like a case grant."""

    __tablename__ = "customer_grants"

    id: Mapped[int] = pk()
    insurer_id: Mapped[int] = insurer()
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    granted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = created()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CustomerGrantCustomer(Base):
    """A customer covered by a grant."""

    __tablename__ = "customer_grant_customers"

    grant_id: Mapped[int] = mapped_column(
        ForeignKey("customer_grants.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CustomerLogin(Base):
    """One sign-in by a case grant or a customer grant: the login statistics' history."""

    __tablename__ = "customer_logins"
    __table_args__ = (
        CheckConstraint(
            "(case_grant_id IS NULL) <> (customer_grant_id IS NULL)",
            name="ck_customer_logins_one_grant",
        ),
        Index("ix_customer_logins_insurer_id_at", "insurer_id", "at"),
    )

    id: Mapped[int] = pk()
    insurer_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False)
    case_grant_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_access_grants.id", ondelete="CASCADE"), index=True
    )
    customer_grant_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_grants.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = created()


class CustomerGrantCode(Base):
    """An SMS security code for signing in with a customer grant (the case grants' codes
    are bound to a case contact, which a customer grant does not have): stored as an HMAC
    bound to the grant, expires, allows a few attempts."""

    __tablename__ = "customer_grant_codes"

    id: Mapped[int] = pk()
    insurer_id: Mapped[int] = insurer()
    grant_id: Mapped[int] = mapped_column(
        ForeignKey("customer_grants.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = created()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
