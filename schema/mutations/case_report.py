"""Self-service reporting: a signed-in customer, or anyone with a case type's public id."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from resolvers.auth import customer_claims, issue_token
from resolvers.services import self_service
from resolvers.services.outbox import Outbox
from schema.enums import DamageType
from schema.mutations.case_type import CustomFieldValueInput, field_values
from schema.mutations.runner import PAYLOAD_CODES, UserError, run_mutation, user_error
from schema.node import decode_typed_id
from server.errors import AppError
from server.ratelimit import rate_limited

ERRORS_HELP = "Why nothing was changed; empty on success."
# Anonymous reports per client address: a handful per quarter hour is a person, more a bot.
PUBLIC_REPORTS = 5
PUBLIC_REPORT_WINDOW_SECONDS = 900


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
        "reporter by email or SMS; a customer grant holder gets no link: their access to "
        "the new case comes through the customer grant (and ends with it)."
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
