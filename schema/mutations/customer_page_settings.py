"""Changing the customer-page configuration: the portal's, and one case's override."""

from __future__ import annotations

import strawberry

from resolvers.services.customer_page_settings import set_case_override, update_portal_settings
from schema.mutations.runner import UserError, run_mutation
from schema.node import decode_typed_id
from schema.types.customer_page_settings import (
    CustomerPageSetting,
    CustomerPageSettings,
    CustomerPageSettingsInput,
    changes_of,
)

ERRORS_HELP = "Why nothing was changed; empty on success."


@strawberry.type(description="The settings after the change, or why nothing changed.")
class CustomerPageSettingsPayload:
    settings: CustomerPageSettings | None = strawberry.field(
        description="The effective settings now (for a case: with its override applied)."
    )
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)


async def customer_page_settings_update(
    info: strawberry.Info, input: CustomerPageSettingsInput
) -> CustomerPageSettingsPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await update_portal_settings(session=session, actor=actor, changes=changes_of(input))

    outcome = await run_mutation(info, work)
    settings = CustomerPageSettings.of(outcome.value) if outcome.value else None
    return CustomerPageSettingsPayload(settings=settings, errors=outcome.errors)


async def case_customer_page_override(
    info: strawberry.Info,
    case_id: strawberry.ID,
    input: CustomerPageSettingsInput | None = None,
    reset: list[CustomerPageSetting] | None = None,  # type: ignore[valid-type]
) -> CustomerPageSettingsPayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await set_case_override(
            session=session,
            outbox=outbox,
            actor=actor,
            case_id=decode_typed_id(case_id, "Case", "caseId"),
            changes=changes_of(input) if input else {},
            reset=[setting.value for setting in reset or []],
        )

    outcome = await run_mutation(info, work)
    settings = CustomerPageSettings.of(outcome.value) if outcome.value else None
    return CustomerPageSettingsPayload(settings=settings, errors=outcome.errors)
