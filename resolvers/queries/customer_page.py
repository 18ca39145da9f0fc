"""The customer page in one request: everything the customer app shows around the case
(branding, tabs, contact block, schedule tile), read in two statements and cut down to
what the customer's view allows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased

from permissions.customer_page import Branding, CustomerView, effective_settings
from permissions.principal import Principal
from resolvers.services import customer_page
from server.db.enums import TaskStatus
from server.db.models import Case, Company, Office, Task, User
from server.errors import not_found


@dataclass(frozen=True)
class PartnerContact:
    """A partner working on the case, as the page shows it."""

    task_title: str
    office_name: str | None
    person_name: str | None
    phone: str | None


@dataclass(frozen=True)
class ScheduleItem:
    """An upcoming task on the schedule tile."""

    task_id: int
    title: str
    kind: str
    meeting_at: dt.datetime | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    office_name: str | None
    person_name: str | None


@dataclass(frozen=True)
class CustomerPageData:
    case_row: Any
    company_name: str
    branding: Branding
    view: CustomerView
    budget: Decimal | None
    case_handler_name: str | None
    case_handler_mobile: str | None
    help_text: str | None
    partners: list[PartnerContact]
    schedule: list[ScheduleItem] | None


def _statements() -> tuple[Any, Any]:
    """The page's two statements, built once: their shape never changes (only the bound
    case and portal do), and building ORM aliases per request cost a fifth of its CPU."""
    handler, responsible = aliased(User, name="handler"), aliased(User, name="responsible")
    head = customer_page.join_settings(
        select(
            *Case.__table__.c,
            Company.name.label("company_name"),
            Company.logo_url.label("company_logo_url"),
            handler.name.label("handler_name"),
            handler.phone.label("handler_phone"),
            *customer_page.settings_columns(),
        )
        .select_from(Case)
        .join(Company, Company.id == Case.insurer_id)
        .outerjoin(handler, handler.id == Case.case_handler_id)
    ).where(Case.id == bindparam("case_id"), Case.insurer_id == bindparam("insurer_id"))
    tasks = (
        select(
            Task.id,
            Task.kind,
            Task.title,
            Task.status,
            Task.scheduled_start,
            Task.scheduled_end,
            Task.customer_meeting_at,
            Office.name.label("office_name"),
            responsible.name.label("person_name"),
            responsible.phone.label("person_phone"),
        )  # fmt: skip
        .outerjoin(Office, Office.id == Task.office_id)
        .outerjoin(responsible, responsible.id == Task.responsible_id)
        .where(Task.case_id == bindparam("case_id"))
        .order_by(Task.id)
    )
    return head, tasks


_HEAD, _TASKS = _statements()


async def load_customer_page(engine: AsyncEngine, principal: Principal) -> CustomerPageData:
    """The customer's page. The principal's view decides every optional part."""
    view = principal.view
    bound = {"case_id": principal.case_id, "insurer_id": principal.insurer_id}
    async with engine.connect() as conn:
        row = (await conn.execute(_HEAD, bound)).first()
        if row is None:
            raise not_found("case")
        wanted = view.schedule or view.partner_contact
        task_rows = list(await conn.execute(_TASKS, bound)) if wanted else []
    settings = effective_settings(row.page_settings, row.page_override)
    branding = settings.branding
    if branding.logo_url is None and row.company_logo_url:
        branding = branding.model_copy(update={"logo_url": row.company_logo_url})
    return CustomerPageData(
        case_row=row,
        company_name=row.company_name,
        branding=branding,
        view=view,
        budget=row.budget if view.budget else None,
        case_handler_name=row.handler_name if view.case_handler_name else None,
        case_handler_mobile=row.handler_phone if view.case_handler_mobile else None,
        help_text=settings.sms_help_text,
        partners=_partners(task_rows) if view.partner_contact else [],
        schedule=_schedule(task_rows) if view.schedule else None,
    )


def _partners(rows: list[Any]) -> list[PartnerContact]:
    return [
        PartnerContact(row.title, row.office_name, row.person_name, row.person_phone)
        for row in rows
        if row.office_name is not None
    ]


def _schedule(rows: list[Any]) -> list[ScheduleItem]:
    """Unfinished tasks with a meeting time or a planned start from yesterday on, soonest
    first: what is coming up, with who does it."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    upcoming = []
    for row in rows:
        when = row.customer_meeting_at or row.scheduled_start
        if (
            when is None
            or when < since
            or row.status in (TaskStatus.COMPLETED, TaskStatus.APPROVED)
        ):
            continue
        item = ScheduleItem(
            row.id, row.title, row.kind, row.customer_meeting_at, row.scheduled_start,
            row.scheduled_end, row.office_name, row.person_name,
        )  # fmt: skip
        upcoming.append((when, item))
    return [item for _, item in sorted(upcoming, key=lambda pair: pair[0])]
