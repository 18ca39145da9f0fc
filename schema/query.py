"""The root Query: viewer, node lookups and the case list."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
from typing import Any

import strawberry

from permissions.customer_page import effective_settings
from permissions.principal import Role
from resolvers.nodes import load_row
from resolvers.queries.case_list import (
    MAX_CUSTOM_FIELD_FILTERS,
    CaseFilter,
    CaseOrderField,
    decode_ids,
    list_cases,
)
from resolvers.queries.customer_page import load_customer_page
from resolvers.services.common import storable
from resolvers.services.customer_page import insurer_settings
from schema.connections import Connection, make_connection
from schema.enums import CaseStatus, DamageType
from schema.mutations.customers import grant_cases
from schema.node import Node, decode_global_id, decode_typed_id
from schema.types.access import CaseCustomerAccess, customer_access
from schema.types.budget import Budget
from schema.types.case import Case
from schema.types.case_type import CaseType, case_types
from schema.types.customer_page import CustomerPage
from schema.types.customer_page_settings import CustomerPageSettings
from schema.types.customers import Customer, GrantCase, customers
from schema.types.event_log import EventLogEntry, event_log  # texts
from schema.types.notification import UserNotificationConnection, viewer_notifications
from schema.types.office import (
    OfficeCategory,
    RecommendedOffice,
    office_categories,
    recommended_offices,
)
from schema.types.people import CaseContact, Company, Office, User
from schema.types.rate_limit import RateLimit, rate_limit
from schema.types.recurring import RecurringCaseSchedule, recurring_case_schedules
from schema.types.rights import (
    ExternalCaseHandlerRole,
    external_case_handler_offices,
    external_case_handler_role,
)
from schema.types.sla import (
    Priority,
    SlaState,
    WorkflowStatus,
    priorities,
    workflow_statuses,
)
from schema.types.statistics import CaseStatisticsRow, case_statistics
from schema.types.texts import (  # texts
    NotificationTextEntry,
    Placeholder,
    StandardReply,
    notification_texts_field,
    standard_replies_field,
    standard_reply_placeholders,
    standard_reply_render,
)
from schema.types.work import Comment, Document, FeedEntry, Message, Task
from server.errors import bad_input, forbidden, not_found

NODE_TYPES: dict[str, Any] = {
    cls.__name__: cls
    for cls in (
        Case,
        Task,
        Document,
        FeedEntry,
        Message,
        Comment,
        CaseContact,
        User,
        Office,
        Company,
        Budget,
        CaseType,  # casetypes
    )
}

ViewerRole = strawberry.enum(Role, name="ViewerRole", description="The kind of principal.")
CaseOrderFieldEnum = strawberry.enum(
    CaseOrderField, name="CaseOrderField", description="What to sort cases by."
)


@strawberry.enum(description="Sort direction.")
class OrderDirection(enum.Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input(description="How to sort the case list; ties break on the id.")
class CaseOrder:
    field: CaseOrderFieldEnum = strawberry.field(  # type: ignore[valid-type]
        default=CaseOrderField.CREATED_AT, description="Sort key."
    )
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.DESC, description="Sort direction."
    )


@strawberry.input(description="A custom field value a case must have.")
class CustomFieldFilterInput:
    key: str = strawberry.field(description="The field's key.")
    equals: str = strawberry.field(
        description="The value, as text (a number matches numerically, e.g. '12' and '12.0')."
    )


def custom_field_filters(given: list[CustomFieldFilterInput] | None) -> tuple[Any, ...]:
    if given and len(given) > MAX_CUSTOM_FIELD_FILTERS:
        raise bad_input(
            f"'customFields' takes at most {MAX_CUSTOM_FIELD_FILTERS} conditions.", "customFields"
        )
    for f in given or ():
        for value in (f.key, f.equals):  # PostgreSQL JSON cannot hold NUL or a lone surrogate
            storable(value, "customFields")
    return tuple((f.key, f.equals) for f in given or ())


@strawberry.input(description="Conditions a case must meet; all given conditions apply.")
class CaseFilterInput:
    status: list[CaseStatus] | None = strawberry.field(default=None, description="Any of these.")
    damage_type: list[DamageType] | None = strawberry.field(
        default=None, description="Any of these damage types."
    )
    case_handler_id: strawberry.ID | None = strawberry.field(
        default=None, description="Handled by this staff user."
    )
    search: str | None = strawberry.field(
        default=None, description="Text in the case number, claim number, street or city."
    )
    created_after: dt.datetime | None = strawberry.field(
        default=None, description="Created at or after this time."
    )
    created_before: dt.datetime | None = strawberry.field(
        default=None, description="Created before this time."
    )
    customer_activity: bool | None = strawberry.field(
        default=None,
        description="True: cases with customer uploads or messages not yet marked read (the "
        "dashboard count is this list's `totalCount`); false: cases without.",
    )
    office_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Cases where any of these offices holds a task or the external case "
        "handler role (at most 100 ids).",
    )
    user_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Cases where this user has any role: case handler, external case "
        "handler, or responsible for a task.",
    )
    case_handler_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Handled by any of these staff users (at most 100 ids)."
    )
    inspector_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Any of these users is responsible for the main inspection (at most 100).",
    )
    project_manager_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Any of these users is responsible for the project management task (at "
        "most 100).",
    )
    my_tasks: bool | None = strawberry.field(
        default=None,
        description="True: you are responsible for an unfinished task (new, assigned or "
        "started) on the case, or, for partners, your office holds one (a partner API key: "
        "any office of its company); false: the other cases.",
    )
    action_required: bool | None = strawberry.field(
        default=None,
        description="True: the case waits for your side. The insurer's side (staff, its API "
        "keys, and the case's external case handler): customer messages or uploads not yet "
        "marked read, a task completed and awaiting approval, or a budget submitted and "
        "awaiting a decision. A partner office: one of its tasks is still new. False: the "
        "other cases.",
    )
    has_external_case_handler: bool | None = strawberry.field(
        default=None,
        description="True: an office holds the external case handler role (whether or not "
        "it has named the person yet); false: no office does.",
    )
    external_case_handler_is_me: bool | None = strawberry.field(
        default=None,
        description="True: you are the case's external case handler; false: you are not.",
    )
    unread_customer_messages: bool | None = strawberry.field(
        default=None,
        description="True: a message from the customer is not yet read; false: none is. "
        "(`customerActivity` also counts uploads.)",
    )
    # --- casetypes ---
    case_type_id: strawberry.ID | None = strawberry.field(
        default=None, description="Cases of this case type."
    )
    custom_fields: list[CustomFieldFilterInput] | None = strawberry.field(
        default=None,
        description="Each of these custom field values (at most 20; not for customers).",
    )

    # --- sla ---
    sla_state: list[SlaState] | None = strawberry.field(
        default=None,
        description="Cases whose SLA state (`Case.sla.state`) is any of these, now; cases "
        "without an SLA match none. The dashboard's breached cases: `[BREACHED]` with "
        "`totalCount`. Not for customers.",
    )
    workflow_status_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="In any of these workflow statuses (at most 100 ids). Not for customers.",
    )
    priority_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="With any of these priorities (at most 100 ids). Not for customers.",
    )

    def to_filter(self) -> CaseFilter:
        handler = self.case_handler_id
        user = self.user_id
        return CaseFilter(
            statuses=tuple(self.status or ()),
            damage_types=tuple(self.damage_type or ()),
            case_handler_id=decode_typed_id(handler, "User", "caseHandlerId") if handler else None,
            search=(self.search or "").strip() or None,
            created_after=self.created_after,
            created_before=self.created_before,
            customer_activity=self.customer_activity,
            office_ids=decode_ids(self.office_ids, "Office", "officeIds"),
            case_handler_ids=decode_ids(self.case_handler_ids, "User", "caseHandlerIds"),
            inspector_ids=decode_ids(self.inspector_ids, "User", "inspectorIds"),
            project_manager_ids=decode_ids(self.project_manager_ids, "User", "projectManagerIds"),
            user_id=decode_typed_id(user, "User", "userId") if user else None,
            my_tasks=self.my_tasks,
            action_required=self.action_required,
            has_external_case_handler=self.has_external_case_handler,
            external_case_handler_is_me=self.external_case_handler_is_me,
            unread_customer_messages=self.unread_customer_messages,
            case_type_id=decode_typed_id(self.case_type_id, "CaseType", "caseTypeId")
            if self.case_type_id
            else None,
            custom_fields=custom_field_filters(self.custom_fields),
            # --- sla ---
            sla_states=tuple(dict.fromkeys(s.stored() for s in self.sla_state or ())),
            workflow_status_ids=decode_ids(
                self.workflow_status_ids, "WorkflowStatus", "workflowStatusIds"
            ),
            priority_ids=decode_ids(self.priority_ids, "Priority", "priorityIds"),
        )


@strawberry.type(description="Who is signed in, and what they belong to.")
class Viewer:
    principal: strawberry.Private[Any]
    role: ViewerRole = strawberry.field(  # type: ignore[valid-type]
        description="Staff, partner, customer or integration."
    )

    @strawberry.field(description="The signed-in user (staff and partners); null otherwise.")
    async def user(self, info: strawberry.Info) -> User | None:
        if self.principal.user_id is None:
            return None
        row = await info.context.loaders.user_by_id.load(self.principal.user_id)
        return User.from_row(row) if row else None

    @strawberry.field(description="The insurer whose portal this is.")
    async def insurer(self, info: strawberry.Info) -> Company | None:
        row = await info.context.loaders.company_by_id.load(self.principal.insurer_id)
        return Company.from_row(row) if row else None

    @strawberry.field(description="For a customer: the one case their access is bound to.")
    async def case(self, info: strawberry.Info) -> Case | None:
        if self.principal.case_id is None:
            return None
        row = await info.context.loaders.case_by_id.load(self.principal.case_id)
        return Case.from_row(row) if row else None

    @strawberry.field(description="Scopes of the API key in use; empty for people.")
    def scopes(self) -> list[str]:
        return sorted(self.principal.scopes)

    # --- mentions ---
    @strawberry.field(
        description="Whether a mention also emails you (`viewerPreferencesUpdate`); null "
        "for customers and API keys, who have no notifications."
    )
    async def email_on_mention(self, info: strawberry.Info) -> bool | None:
        if self.principal.user_id is None:
            return None
        row = await info.context.loaders.user_by_id.load(self.principal.user_id)
        return bool(row.email_on_mention) if row is not None else None


async def _node(info: strawberry.Info, global_id: str, field: str) -> Node | None:
    principal = info.context.require_principal()
    type_name, row_id = decode_global_id(global_id, field)
    row = await load_row(info.context.loaders, principal, type_name, row_id)
    return NODE_TYPES[type_name].from_row(row) if row is not None else None


@strawberry.type(description="Everything that can be read.")
class Query:
    @strawberry.field(description="The signed-in principal. Fails with UNAUTHENTICATED if none.")
    def viewer(self, info: strawberry.Info) -> Viewer:
        principal = info.context.require_principal()
        return Viewer(principal=principal, role=principal.role)

    @strawberry.field(
        description="The signed-in customer's page: everything the customer app shows, in "
        "one request, as the configuration allows at the case's milestones. Customers only; "
        "others get FORBIDDEN."
    )
    async def customer_page(self, info: strawberry.Info) -> CustomerPage:
        principal = info.context.require_principal()
        if principal.role is not Role.CUSTOMER:
            raise forbidden("customerPage is the customer's own view; staff read `Case`.")
        return CustomerPage.of(await load_customer_page(info.context.engine, principal))

    @strawberry.field(
        description="Your portal's customer page configuration (staff and the insurer's API "
        "keys); each case may override it (`Case.customerPageConfig`)."
    )
    async def customer_page_settings(self, info: strawberry.Info) -> CustomerPageSettings:
        principal = info.context.require_principal()
        if not principal.acts_as_insurer:
            raise forbidden("Only the insurer's staff read the customer page configuration.")
        async with info.context.engine.connect() as conn:
            stored = await insurer_settings(conn, principal.insurer_id)
        return CustomerPageSettings.of(effective_settings(stored, None))

    rate_limit: RateLimit | None = strawberry.field(
        resolver=rate_limit,
        description="Your points budget and what this operation cost; null when rate limits "
        "are turned off. Works signed in or not (then the budget is your address's).",
    )

    @strawberry.field(description="Any object by its global id; NOT_FOUND when absent or unseen.")
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Node:
        found = await _node(info, id, "id")
        if found is None:
            raise not_found()
        return found

    @strawberry.field(
        description="Several objects by global id, in order; null where absent or unseen."
    )
    async def nodes(self, info: strawberry.Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > 100:
            raise bad_input("At most 100 ids at a time.", "ids")
        # Concurrently, so the loaders batch them: one statement per type, not per id.
        return list(await asyncio.gather(*(_node(info, global_id, "ids") for global_id in ids)))

    office_categories: list[OfficeCategory] = strawberry.field(
        resolver=office_categories,
        description="The insurer's office categories, by name: staff and insurer API keys; "
        "a partner user only while external case handler of an open case, when the portal's "
        "role grants `see_office_categories` (else FORBIDDEN).",
    )
    recommended_offices: list[RecommendedOffice] = strawberry.field(
        resolver=recommended_offices,
        description="Offices of the case's portal that offer `service` (one of "
        "`Office.services`) and take new tasks, nearest to the damage address first, with "
        "`distanceKm`; offices without coordinates come last, and for a case without "
        "coordinates all are by name with `distanceKm` null. `first`: 1–100, default 10. "
        "For those who assign tasks: staff, insurer API keys with cases:write, and the "
        "case's external case handler with `assign_tasks` (others who see the case get "
        "FORBIDDEN).",
    )
    customer_access: CaseCustomerAccess = strawberry.field(
        resolver=customer_access,
        description="Who has access to a case's customer page (staff and the case's external "
        "case handler).",
    )

    external_case_handler_role: ExternalCaseHandlerRole = strawberry.field(
        resolver=external_case_handler_role,
        description="The portal's external case handler role: its rights with descriptions "
        "(staff, insurer API keys and partner users).",
    )
    external_case_handler_offices: list[Office] = strawberry.field(
        resolver=external_case_handler_offices,
        description="Offices that can hold a case's external case handler role: those with "
        "at least one active user eligible for it, by name (staff).",
    )
    # --- recurring ---
    recurring_case_schedules: list[RecurringCaseSchedule] = strawberry.field(
        resolver=recurring_case_schedules,
        description="The portal's recurring case schedules by name, with their next "
        "occurrence and latest runs (the insurer's staff; others get FORBIDDEN).",
    )
    case_statistics: Connection[CaseStatisticsRow] = strawberry.field(
        resolver=case_statistics,
        description="The case statistics report, one row per case by case id (the rows of "
        "`GET /reports/case-statistics.csv`): the insurer's staff and its API keys with "
        "cases:read; others get FORBIDDEN. Page size 1–100.",
    )
    # --- texts: standard replies, notification texts, the event log ---
    standard_replies: list[StandardReply] = strawberry.field(
        resolver=standard_replies_field,
        description="The portal's standard replies by title (staff and the insurer's API "
        "keys; others FORBIDDEN).",
    )
    standard_reply_placeholders: list[Placeholder] = strawberry.field(
        resolver=standard_reply_placeholders,
        description="The placeholders a standard reply may contain (same readers).",
    )
    standard_reply_render: str = strawberry.field(
        resolver=standard_reply_render,
        description="A standard reply filled for a case (to edit before sending). The case "
        "must be visible to you, else NOT_FOUND; a deactivated reply is BAD_USER_INPUT.",
    )
    notification_texts: list[NotificationTextEntry] = strawberry.field(
        resolver=notification_texts_field,
        description="Every email and SMS the server sends, per channel, with its built-in "
        "text, your portal's own text and the placeholders allowed (staff and the "
        "insurer's API keys; others FORBIDDEN).",
    )
    event_log: Connection[EventLogEntry] = strawberry.field(
        resolver=event_log,
        description="Changes to settings and access, newest first (company admins, "
        "authority level 6; others FORBIDDEN). Page size 1–100. Case events stay in each "
        "case's `feed`.",
    )

    # --- customers ---
    customers: Connection[Customer] = strawberry.field(
        resolver=customers,
        description="Your portal's customers, oldest first, with their cases and grants "
        "(staff; others get FORBIDDEN). `invited: false` lists those not yet invited. Page "
        "size 1–100.",
    )
    grant_cases: list[GrantCase] = strawberry.field(
        resolver=grant_cases,
        description="The cases a customer grant session (from `customerGrantLogin`) may "
        "open, newest first. Needs no bearer token; UNAUTHENTICATED once the grant is revoked.",
    )
    # --- end customers ---

    # --- casetypes ---
    case_types: list[CaseType] = strawberry.field(
        resolver=case_types,
        description="Case types by name: staff and insurer API keys all of the portal's; "
        "partners those of the cases they see; customers the types open to customer "
        "reporting, and their case's type when it is open to customer or public reporting "
        "(with only the fields visible to customers).",
    )

    # --- sla ---
    workflow_statuses: list[WorkflowStatus] = strawberry.field(
        resolver=workflow_statuses,
        description="The portal's workflow statuses by position (staff, partner users and API "
        "keys; customers get FORBIDDEN and read `Case.customerStatusLabel`).",
    )
    priorities: list[Priority] = strawberry.field(
        resolver=priorities,
        description="The portal's priorities with their SLA targets, by position (staff, "
        "partner users and API keys; customers get FORBIDDEN).",
    )

    # --- mentions ---
    viewer_notifications: UserNotificationConnection = strawberry.field(
        resolver=viewer_notifications,
        description="Your in-app notifications (mentions), newest first, with `totalCount` "
        "and `unreadCount`: staff and partner users; customers and API keys get FORBIDDEN. "
        "Live: `viewerNotificationAdded`.",
    )

    @strawberry.field(description="One case by id; NOT_FOUND when absent or not visible to you.")
    async def case(self, info: strawberry.Info, id: strawberry.ID) -> Case:
        info.context.require_principal()
        row = await info.context.loaders.case_by_id.load(decode_typed_id(id, "Case", "id"))
        if row is None:
            raise not_found("case")
        return Case.from_row(row)

    @strawberry.field(
        description="Cases visible to you (staff: the portal; partners: cases their office "
        "works on or handles; customers: their case), filtered and sorted. Page size 1–100."
    )
    async def cases(
        self,
        info: strawberry.Info,
        filter: CaseFilterInput | None = None,
        order_by: CaseOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Case]:
        principal = info.context.require_principal()
        order = order_by or CaseOrder()
        page = await list_cases(
            engine=info.context.engine,
            principal=principal,
            case_filter=(filter or CaseFilterInput()).to_filter(),
            order=order.field,
            descending=order.direction is OrderDirection.DESC,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        items = [(cursor, Case.from_row(row)) for cursor, row in page.rows]
        return make_connection(
            items, has_next=page.has_next, has_previous=page.has_previous, count=page.count
        )
