"""The customer page: its configuration, the case's milestones, and what a customer sees.

What a customer may see is a pure function of three things: the insurer's settings with
the case's override applied (`effective_settings`), the milestones the case has reached
(`reached_milestones`), and the customer themself. `CustomerView` is that function's
result; the customer's principal carries it, so row scopes and field rules read it
without I/O.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from server.db.enums import CUSTOMER_FILTERABLE_EVENTS, ContactRole, FeedEventType

log = logging.getLogger(__name__)


class Milestone(enum.StrEnum):
    """When a timed setting takes effect."""

    CASE_CREATED = "case_created"
    INSPECTOR_ASSIGNED = "inspector_assigned"
    POSITIVE_DECISION = "positive_decision"
    NEVER = "never"


class AccessRecipients(enum.StrEnum):
    """Which contacts of a case get the customer page."""

    POLICYHOLDER = "policyholder"
    CONTACT_PERSON = "contact_person"
    BOTH = "both"
    ALL_CONTACTS = "all_contacts"


class LinkTrigger(enum.StrEnum):
    """When the access link is sent automatically."""

    CASE_CREATED = "case_created"
    INSPECTOR_ASSIGNED = "inspector_assigned"
    POSITIVE_DECISION = "positive_decision"
    MANUAL = "manual"


class ChatDirection(enum.StrEnum):
    """Which way the communication page carries messages."""

    BOTH_WAYS = "both_ways"
    ONLY_TO_CUSTOMER = "only_to_customer"
    ONLY_FROM_CUSTOMER = "only_from_customer"


HEX_COLOUR = r"^#[0-9A-Fa-f]{6}$"


class Branding(BaseModel):
    """The page's colours and logo; a null logo means the company's default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    page_background: str = Field("#FFFFFF", pattern=HEX_COLOUR)
    menu_background: str = Field("#1F3A5F", pattern=HEX_COLOUR)
    selected_menu: str = Field("#2E5C8A", pattern=HEX_COLOUR)
    font: str = Field("#FFFFFF", pattern=HEX_COLOUR)
    selected_font: str = Field("#FFD166", pattern=HEX_COLOUR)
    headings: str = Field("#1F3A5F", pattern=HEX_COLOUR)
    logo_url: str | None = Field(None, max_length=500, pattern=r"^https://[^\x00\s]+$")


class CustomerPageSettings(BaseModel):
    """Every customer-facing setting of the in4mo customer-page guide, with defaults that
    show little until a decision is made (a new portal leaks nothing by default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    branding: Branding = Branding()
    sms_code_required: bool = False
    access_recipients: AccessRecipients = AccessRecipients.POLICYHOLDER
    link_trigger: LinkTrigger = LinkTrigger.MANUAL
    days_visible_after_closing: int = Field(30, ge=0, le=3650)
    show_budget: Milestone = Milestone.NEVER
    show_feed: Milestone = Milestone.CASE_CREATED
    feed_filter: frozenset[FeedEventType] = CUSTOMER_FILTERABLE_EVENTS
    show_schedule: bool = True
    show_project_plan: Milestone = Milestone.INSPECTOR_ASSIGNED
    show_communication: Milestone = Milestone.CASE_CREATED
    communication_direction: ChatDirection = ChatDirection.BOTH_WAYS
    show_documents: Milestone = Milestone.CASE_CREATED
    auto_share_inspection_report: Milestone = Milestone.NEVER
    auto_share_settlement_report: Milestone = Milestone.NEVER
    show_case_handler_name: bool = True
    show_case_handler_mobile: bool = False
    show_partner_contact: bool = False
    sms_help_text: str | None = Field(None, max_length=1000)

    @field_validator("sms_help_text")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    @field_validator("feed_filter")
    @classmethod
    def _customer_events_only(cls, value: frozenset[FeedEventType]) -> frozenset[FeedEventType]:
        internal = value - CUSTOMER_FILTERABLE_EVENTS
        if internal:
            names = ", ".join(sorted(event.value for event in internal))
            raise ValueError(f"not customer-facing event types: {names}")
        return value

    def contradictions(self) -> list[tuple[str, str]]:
        """Combinations the page cannot show, as (setting, why). Checked when settings are
        saved; a view never depends on them (the mobile is shown only with the name)."""
        if self.show_case_handler_mobile and not self.show_case_handler_name:
            return [("showCaseHandlerMobile", "the mobile is only shown with the name")]
        return []


DEFAULT_SETTINGS = CustomerPageSettings()


def effective_settings(
    insurer: Mapping[str, Any] | None, override: Mapping[str, Any] | None, *, strict: bool = False
) -> CustomerPageSettings:
    """The insurer's stored settings with a case's override applied on top.

    Both are stored as partial JSON (only what was set), so a default that changes later
    applies to every portal that never chose otherwise. Branding merges key by key. Keys
    this version does not know (a setting since removed) are ignored. Reading is lenient:
    a stored value this version no longer accepts falls back to its default (and is
    logged) rather than locking every customer of the portal out; saving is `strict`.
    """
    merged: dict[str, Any] = {}
    for layer in (insurer or {}, override or {}):
        known = {k: v for k, v in layer.items() if k in CustomerPageSettings.model_fields}
        if isinstance(known.get("branding"), Mapping):
            branding = known["branding"]
            known["branding"] = {k: v for k, v in branding.items() if k in Branding.model_fields}
        merged = merge_settings(merged, known)
    if strict:
        return CustomerPageSettings.model_validate(merged)
    for _ in range(len(merged) + len(merged.get("branding", {})) + 1):
        try:
            return CustomerPageSettings.model_validate(merged)
        except ValidationError as exc:
            _drop_invalid(merged, exc)
    return DEFAULT_SETTINGS


def merge_settings(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` over `base`, as stored settings combine: branding key by key, every other
    setting whole."""
    merged = dict(base)
    for key, value in changes.items():
        if key == "branding" and isinstance(value, Mapping):
            merged["branding"] = {**merged.get("branding", {}), **value}
        else:
            merged[key] = value
    return merged


