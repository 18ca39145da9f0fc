"""SQLAlchemy 2 typed models: the tables of a claims portal.

Every row that belongs to a portal carries `insurer_id`, the insurer company that owns
the portal; every query a principal can cause is scoped by it (see permissions.scopes).
Ids are bigint identities. Within one case, feed entries and messages are in commit
order by id (every writer locks the case row before inserting); across cases, `txid`
(the inserting transaction) gives the gap-free order live subscriptions use.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
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

from server.db.base import Base, Money
from server.db.base import created as _created
from server.db.base import enum_column as _enum
from server.db.base import insurer as _insurer
from server.db.base import pk as _pk
from server.db.base import txid as _txid
from server.db.enums import (
    BudgetStatus,
    CaseOrigin,
    CaseStatus,
    CompanyKind,
    CompensationDecision,
    ContactRole,
    DamageType,
    DocumentType,
    FeedEventType,
    MessageDirection,
    TaskKind,
    TaskStatus,
    UserKind,
)


class Company(Base):
    """An insurer (owns a portal) or a partner company working in an insurer's portal."""

    __tablename__ = "companies"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'insurer' AND insurer_id IS NULL)"
            " OR (kind = 'partner' AND insurer_id IS NOT NULL)",
            name="ck_companies_portal",
        ),
    )

    id: Mapped[int] = _pk()
    kind: Mapped[CompanyKind] = mapped_column(_enum(CompanyKind))
    # The portal a partner company works in; NULL for insurers (their portal is themselves).
    insurer_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    org_number: Mapped[str | None] = mapped_column(String(40))
    # Insurer-only portal settings.
    default_budget_approval_limit: Mapped[Decimal | None] = mapped_column(Money)
    # The company's default logo (the customer page uses it unless its settings name another).
    logo_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = _created()


class Office(Base):
    """A location of a company; tasks are assigned to offices, then to people in them."""

    __tablename__ = "offices"

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    services: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    available_for_new_tasks: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[dt.datetime] = _created()


class User(Base):
    """A person who signs in with email and password: insurer staff or a partner employee."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("authority_level BETWEEN 1 AND 6", name="ck_users_authority_level"),
    )

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    kind: Mapped[UserKind] = mapped_column(_enum(UserKind))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(200))
    authority_level: Mapped[int] = mapped_column(Integer, server_default="1")
    external_case_handler_eligible: Mapped[bool] = mapped_column(Boolean, server_default="false")
    budget_approval_limit: Mapped[Decimal | None] = mapped_column(Money)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[dt.datetime] = _created()
    # Preference: an @mention also sends an email (the in-app notification always exists).
    email_on_mention: Mapped[bool] = mapped_column(Boolean, server_default="true")


class Case(Base):
    """A claim: the unit everyone collaborates on."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("insurer_id", "number", name="uq_cases_insurer_number"),
        Index("ix_cases_insurer_created", "insurer_id", "created_at", "id"),
        # Case lists filter by custom field values (`custom_fields @> {...}`).
        Index("ix_cases_custom_fields", "custom_fields", postgresql_using="gin"),
    )

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    number: Mapped[str] = mapped_column(String(40))
    claim_number: Mapped[str | None] = mapped_column(String(60))
    damage_type: Mapped[DamageType] = mapped_column(_enum(DamageType))
    description: Mapped[str | None] = mapped_column(Text)
    street: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    # Where the damage is, for the nearest offices first (`recommendedOffices`).
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    damage_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus), server_default="open")
    status_reason: Mapped[str | None] = mapped_column(Text)
    compensation_decision: Mapped[CompensationDecision] = mapped_column(
        _enum(CompensationDecision), server_default="none"
    )
    case_handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    budget: Mapped[Decimal | None] = mapped_column(Money)
    external_case_handler_office_id: Mapped[int | None] = mapped_column(
        ForeignKey("offices.id"), index=True
    )
    external_case_handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _created()
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when the customer sends a message or uploads a file, cleared by "mark all as
    # read": the dashboard's "cases with customer uploads or messages".
    customer_activity_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Configurable casework (server.db.casework): the case's type and its custom field
    # values (keyed by CaseTypeField.key), where it came from, and its due date.
    case_type_id: Mapped[int | None] = mapped_column(ForeignKey("case_types.id"), index=True)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    origin: Mapped[CaseOrigin] = mapped_column(_enum(CaseOrigin), server_default="staff")
    deadline: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The customer (policyholder) the case belongs to: broker grants cover customers.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    # The insurer's configurable status and priority (the lifecycle `status` stays).
    workflow_status_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_workflow_statuses.id"), index=True
    )
    priority_id: Mapped[int | None] = mapped_column(ForeignKey("case_priorities.id"), index=True)
    # SLA clock: the first reply to the customer, time spent paused (waiting on the
    # customer or a third party), the running pause, and when each target was breached.
    first_response_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sla_paused_seconds: Mapped[int] = mapped_column(BigInteger, server_default="0")
    sla_paused_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    first_response_breached_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_breached_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CaseContact(Base):
    """A person on the customer side of a case."""

    __tablename__ = "case_contacts"

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    role: Mapped[ContactRole] = mapped_column(_enum(ContactRole))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = _created()


