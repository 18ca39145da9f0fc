"""The case: the claim everyone works on, and its lists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from permissions.customer_rules import CUSTOMER_RECORD
from permissions.field_rules import (
    BUDGET_FIGURES,
    CASE_BUDGET,
    CASE_BUDGETS,
    CASE_DOCUMENTS,
    CASE_FEED,
    CASE_HANDLER,
    CASE_MESSAGES,
    INTERNAL_COMMENTS,
    NOT_FOR_CUSTOMERS,
    PARTNER_CONTACT,
    PROJECT_PLAN,
)
from permissions.fields import guarded
from resolvers.pagination import PageArgs, encode_cursor
from resolvers.services.customer_page_settings import SETTING_NAMES
from schema.connections import Connection, make_connection
from schema.enums import CaseStatus, CompensationDecision, DamageType
from schema.node import Node, encode_global_id
from schema.types.budget import Budget, BudgetSummary, budgets_of
from schema.types.case_type import CaseOrigin, CaseType, CustomFieldValue, custom_field_values
from schema.types.customer_page_settings import (
    CaseCustomerPageConfig,
    CustomerPageSetting,
    CustomerPageSettings,
    Milestone,
)
from schema.types.loading import load_one
from schema.types.people import CaseContact, Office, User
from schema.types.sla import (
    CaseSla,
    Priority,
    WorkflowStatus,
    case_customer_status_label,
    case_priority,
    case_sla,
    case_workflow_status,
)
from schema.types.viewer_can import CaseViewerCan
from schema.types.work import Comment, Document, FeedEntry, Message, Task

if TYPE_CHECKING:
    from schema.types.customers import Customer

PAGE_ARGS_HELP = (
    "Newest first. `first`/`after` page from the newest, `last`/`before` from the oldest; "
    "page sizes are 1–100."
)


async def child_connection(
    info: strawberry.Info,
    name: str,
    kind: Any,
    case_id: int,
    page: tuple[int | None, str | None, int | None, str | None],
) -> Connection[Any]:
    """One page of a case's `name` list (documents, feed, messages, comments) through the
    request's `<name>_page` and `<name>_count` loaders."""
    loaders = info.context.loaders
    args = PageArgs.parse(*page)
    rows = await getattr(loaders, f"{name}_page").load((case_id, args))
    items = [(encode_cursor(str(row.id)), kind.from_row(row)) for row in rows.rows]

    async def count() -> int:
        return int(await getattr(loaders, f"{name}_count").load(case_id))

    return make_connection(
        items, has_next=rows.has_next, has_previous=rows.has_previous, count=count
    )


