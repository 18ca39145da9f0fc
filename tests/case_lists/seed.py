"""A small portal whose cases each exercise some case-list filters, by label."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.engine import make_session_factory
from server.db.enums import (
    BudgetStatus,
    CaseStatus,
    ContactRole,
    DamageType,
    MessageDirection,
    TaskKind,
    TaskStatus,
)
from server.db.models import Budget, Case, CaseContact, Message, Task
from server.settings import Settings
from tests.factories import Portal, _case, build_portal


@dataclass
class Seeded:
    portal: Portal
    cases: dict[str, Case] = field(default_factory=dict)

    def numbers(self, *labels: str) -> set[str]:
        return {self.cases[label].number for label in labels}

    def label_of(self, number: str) -> str:
        return next(label for label, case in self.cases.items() if case.number == number)


async def seed_dashboard(engine: AsyncEngine, settings: Settings, name: str) -> Seeded:
    """The factory's three cases (`case`, `handled`, `lonely`) and four more:

    - `pm`: handled by the admin; project management by the other office's user (started),
      a repair of the office completed by the partner user, a new repair of the office;
    - `budget`: closed; an approved repair of the office with a submitted budget;
    - `ech_pending`: storm; the office holds the external case handler role, no person
      named yet; customer activity not yet read;
    - `read_msgs`: the external case handler named; main inspection by the partner user,
      approved, with a submitted budget; the customer's message already read.
    """
    portal = await build_portal(engine, settings, name)
    office, other_office = portal.office, portal.other_office
    sessions = make_session_factory(engine)
    async with sessions() as session, session.begin():
        insurer = portal.insurer
        pm = _case(insurer, portal.admin)
        budget = _case(insurer, portal.handler, status=CaseStatus.CLOSED)
        ech_pending = _case(
            insurer,
            portal.handler,
            damage_type=DamageType.STORM,
            external_case_handler_office_id=office.id,
            customer_activity_at=dt.datetime.now(dt.UTC),
        )
        read_msgs = _case(
            insurer,
            portal.handler,
            external_case_handler_office_id=other_office.id,
            external_case_handler_id=portal.ech.id,
        )
        session.add_all([pm, budget, ech_pending, read_msgs])
        await session.flush()

        def task(case: Case, kind: TaskKind, status: TaskStatus, **kw: Any) -> Task:
            return Task(
                insurer_id=insurer.id,
                case_id=case.id,
                kind=kind,
                title=kind.value,
                status=status,
                **kw,
            )

        budget_repair = task(budget, TaskKind.REPAIR, TaskStatus.APPROVED, office_id=office.id)
        inspection = task(
            read_msgs,
            TaskKind.MAIN_INSPECTION,
            TaskStatus.APPROVED,
            office_id=office.id,
            responsible_id=portal.partner_user.id,
        )
        session.add_all(
            [
                task(
                    pm,
                    TaskKind.PROJECT_MANAGEMENT,
                    TaskStatus.STARTED,
                    office_id=other_office.id,
                    responsible_id=portal.other_partner_user.id,
                ),
                task(
                    pm,
                    TaskKind.REPAIR,
                    TaskStatus.COMPLETED,
                    office_id=office.id,
                    responsible_id=portal.partner_user.id,
                ),
                task(pm, TaskKind.REPAIR, TaskStatus.NEW, office_id=office.id),
                budget_repair,
                inspection,
            ]
        )
        writer = CaseContact(
            insurer_id=insurer.id,
            case_id=read_msgs.id,
            role=ContactRole.POLICYHOLDER,
            name="Rita Read",
        )
        session.add(writer)
        await session.flush()
        session.add_all(
            [
                Budget(
                    insurer_id=insurer.id,
                    case_id=case.id,
                    task_id=on_task.id,
                    office_id=office.id,
                    amount=Decimal("4200.00"),
                    status=BudgetStatus.SUBMITTED,
                    submitted_by_user_id=portal.partner_user.id,
                )
                for case, on_task in ((budget, budget_repair), (read_msgs, inspection))
            ]
            + [
                Message(
                    insurer_id=insurer.id,
                    case_id=read_msgs.id,
                    direction=MessageDirection.FROM_CUSTOMER,
                    author_contact_id=writer.id,
                    body="Thanks!",
                    read_at=dt.datetime.now(dt.UTC),
                )
            ]
        )
        # The factory's first case starts without customer activity, whatever it holds.
        await session.execute(
            update(Case).where(Case.id == portal.case.id).values(customer_activity_at=None)
        )
    return Seeded(
        portal,
        {
            "case": portal.case,
            "handled": portal.handled_case,
            "lonely": portal.lonely_case,
            "pm": pm,
            "budget": budget,
            "ech_pending": ech_pending,
            "read_msgs": read_msgs,
        },
    )
