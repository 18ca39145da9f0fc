"""Case types (company admins) and self-service reporting (customers, anonymous)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from resolvers.auth import customer_claims, issue_token
from resolvers.services import case_types, self_service
from resolvers.services.custom_fields import FieldValue
from resolvers.services.outbox import Outbox
from schema.enums import DamageType, TaskKind
from schema.mutations.runner import PAYLOAD_CODES, UserError, run_mutation, user_error
from schema.node import decode_typed_id
from schema.types.case_type import CaseType, CustomFieldKind
from schema.types.loading import load_one
from server.errors import AppError
from server.ratelimit import rate_limited

ERRORS_HELP = "Why nothing was changed; empty on success."
# Anonymous reports per client address: a handful per quarter hour is a person, more a bot.
PUBLIC_REPORTS = 5
PUBLIC_REPORT_WINDOW_SECONDS = 900


@strawberry.input(description="A custom field's value: text, parsed by the field's kind.")
class CustomFieldValueInput:
    key: str = strawberry.field(description="The field's key (`CaseTypeField.key`).")
    value: str | None = strawberry.field(
        default=None,
        description="TEXT: any text; NUMBER: a decimal number (e.g. '12.5'); DATE: "
        "YYYY-MM-DD; CHOICE: one of the options exactly. Null or blank clears the value.",
    )


def field_values(given: list[CustomFieldValueInput] | None) -> list[FieldValue] | None:
    return None if given is None else [FieldValue(v.key, v.value) for v in given]


@strawberry.input(description="A custom field of a case type.")
class CaseTypeFieldInput:
    key: str = strawberry.field(
        description="Stable key: a lowercase letter, then up to 63 letters, digits or "
        "underscores; unique in the type."
    )
    label: str = strawberry.field(description="What the field is called in forms.")
    kind: CustomFieldKind = strawberry.field(  # type: ignore[valid-type]
        description="What the field holds; fixed once cases have a value for the key."
    )
    options: list[str] = strawberry.field(
        default_factory=list,
        description="CHOICE only: at least one, distinct; options chosen on cases stay.",
    )
    required: bool = strawberry.field(default=False, description="Cases need a value.")
    visible_to_customer: bool = strawberry.field(
        default=False, description="Customers see it, and reporters fill it."
    )


@strawberry.input(description="A task every new case of the type opens with.")
class CaseTypeTaskTemplateInput:
    kind: TaskKind = strawberry.field(description="The task's kind.")
    title: str = strawberry.field(description="The task's title.")
    description: str | None = strawberry.field(default=None, description="Its description.")
    office_id: strawberry.ID | None = strawberry.field(
        default=None, description="Assign it to this office (if it takes new tasks then)."
    )
    start_after_days: int | None = strawberry.field(
        default=None, description="Scheduled start, 0–3650 days after the case is opened."
    )


def _fields(given: list[CaseTypeFieldInput] | None) -> list[case_types.FieldData] | None:
    if given is None:
        return None
    return [
        case_types.FieldData(
            key=f.key,
            label=f.label,
            kind=f.kind,
            options=list(f.options),
            required=f.required,
            visible_to_customer=f.visible_to_customer,
        )
        for f in given
    ]


def _templates(
    given: list[CaseTypeTaskTemplateInput] | None,
) -> list[case_types.TemplateData] | None:
    if given is None:
        return None
    return [
        case_types.TemplateData(
            kind=t.kind,
            title=t.title,
            description=t.description,
            office_id=decode_typed_id(t.office_id, "Office", f"taskTemplates.{i}.officeId")
            if t.office_id
            else None,
            start_after_days=t.start_after_days,
        )
        for i, t in enumerate(given)
    ]


@strawberry.input(description="A new case type.")
class CaseTypeCreateInput:
    name: str = strawberry.field(description="Name, unique in the portal (100 characters).")
    description: str | None = strawberry.field(default=None, description="What it is for.")
    customer_reporting: bool = strawberry.field(
        default=False, description="Signed-in customers may report cases of it."
    )
    public_reporting: bool = strawberry.field(
        default=False, description="Anyone with its public id may report cases of it."
    )
    default_priority_id: strawberry.ID | None = strawberry.field(
        default=None, description="Priority new cases get (a CasePriority of the portal)."
    )
    default_deadline_days: int | None = strawberry.field(
        default=None, description="New cases are due this many days (0–3650) after opening."
    )
    default_case_handler_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff user handling new cases when none is named."
    )
    active: bool = strawberry.field(default=True, description="Usable for new cases.")
    fields: list[CaseTypeFieldInput] = strawberry.field(
        default_factory=list, description="Custom fields, in order (at most 50)."
    )
    task_templates: list[CaseTypeTaskTemplateInput] = strawberry.field(
        default_factory=list, description="Tasks new cases open with, in order (at most 20)."
    )


@strawberry.input(
    description="Changes to a case type; omitted fields stay. A given `fields` or "
    "`taskTemplates` list replaces the stored one as a whole (fields match by key)."
)
class CaseTypeUpdateInput:
    case_type_id: strawberry.ID = strawberry.field(description="The case type.")
    name: str | None = strawberry.field(default=None, description="New name.")
    description: str | None = strawberry.field(default=None, description="New description.")
    customer_reporting: bool | None = strawberry.field(
        default=None, description="Open or close it to customers' reports."
    )
    public_reporting: bool | None = strawberry.field(
        default=None, description="Open or close it to anonymous reports."
    )
    default_priority_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="New default priority; null clears it."
    )
    default_deadline_days: int | None = strawberry.field(
        default=strawberry.UNSET, description="New deadline in days; null clears it."
    )
    default_case_handler_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="New default case handler; null clears it."
    )
    active: bool | None = strawberry.field(default=None, description="Usable for new cases.")
    fields: list[CaseTypeFieldInput] | None = strawberry.field(
        default=None,
        description="All custom fields, replacing the stored ones. A key with values on "
        "cases keeps its kind, cannot be removed, and keeps the options chosen on cases "
        "(else BAD_USER_INPUT naming the field).",
    )
    task_templates: list[CaseTypeTaskTemplateInput] | None = strawberry.field(
        default=None, description="All task templates, replacing the stored ones."
    )
    new_public_id: bool = strawberry.field(
        default=False, description="Issue a new public id; the old one stops working."
    )


def _id(given: Any, type_name: str, name: str) -> int | None:
    return decode_typed_id(given, type_name, name) if given else None


def _create_data(input: CaseTypeCreateInput) -> case_types.CaseTypeData:
    return case_types.CaseTypeData(
        name=input.name,
        description=input.description,
        customer_reporting=input.customer_reporting,
        public_reporting=input.public_reporting,
        default_priority_id=_id(input.default_priority_id, "CasePriority", "defaultPriorityId"),
        default_deadline_days=input.default_deadline_days,
        default_case_handler_id=_id(input.default_case_handler_id, "User", "defaultCaseHandlerId"),
        active=input.active,
        fields=_fields(input.fields),
        task_templates=_templates(input.task_templates),
    )


def _maybe(given: Any, decode: Any) -> tuple[Any, bool]:
    """(value, clear) of an optional setting: omitted keeps it, null clears it."""
    if given is strawberry.UNSET:
        return None, False
    if given is None:
        return None, True
    return decode(given), False


def _update_data(input: CaseTypeUpdateInput) -> case_types.CaseTypeData:
    priority, no_priority = _maybe(
        input.default_priority_id, lambda g: _id(g, "CasePriority", "defaultPriorityId")
    )
    days, no_days = _maybe(input.default_deadline_days, int)
    handler, no_handler = _maybe(
        input.default_case_handler_id, lambda g: _id(g, "User", "defaultCaseHandlerId")
    )
    return case_types.CaseTypeData(
        name=input.name,
        description=input.description,
        customer_reporting=input.customer_reporting,
        public_reporting=input.public_reporting,
        default_priority_id=priority,
        clear_default_priority=no_priority,
        default_deadline_days=days,
        clear_default_deadline=no_days,
        default_case_handler_id=handler,
        clear_default_case_handler=no_handler,
        active=input.active,
        fields=_fields(input.fields),
        task_templates=_templates(input.task_templates),
        new_public_id=input.new_public_id,
    )


@strawberry.type(description="Result of defining or changing a case type.")
class CaseTypePayload:
    case_type_id: strawberry.Private[int | None]
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @strawberry.field(description="The case type after the change; null if it failed.")
    async def case_type(self, info: strawberry.Info) -> CaseType | None:
        return await load_one(info, "case_type_by_id", self.case_type_id, CaseType)


async def case_type_create(info: strawberry.Info, input: CaseTypeCreateInput) -> CaseTypePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await case_types.create_case_type(
            session=session, actor=actor, data=_create_data(input)
        )

    outcome = await run_mutation(info, work)
    return CaseTypePayload(
        case_type_id=outcome.value.id if outcome.value else None, errors=outcome.errors
    )


async def case_type_update(info: strawberry.Info, input: CaseTypeUpdateInput) -> CaseTypePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await case_types.update_case_type(
            session=session,
            actor=actor,
            case_type_id=decode_typed_id(input.case_type_id, "CaseType", "caseTypeId"),
            data=_update_data(input),
        )

    outcome = await run_mutation(info, work)
    return CaseTypePayload(
        case_type_id=outcome.value.id if outcome.value else None, errors=outcome.errors
    )


# --- self-service reporting -------------------------------------------------------------


@strawberry.input(description="What a reporter tells about the damage.")
class CaseReportInput:
    damage_type: DamageType = strawberry.field(description="What caused the damage.")
    street: str = strawberry.field(description="Street address of the damaged property.")
    postal_code: str = strawberry.field(description="Postal code.")
    city: str = strawberry.field(description="City.")
    description: str | None = strawberry.field(default=None, description="What happened.")
    damage_date: dt.date | None = strawberry.field(
        default=None, description="When the damage occurred (not in the future)."
    )
    custom_fields: list[CustomFieldValueInput] | None = strawberry.field(
        default=None,
        description="Values of the type's fields visible to customers (hidden fields are "
        "unknown keys here); their required fields must be filled.",
    )


def _report(input: CaseReportInput) -> self_service.ReportData:
    return self_service.ReportData(
        damage_type=input.damage_type,
        street=input.street,
        postal_code=input.postal_code,
        city=input.city,
        description=input.description,
        damage_date=input.damage_date,
        custom_fields=field_values(input.custom_fields),
    )


@strawberry.input(description="How to reach an anonymous reporter.")
class ReporterInput:
    name: str = strawberry.field(description="Full name; becomes the case's policyholder.")
    email: str | None = strawberry.field(default=None, description="Email address.")
    phone: str | None = strawberry.field(
        default=None, description="Mobile number (give this or the email address)."
    )


@strawberry.type(description="Result of a customer's report of a new case.")
class CustomerCaseReportPayload:
    case_number: str | None = strawberry.field(description="The new case's number.")
    token: str | None = strawberry.field(
        description="A bearer token for the new case (a customer is signed in to one case "
        "at a time): send it to open the new case. The case's link also goes to the "
        "reporter by email or SMS."
    )
    expires_at: dt.datetime | None = strawberry.field(description="When the token expires.")
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)


async def customer_case_report(
    info: strawberry.Info, case_type_id: strawberry.ID, input: CaseReportInput
) -> CustomerCaseReportPayload:
    info.context.require_principal()  # signed out: UNAUTHENTICATED before anything else
    type_id = decode_typed_id(case_type_id, "CaseType", "caseTypeId")

    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await self_service.report_as_customer(
            session=session, outbox=outbox, actor=actor, case_type_id=type_id, data=_report(input)
        )

    outcome = await run_mutation(info, work)
    if outcome.value is None:
        return CustomerCaseReportPayload(
            case_number=None, token=None, expires_at=None, errors=outcome.errors
        )
    case, grant = outcome.value
    settings = info.context.settings
    token, expires = issue_token(
        customer_claims(grant), settings.signing_key(), settings.token_ttl_seconds
    )
    return CustomerCaseReportPayload(
        case_number=case.number, token=token, expires_at=expires, errors=[]
    )


@strawberry.type(description="Result of an anonymous report: only the new case's number.")
class PublicCaseReportPayload:
    case_number: str | None = strawberry.field(
        description="The new case's number, to quote when contacting the insurer."
    )
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)


async def _limit_public_reports(ctx: Any) -> None:
    if ctx.buckets is None:
        return
    client = getattr(ctx.request, "client", None)
    address = client.host if client else "unknown"
    budget = await ctx.buckets.charge(
        f"public-report:{address}",
        1,
        capacity=PUBLIC_REPORTS,
        refill=PUBLIC_REPORTS / PUBLIC_REPORT_WINDOW_SECONDS,
    )
    if not budget.allowed:
        raise rate_limited(budget, "Too many reports from your address")


async def public_case_report(
    info: strawberry.Info, public_id: str, reporter: ReporterInput, input: CaseReportInput
) -> PublicCaseReportPayload:
    """Needs no sign-in: the one mutation anonymous callers may run besides signing in."""
    ctx = info.context
    await _limit_public_reports(ctx)
    outbox = Outbox()
    try:
        async with ctx.sessions() as session, session.begin():
            case = await self_service.report_publicly(
                session=session,
                outbox=outbox,
                public_id=public_id,
                data=_report(input),
                reporter=self_service.Reporter(reporter.name, reporter.email, reporter.phone),
            )
            number = case.number
    except AppError as exc:
        if exc.code.value in PAYLOAD_CODES:
            return PublicCaseReportPayload(case_number=None, errors=[user_error(exc)])
        raise
    ctx.committed = True
    await outbox.publish(ctx.broker)
    return PublicCaseReportPayload(case_number=number, errors=[])