@strawberry.type(description="A claim: the unit the insurer, partners and customer share.")
class Case(Node):
    row: strawberry.Private[Any]
    number: str = strawberry.field(description="The portal's case number, e.g. 2026-00042.")
    claim_number: str | None = strawberry.field(description="The insurer's claim number.")
    damage_type: DamageType = strawberry.field(description="What caused the damage.")
    description: str | None = strawberry.field(description="What happened, as reported.")
    street: str = strawberry.field(description="Street address of the damaged property.")
    postal_code: str = strawberry.field(description="Postal code of the damaged property.")
    city: str = strawberry.field(description="City of the damaged property.")
    latitude: float | None = guarded(
        NOT_FOR_CUSTOMERS,
        "Latitude of the damaged property (WGS 84); `recommendedOffices` measures from it.",
    )
    longitude: float | None = guarded(
        NOT_FOR_CUSTOMERS, "Longitude of the damaged property (WGS 84)."
    )
    damage_date: dt.date | None = strawberry.field(description="When the damage occurred.")
    status: CaseStatus = strawberry.field(description="Open, on hold or closed.")
    status_reason: str | None = guarded(
        NOT_FOR_CUSTOMERS, "Why the case was last put on hold, closed or reopened."
    )
    compensation_decision: CompensationDecision = guarded(
        NOT_FOR_CUSTOMERS, "The insurer's compensation decision so far."
    )
    budget: Decimal | None = guarded(CASE_BUDGET, "The case budget.")
    created_at: dt.datetime = strawberry.field(description="When the case was created.")
    updated_at: dt.datetime = strawberry.field(description="When the case last changed.")
    closed_at: dt.datetime | None = strawberry.field(description="When it was closed, if it is.")

    @classmethod
    def from_row(cls, row: Any) -> Case:
        return cls(
            row=row,
            id=encode_global_id("Case", row.id),
            number=row.number,
            claim_number=row.claim_number,
            damage_type=row.damage_type,
            description=row.description,
            street=row.street,
            postal_code=row.postal_code,
            city=row.city,
            latitude=row.latitude,
            longitude=row.longitude,
            damage_date=row.damage_date,
            status=row.status,
            status_reason=row.status_reason,
            compensation_decision=row.compensation_decision,
            budget=row.budget,
            created_at=row.created_at,
            updated_at=row.updated_at,
            closed_at=row.closed_at,
        )

    @guarded(CASE_HANDLER, "The insurer's case handler.")
    async def case_handler(self, info: strawberry.Info) -> User | None:
        return await load_one(info, "user_by_id", self.row.case_handler_id, User)

    @guarded(PARTNER_CONTACT, "The partner user acting as external case handler, if any.")
    async def external_case_handler(self, info: strawberry.Info) -> User | None:
        return await load_one(info, "user_by_id", self.row.external_case_handler_id, User)

    @guarded(PARTNER_CONTACT, "The office holding the external case handler role, if any.")
    async def external_case_handler_office(self, info: strawberry.Info) -> Office | None:
        office_id = self.row.external_case_handler_office_id
        return await load_one(info, "office_by_id", office_id, Office)

    @strawberry.field(description="People on the customer side: policyholder and contacts.")
    async def contacts(self, info: strawberry.Info) -> list[CaseContact]:
        rows = await info.context.loaders.contacts_by_case.load(self.row.id)
        return [CaseContact.from_row(row) for row in rows]

    @guarded(PROJECT_PLAN, "All tasks of the case, oldest first (a case has a handful).")
    async def tasks(self, info: strawberry.Info) -> list[Task]:
        rows = await info.context.loaders.tasks_by_case.load(self.row.id)
        return [Task.from_row(row) for row in rows]

    @guarded(CASE_DOCUMENTS, "Documents the viewer may see. " + PAGE_ARGS_HELP)
    async def documents(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Document]:
        page = (first, after, last, before)
        return await child_connection(info, "documents", Document, self.row.id, page)

    @guarded(CASE_FEED, "The news feed. " + PAGE_ARGS_HELP)
    async def feed(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[FeedEntry]:
        page = (first, after, last, before)
        return await child_connection(info, "feed", FeedEntry, self.row.id, page)

    @guarded(CASE_MESSAGES, "The customer chat. " + PAGE_ARGS_HELP)
    async def messages(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Message]:
        page = (first, after, last, before)
        return await child_connection(info, "messages", Message, self.row.id, page)

    @guarded(
        CASE_MESSAGES,
        "Messages your side has not read yet: for the insurer's side the customer's, for "
        "the customer those sent to them.",
    )
    async def unread_message_count(self, info: strawberry.Info) -> int:
        return await info.context.loaders.unread_messages_count.load(self.row.id)

    @guarded(
        CASE_MESSAGES,
        "When the customer last sent a message or uploaded a file that nobody on the "
        "insurer's side has marked read since (`messagesMarkRead`); null when there is none. "
        "Such cases are the dashboard's `cases(filter: {customerActivity: true})`.",
    )
    def customer_activity_at(self) -> dt.datetime | None:
        return self.row.customer_activity_at  # type: ignore[no-any-return]

    @guarded(
        NOT_FOR_CUSTOMERS,
        "The case's customer page: effective settings, what this case overrides, and the "
        "milestones reached.",
    )
    async def customer_page_config(self, info: strawberry.Info) -> CaseCustomerPageConfig:
        state = await info.context.loaders.page_state_by_case.load(self.row.id)
        override = (state.override or {}).keys()
        return CaseCustomerPageConfig(
            settings=CustomerPageSettings.of(state.settings),
            overridden=[
                CustomerPageSetting(name) for name in sorted(override) if name in SETTING_NAMES
            ],
            milestones=sorted(state.milestones, key=list(Milestone).index),
        )

    @guarded(INTERNAL_COMMENTS, "Internal comments. " + PAGE_ARGS_HELP)
    async def comments(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Comment]:
        page = (first, after, last, before)
        return await child_connection(info, "comments", Comment, self.row.id, page)

    @guarded(
        CASE_BUDGETS,
        "Budgets of the case's tasks, oldest first; a partner user sees those of their "
        "office's tasks.",
    )
    async def budgets(self, info: strawberry.Info) -> list[Budget]:
        return await budgets_of(info, "budgets_by_case", self.row.id)

    @guarded(BUDGET_FIGURES, "Totals of the case's task budgets: submitted, approved, both.")
    async def budget_summary(self, info: strawberry.Info) -> BudgetSummary:
        return BudgetSummary.of(await info.context.loaders.budgets_by_case.load(self.row.id))

    @strawberry.field(
        description="What you may do on this case now, one flag per action (so apps hide "
        "buttons instead of guessing); from the same rules the mutations apply."
    )
    async def viewer_can(self, info: strawberry.Info) -> CaseViewerCan:
        return await CaseViewerCan.of(info, self.row)

    # --- customers ---
    @guarded(CUSTOMER_RECORD, "The customer the case belongs to (`caseSetCustomer`).")
    async def customer(
        self, info: strawberry.Info
    ) -> Annotated[Customer, strawberry.lazy("schema.types.customers")] | None:
        from schema.types.customers import customer_of_case

        return await customer_of_case(info, self.row)

    # --- casetypes ---
    @strawberry.field(
        description="The case's type, if it has one. Customers see it only when the type "
        "is open to customer or public reporting; for a type kept internal (e.g. for "
        "triage) it is null for them by design, as it is for a case without a type."
    )
    async def case_type(self, info: strawberry.Info) -> CaseType | None:
        return await load_one(info, "case_type_by_id", self.row.case_type_id, CaseType)

    @strawberry.field(
        description="Every custom field of the case's type with the case's value (null "
        "when unset), in the type's order; customers get only fields visible to them."
    )
    async def custom_fields(self, info: strawberry.Info) -> list[CustomFieldValue]:
        return await custom_field_values(info, self.row)

    @strawberry.field(description="Where the case came from.")
    def origin(self) -> CaseOrigin:  # type: ignore[valid-type]
        return self.row.origin  # type: ignore[no-any-return]

    @guarded(NOT_FOR_CUSTOMERS, "When the case is due (its type's default deadline).")
    def deadline(self) -> dt.datetime | None:
        return self.row.deadline  # type: ignore[no-any-return]

    # --- sla ---
    @guarded(
        NOT_FOR_CUSTOMERS,
        "The insurer's workflow status of the case (`caseSetWorkflowStatus`), with its "
        "internal name and colour; null before one is set. Customers read "
        "`customerStatusLabel` instead.",
    )
    async def workflow_status(self, info: strawberry.Info) -> WorkflowStatus | None:
        return await case_workflow_status(info, self.row)

    @strawberry.field(
        description="What the customer sees of the workflow status: its customer label when "
        "the status is visible to customers, else null by design (several internal statuses "
        "may share one label; the internal name and colour are never shown). The same for "
        "every reader."
    )
    async def customer_status_label(self, info: strawberry.Info) -> str | None:
        return await case_customer_status_label(info, self.row)

    @guarded(NOT_FOR_CUSTOMERS, "The case's priority (`caseSetPriority`) with its SLA targets.")
    async def priority(self, info: strawberry.Info) -> Priority | None:
        return await case_priority(info, self.row)

    @guarded(
        NOT_FOR_CUSTOMERS,
        "The SLA clock under the case's priority: state and due times of the first response "
        "and resolution targets; null without a priority or when it sets no target.",
    )
    async def sla(self, info: strawberry.Info) -> CaseSla | None:
        return await case_sla(info, self.row)
