"""`customerPage`: everything the customer app needs around the case, in one request."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from resolvers.queries.customer_page import CustomerPageData
from schema.enums import TaskKind
from schema.node import encode_global_id
from schema.types.case import Case
from schema.types.customer_page_settings import ChatDirection, CustomerPageBranding, Milestone


@strawberry.type(description="Which parts of the customer page exist right now.")
class CustomerPageTabs:
    dashboard: bool = strawberry.field(description="The dashboard; always there.")
    budget: bool = strawberry.field(description="The case budget tile (`showBudget`).")
    news_feed: bool = strawberry.field(description="The news feed (`showFeed`).")
    schedule: bool = strawberry.field(description="The schedule tile (`showSchedule`).")
    project_plan: bool = strawberry.field(description="The project plan page.")
    communication: bool = strawberry.field(description="The communication page.")
    documents: bool = strawberry.field(description="The documents page.")


@strawberry.type(description="What the communication page allows the customer.")
class CustomerCommunication:
    direction: ChatDirection = strawberry.field(  # type: ignore[valid-type]
        description="Which way messages go."
    )
    can_send: bool = strawberry.field(
        description="The customer may write and upload now (page shown, direction allows)."
    )
    can_receive: bool = strawberry.field(
        description="The insurer's side may write to the customer."
    )


@strawberry.type(description="A partner working on the case, as the page shows it.")
class CustomerPartnerContact:
    task_title: str = strawberry.field(description="The task the partner does.")
    office_name: str | None = strawberry.field(description="The partner office.")
    person_name: str | None = strawberry.field(description="The responsible person, if named.")
    phone: str | None = strawberry.field(description="The responsible person's phone.")


@strawberry.type(description="Whom the customer can contact; parts follow the page settings.")
class CustomerPageContact:
    case_handler_name: str | None = strawberry.field(
        description="The case handler's name; null unless `showCaseHandlerName`."
    )
    case_handler_mobile: str | None = strawberry.field(
        description="The case handler's mobile; null unless `showCaseHandlerMobile`."
    )
    partners: list[CustomerPartnerContact] = strawberry.field(
        description="Assigned partners; empty unless `showPartnerContact`."
    )
    help_text: str | None = strawberry.field(
        description="Whom to contact when something goes wrong with the SMS code."
    )


@strawberry.type(description="An upcoming task on the schedule tile.")
class CustomerScheduleItem:
    task_id: strawberry.ID = strawberry.field(description="The task.")
    title: str = strawberry.field(description="What is done.")
    kind: TaskKind = strawberry.field(description="Inspection, project management or repair.")
    meeting_at: dt.datetime | None = strawberry.field(description="The customer meeting time.")
    starts_at: dt.datetime | None = strawberry.field(description="Planned start.")
    ends_at: dt.datetime | None = strawberry.field(description="Planned end.")
    office_name: str | None = strawberry.field(description="The assigned partner office.")
    person_name: str | None = strawberry.field(description="The responsible person.")


@strawberry.type(
    description="The customer's page: branding, tabs, case, contact block and schedule, as "
    "the configuration allows at the case's current milestones. Lists on `case` (feed, "
    "documents, messages, tasks) follow the same rules."
)
class CustomerPage:
    data: strawberry.Private[CustomerPageData]
    company_name: str = strawberry.field(description="The insurer's name.")
    branding: CustomerPageBranding = strawberry.field(
        description="Colours and logo (the company's default logo unless the page names one)."
    )
    milestones: list[Milestone] = strawberry.field(  # type: ignore[valid-type]
        description="Milestones the case has reached."
    )
    tabs: CustomerPageTabs = strawberry.field(description="Which parts of the page exist.")
    communication: CustomerCommunication = strawberry.field(
        description="What the communication page allows."
    )
    budget: Decimal | None = strawberry.field(
        description="The case budget; null unless the budget tile is shown."
    )
    contact: CustomerPageContact = strawberry.field(description="The contact block.")
    schedule: list[CustomerScheduleItem] | None = strawberry.field(
        description="Upcoming meetings and work, soonest first; null unless the tile is shown."
    )

    @strawberry.field(description="The case: number, address, status and its lists.")
    def case(self) -> Case:
        return Case.from_row(self.data.case_row)

    @classmethod
    def of(cls, data: CustomerPageData) -> CustomerPage:
        view = data.view
        return cls(
            data=data,
            company_name=data.company_name,
            branding=CustomerPageBranding.of(data.branding),
            milestones=sorted(view.milestones, key=list(Milestone).index),
            tabs=CustomerPageTabs(
                dashboard=True,
                budget=view.budget,
                news_feed=view.feed,
                schedule=view.schedule,
                project_plan=view.project_plan,
                communication=view.communication,
                documents=view.documents,
            ),
            communication=CustomerCommunication(
                direction=view.direction,
                can_send=view.customer_can_send,
                can_receive=view.staff_can_send,
            ),
            budget=data.budget,
            contact=CustomerPageContact(
                case_handler_name=data.case_handler_name,
                case_handler_mobile=data.case_handler_mobile,
                partners=[CustomerPartnerContact(**vars(p)) for p in data.partners],
                help_text=data.help_text,
            ),
            schedule=None
            if data.schedule is None
            else [
                CustomerScheduleItem(
                    task_id=strawberry.ID(encode_global_id("Task", item.task_id)),
                    title=item.title,
                    kind=item.kind,  # type: ignore[arg-type]
                    meeting_at=item.meeting_at,
                    starts_at=item.starts_at,
                    ends_at=item.ends_at,
                    office_name=item.office_name,
                    person_name=item.person_name,
                )
                for item in data.schedule
            ],
        )
