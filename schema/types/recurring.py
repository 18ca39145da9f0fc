"""Recurring case schedules as the schema shows them (staff only)."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import strawberry

from resolvers.queries import recurring_schedules
from resolvers.services import recurring_cases
from schema.enums import ContactRole, DamageType
from schema.node import encode_global_id
from schema.types.case import Case
from schema.types.loading import load_one
from server.db import enums
from server.errors import bad_input

TIMING = (
    "All times are UTC (portals have no time zone): an occurrence keeps the start's UTC time "
    "of day. Every occurrence is counted from `startsAt`, never from the previous one."
)


@strawberry.enum(description="How often a recurring schedule opens a case. " + TIMING)
class RecurrenceFrequency(enum.Enum):
    WEEKLY = strawberry.enum_value(
        "weekly", description="Every `interval` weeks, on the start's weekday."
    )
    MONTHLY = strawberry.enum_value(
        "monthly",
        description="Every `interval` months on the start's day of month; a month without "
        "that day takes its last day (Jan 31 → Feb 28 or 29 → Mar 31).",
    )
    EVERY_N_DAYS = strawberry.enum_value("every_n_days", description="Every `interval` days.")

    def stored(self) -> enums.RecurrenceFrequency:
        return enums.RecurrenceFrequency(self.value)


@strawberry.type(description="A customer-side contact a recurring schedule's cases get.")
class RecurringCaseContact:
    role: ContactRole = strawberry.field(description="Policyholder, contact person or other.")
    name: str = strawberry.field(description="Full name.")
    email: str | None = strawberry.field(description="Email address.")
    phone: str | None = strawberry.field(description="Mobile number.")


@strawberry.type(description="The case a recurring schedule opens, as `caseCreate` takes it.")
class RecurringCaseData:
    damage_type: DamageType | None = strawberry.field(description="What caused the damage.")
    street: str | None = strawberry.field(description="Street address.")
    postal_code: str | None = strawberry.field(description="Postal code.")
    city: str | None = strawberry.field(description="City.")
    latitude: float | None = strawberry.field(description="Latitude of the property.")
    longitude: float | None = strawberry.field(description="Longitude of the property.")
    claim_number: str | None = strawberry.field(description="Claim number.")
    description: str | None = strawberry.field(description="What the case is about.")
    damage_date: dt.date | None = strawberry.field(description="Date of damage.")
    case_handler_id: strawberry.ID | None = strawberry.field(
        description="The staff user each case is given to (a `User` id)."
    )
    budget: Decimal | None = strawberry.field(description="Initial budget of each case.")
    contacts: list[RecurringCaseContact] = strawberry.field(description="Customer-side contacts.")

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RecurringCaseData:
        try:
            data, contacts = recurring_cases.case_data_from_json(raw)
        except Exception:  # stored by an older server: show what can be shown
            data, contacts = recurring_cases.cases.CaseData(), []
        handler = data.case_handler_id
        return cls(
            damage_type=data.damage_type,
            street=data.street,
            postal_code=data.postal_code,
            city=data.city,
            latitude=data.latitude,
            longitude=data.longitude,
            claim_number=data.claim_number,
            description=data.description,
            damage_date=data.damage_date,
            case_handler_id=encode_global_id("User", handler) if handler else None,
            budget=data.budget,
            contacts=[
                RecurringCaseContact(role=c.role, name=c.name, email=c.email, phone=c.phone)
                for c in contacts
            ],
        )


@strawberry.type(description="One occurrence of a recurring schedule and the case it opened.")
class RecurringCaseRun:
    case_id: strawberry.Private[int | None]
    occurrence_at: dt.datetime = strawberry.field(description="The occurrence (UTC).")
    error: str | None = strawberry.field(
        description="Why no case was opened (e.g. the case handler was deactivated); the "
        "schedule went on with its next occurrence. Null when a case was opened."
    )
    created_at: dt.datetime = strawberry.field(description="When the occurrence was handled.")

    @strawberry.field(
        description="The case opened; null if none was (see `error`) or it was deleted."
    )
    async def case(self, info: strawberry.Info) -> Case | None:
        return await load_one(info, "case_by_id", self.case_id, Case)

    @classmethod
    def from_row(cls, row: Any) -> RecurringCaseRun:
        return cls(
            case_id=row.case_id,
            occurrence_at=row.occurrence_at,
            error=row.error,
            created_at=row.created_at,
        )


@strawberry.type(
    description="Opens a case with the same data at every occurrence from `startsAt` to "
    "`endsAt`, exactly once per occurrence however many server processes run; occurrences "
    "missed while the servers were down are opened when they are back, in order. Opened "
    "cases have origin RECURRING and no creating user. " + TIMING
)
class RecurringCaseSchedule:
    row: strawberry.Private[Any]
    run_rows: strawberry.Private[list[Any]]
    id: strawberry.ID = strawberry.field(description="Opaque id.")
    name: str = strawberry.field(description="Name, e.g. 'Property inspection'.")
    case_type_id: strawberry.ID | None = strawberry.field(
        description="The case type each case gets (a `CaseType` id), if any."
    )
    case_data: RecurringCaseData = strawberry.field(description="The case each occurrence opens.")
    frequency: RecurrenceFrequency = strawberry.field(
        description="Weekly, monthly or every N days."
    )
    interval: int = strawberry.field(description="Every how many weeks, months or days (≥ 1).")
    starts_at: dt.datetime = strawberry.field(description="The first occurrence.")
    ends_at: dt.datetime | None = strawberry.field(
        description="No occurrence after this time; one exactly at it still opens "
        "(inclusive). Null: no end."
    )
    next_occurrence_at: dt.datetime | None = strawberry.field(
        description="The next occurrence not yet opened; null once the schedule has ended. "
        "Occurrences before a schedule was saved (created, its timing changed, reactivated) "
        "are never opened."
    )
    active: bool = strawberry.field(description="Inactive schedules open nothing.")
    created_at: dt.datetime = strawberry.field(description="When it was defined.")
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")

    @strawberry.field(
        description="Its latest occurrences, newest first (at most `first`, 1–100, default 10)."
    )
    def runs(self, first: int = 10) -> list[RecurringCaseRun]:
        if not 1 <= first <= recurring_schedules.MAX_RUNS_LISTED:
            raise bad_input("'first' must be between 1 and 100.", "first")
        return [RecurringCaseRun.from_row(row) for row in self.run_rows[:first]]

    @classmethod
    def from_row(cls, row: Any, runs: list[Any]) -> RecurringCaseSchedule:
        return cls(
            row=row,
            run_rows=runs,
            id=encode_global_id("RecurringCaseSchedule", row.id),
            name=row.name,
            case_type_id=encode_global_id("CaseType", row.case_type_id)
            if row.case_type_id
            else None,
            case_data=RecurringCaseData.from_json(row.case_data),
            frequency=RecurrenceFrequency(row.frequency.value),
            interval=row.interval,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            next_occurrence_at=row.next_occurrence_at,
            active=row.active,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


async def load_schedules(
    info: strawberry.Info, schedule_ids: list[int] | None = None
) -> list[RecurringCaseSchedule]:
    """The portal's schedules (or those of `schedule_ids`) with their latest runs: two
    statements whatever the number of schedules."""
    principal = info.context.require_principal()
    async with info.context.engine.connect() as conn:
        rows = await recurring_schedules.list_schedules(
            conn=conn, actor=principal, schedule_ids=schedule_ids
        )
        runs = await recurring_schedules.runs_by_schedule(conn, [row.id for row in rows])
    return [RecurringCaseSchedule.from_row(row, runs[row.id]) for row in rows]


async def recurring_case_schedules(info: strawberry.Info) -> list[RecurringCaseSchedule]:
    """The portal's recurring case schedules, by name."""
    return await load_schedules(info)