class Task(Base):
    """Work on a case, done by an office and a responsible person in it."""

    __tablename__ = "tasks"

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TaskKind] = mapped_column(_enum(TaskKind))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus), server_default="new")
    scheduled_start: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    scheduled_end: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    customer_meeting_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    budget_estimate: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[dt.datetime] = _created()


class Document(Base):
    """A file on a case (optionally on one of its tasks); bytes live in server.storage."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_case_id_id", "case_id", "id"),)

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    type: Mapped[DocumentType] = mapped_column(_enum(DocumentType))
    title: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_by_contact_id: Mapped[int | None] = mapped_column(ForeignKey("case_contacts.id"))
    shared_with_customer: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # A person shared or unshared it: automatic sharing never overrides that choice.
    sharing_set_by_person: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[dt.datetime] = _created()


class FeedEntry(Base):
    """One event on a case's news feed, with who did it and a typed payload."""

    __tablename__ = "feed_entries"
    __table_args__ = (
        Index("ix_feed_entries_case_id_id", "case_id", "id"),
        Index("ix_feed_entries_insurer_txid", "insurer_id", "txid", "id"),
    )

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    type: Mapped[FeedEventType] = mapped_column(_enum(FeedEventType))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_contact_id: Mapped[int | None] = mapped_column(ForeignKey("case_contacts.id"))
    created_at: Mapped[dt.datetime] = _created()
    txid: Mapped[int] = _txid()


class Message(Base):
    """Customer chat: a message to or from the customer on one case."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_case_id_id", "case_id", "id"),
        Index("ix_messages_insurer_txid", "insurer_id", "txid", "id"),
        CheckConstraint(
            "(author_user_id IS NULL) <> (author_contact_id IS NULL)", name="ck_messages_one_author"
        ),
    )

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    direction: Mapped[MessageDirection] = mapped_column(_enum(MessageDirection))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_contact_id: Mapped[int | None] = mapped_column(ForeignKey("case_contacts.id"))
    body: Mapped[str] = mapped_column(Text)
    attachment_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), server_default="{}")
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    read_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = _created()
    txid: Mapped[int] = _txid()


class Comment(Base):
    """An internal comment: staff and partners only, never shown to a customer."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_case_id_id", "case_id", "id"),)

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()
    # A reply names the comment it answers; comments are internal, replies too.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    # Edits keep the earlier bodies in comment_revisions; a deleted comment keeps its row.
    edited_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CustomerAccessGrant(Base):
    """Access to one case's customer page for one contact, by a secret link token."""

    __tablename__ = "customer_access_grants"

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("case_contacts.id", ondelete="CASCADE"), index=True
    )
    # sha256 of the link token: a leaked database does not leak working links.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    granted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = _created()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    login_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # When the link went out to the contact by email or SMS (null: handed over by staff).
    link_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Opened through a customer grant (`grantOpenCase`): lives only while that grant is live
    # and covers the case's customer; its token is never shown (sessions only).
    customer_grant_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_grants.id", ondelete="CASCADE"), index=True
    )