def _drop_invalid(merged: dict[str, Any], exc: ValidationError) -> None:
    for error in exc.errors():
        path = [str(part) for part in error["loc"]]
        log.warning("invalid stored customer-page setting ignored", extra={"setting": path})
        if len(path) > 1 and path[0] == "branding" and isinstance(merged.get("branding"), dict):
            merged["branding"].pop(path[1], None)
        elif path:
            merged.pop(path[0], None)
        else:  # a whole-model error: nothing to single out
            merged.clear()


def reached_milestones(
    *, inspector_assigned: bool, positive_decision: bool
) -> frozenset[Milestone]:
    """The milestones a case has reached, in order: an inspector is assigned when the main
    inspection has a responsible person; a positive decision is an accepted compensation
    decision. The milestones are stages, so a positive decision counts as past the
    inspector milestone too (a cash settlement without an inspection must not keep what
    shows "once an inspector is assigned" hidden for good). Both follow the case's
    current state."""
    reached = {Milestone.CASE_CREATED}
    if inspector_assigned or positive_decision:
        reached.add(Milestone.INSPECTOR_ASSIGNED)
    if positive_decision:
        reached.add(Milestone.POSITIVE_DECISION)
    return frozenset(reached)


def trigger_milestone(trigger: LinkTrigger) -> Milestone:
    """The milestone at which the link goes out (NEVER: manual only)."""
    return Milestone.NEVER if trigger is LinkTrigger.MANUAL else Milestone(trigger.value)


def contact_gets_access(recipients: AccessRecipients, role: ContactRole) -> bool:
    """Whether a contact in `role` is among those who get the customer page."""
    match recipients:
        case AccessRecipients.ALL_CONTACTS:
            return True
        case AccessRecipients.BOTH:
            return role in (ContactRole.POLICYHOLDER, ContactRole.CONTACT_PERSON)
        case _:
            return role.value == recipients.value


def still_visible(
    settings: CustomerPageSettings, closed_at: dt.datetime | None, now: dt.datetime
) -> bool:
    """A closed case stays on the customer page for the configured number of days."""
    if closed_at is None:
        return True
    return now < closed_at + dt.timedelta(days=settings.days_visible_after_closing)