class ApiKey(Base):
    """A key for an integration client: the insurer's own systems or a partner company's."""

    __tablename__ = "api_keys"

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    created_at: Mapped[dt.datetime] = _created()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CaseNumberCounter(Base):
    """The last case number handed out per insurer and year: numbering is one row update,
    not a scan of the insurer's cases."""

    __tablename__ = "case_number_counters"

    insurer_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer)


class CustomerPageSettings(Base):
    """The insurer's customer-page configuration (see permissions.customer_page for the
    fields and their defaults). Stored as JSON: one validated model reads it, and a case
    override holds any subset of the same keys."""

    __tablename__ = "customer_page_settings"

    insurer_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    updated_at: Mapped[dt.datetime] = _created()
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CaseCustomerPageOverride(Base):
    """ "Sending customer access" on one case: the settings it changes for that case only."""

    __tablename__ = "case_customer_page_overrides"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    insurer_id: Mapped[int] = _insurer()
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    updated_at: Mapped[dt.datetime] = _created()
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class OneTimeCode(Base):
    """An SMS security code for signing in to the customer page: stored hashed, expires,
    and allows a few attempts."""

    __tablename__ = "one_time_codes"

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    grant_id: Mapped[int] = mapped_column(
        ForeignKey("customer_access_grants.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("case_contacts.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = _created()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Notification(Base):
    """An email or SMS to send, written in the transaction that caused it and delivered
    after the commit by the notification dispatcher (at least once, retried on failure)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index(
            "ix_notifications_pending", "next_attempt_at", postgresql_where=text("sent_at IS NULL")
        ),
    )

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # "email" or "sms"
    kind: Mapped[str] = mapped_column(String(48))  # what it is about, e.g. "customer_link"
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()
    next_attempt_at: Mapped[dt.datetime] = _created()
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class OfficeCategory(Base):
    """A category the insurer sorts partner offices by (e.g. "Preferred", "Large claims")."""

    __tablename__ = "office_categories"
    __table_args__ = (UniqueConstraint("insurer_id", "name", name="uq_office_categories_name"),)

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()


class OfficeCategoryLink(Base):
    """An office in a category."""

    __tablename__ = "office_category_links"

    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[int] = mapped_column(
        ForeignKey("office_categories.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ExternalCaseHandlerRole(Base):
    """The portal's definition of the external case handler role: the rights it has
    (permissions.rights.Right values)."""

    __tablename__ = "external_case_handler_roles"

    insurer_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    rights: Mapped[list[str]] = mapped_column(ARRAY(String(48)), server_default="{}")
    updated_at: Mapped[dt.datetime] = _created()
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Budget(Base):
    """A partner's budget for one task, with its budget file; approved or rejected by staff
    or by an external case handler with the right, up to the approver's limit."""

    __tablename__ = "budgets"

    id: Mapped[int] = _pk()
    insurer_id: Mapped[int] = _insurer()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    description: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    status: Mapped[BudgetStatus] = mapped_column(_enum(BudgetStatus), server_default="submitted")
    submitted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()


class TrustedDocument(Base):
    """A GraphQL document a first-party client registered from its build's manifest
    (`casegraph documents register`); requests may name it by its sha256 hash."""

    __tablename__ = "trusted_documents"
    __table_args__ = (Index("ix_trusted_documents_sha256", "sha256"),)

    client_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    operation_name: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()


class IdempotencyKey(Base):
    """The first outcome of a mutation sent with an `Idempotency-Key`, per principal, so
    a retry gets it back instead of acting again. `response` is null while it runs."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_expires_at", "expires_at"),)

    principal: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = _created()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# Configurable casework lives in its own module; importing it here puts its tables in
# Base.metadata wherever the models are used (migrations, tests).
from server.db.casework import *  # noqa: E402, F403