@dataclass(frozen=True, slots=True)
class CustomerView:
    """What one customer sees of their case right now. Hashable: principals that share
    a view render live events once."""

    milestones: frozenset[Milestone]
    budget: bool
    feed: bool
    feed_types: frozenset[FeedEventType]
    schedule: bool
    project_plan: bool
    communication: bool
    direction: ChatDirection
    documents: bool
    case_handler_name: bool
    case_handler_mobile: bool
    partner_contact: bool

    @classmethod
    def of(cls, settings: CustomerPageSettings, milestones: frozenset[Milestone]) -> CustomerView:
        def shown(milestone: Milestone) -> bool:
            return milestone in milestones  # NEVER is never reached

        feed = shown(settings.show_feed)
        return cls(
            milestones=milestones,
            budget=shown(settings.show_budget),
            feed=feed,
            feed_types=settings.feed_filter if feed else frozenset(),
            schedule=settings.show_schedule,
            project_plan=shown(settings.show_project_plan),
            communication=shown(settings.show_communication),
            direction=settings.communication_direction,
            documents=shown(settings.show_documents),
            case_handler_name=settings.show_case_handler_name,
            case_handler_mobile=settings.show_case_handler_name
            and settings.show_case_handler_mobile,
            partner_contact=settings.show_partner_contact,
        )

    @property
    def customer_can_send(self) -> bool:
        """The customer may write (and upload) on the communication page."""
        return self.communication and self.direction is not ChatDirection.ONLY_TO_CUSTOMER

    @property
    def staff_can_send(self) -> bool:
        """The insurer's side may write to the customer. Independent of whether the page
        is shown yet: messages wait there until it is."""
        return self.direction is not ChatDirection.ONLY_FROM_CUSTOMER


def auto_share_due(settings: CustomerPageSettings, milestones: frozenset[Milestone]) -> set[str]:
    """The report document types that are due for automatic sharing."""
    due: set[str] = set()
    if settings.auto_share_inspection_report in milestones:
        due.add("inspection_report")
    if settings.auto_share_settlement_report in milestones:
        due.add("customer_settlement_report")
    return due


_TASK = ("taskId", "kind", "title")
# The payload keys a customer may read, per customer-facing event. What the guide hides
# is simply absent: the decision's outcome, closing comments, the reason for reopening.
CUSTOMER_DETAIL_KEYS: dict[FeedEventType, tuple[str, ...]] = {
    FeedEventType.CALL_HISTORY: ("successful", "durationSeconds", "number", "callerName"),
    FeedEventType.INSPECTOR_ASSIGNED: ("taskId", "userName"),
    FeedEventType.MAIN_INSPECTION_STARTED: _TASK,
    FeedEventType.MAIN_INSPECTION_COMPLETED: _TASK,
    FeedEventType.COMPENSATION_DECISION: (),
    FeedEventType.TASK_STARTED_OR_ENDED: (*_TASK, "status"),
    FeedEventType.CASE_CLOSED: (),
    FeedEventType.MAIN_INSPECTION_OFFICE_CHANGED: ("taskId", "officeName"),
    FeedEventType.NEW_TASKS_ADDED: _TASK,
    FeedEventType.REPAIR_TASK_RESPONSIBLE_CHANGED: ("taskId", "userName"),
    FeedEventType.REPAIR_TASK_OFFICE_CHANGED: ("taskId", "officeName"),
    FeedEventType.CASE_REOPENED: (),
    FeedEventType.PROJECT_MANAGER_CHANGED: ("taskId", "userName"),
    FeedEventType.PROJECT_MANAGEMENT_OFFICE_CHANGED: ("taskId", "officeName"),
    FeedEventType.CUSTOMER_MEETING_TIME_CHANGED: ("taskId", "at"),
    FeedEventType.REPAIR_TASK_SCHEDULE_CHANGED: ("taskId", "start", "end"),
    FeedEventType.COMMUNICATION_TO_CUSTOMER: ("messageId",),
    FeedEventType.DOCUMENT_SHARED: ("documentId", "title"),
    FeedEventType.DOCUMENT_SHARING_REVOKED: ("documentId", "title"),
}


def customer_details(type: FeedEventType, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a feed entry's payload a customer may read (nothing of other types)."""
    return {key: payload[key] for key in CUSTOMER_DETAIL_KEYS.get(type, ()) if key in payload}
