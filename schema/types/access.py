"""Who has access to a case's customer page: for staff and the external case handler."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from resolvers.services.access import ContactAccess as ContactAccessRow
from resolvers.services.access import access_overview
from schema.node import decode_typed_id
from schema.types.people import CaseContact


@strawberry.type(description="One contact of a case and their access to its customer page.")
class ContactAccess:
    contact: CaseContact = strawberry.field(description="The contact.")
    has_access: bool = strawberry.field(
        description="They hold a live grant: their link and sign-ins work now."
    )
    selected: bool = strawberry.field(
        description="The portal's 'who gets access' setting selects them (automatic links "
        "go to these contacts)."
    )
    granted_at: dt.datetime | None = strawberry.field(
        description="When the live grant was made; null without access."
    )
    link_sent_at: dt.datetime | None = strawberry.field(
        description="When a link last went to them by email or SMS; null if never."
    )
    last_login_at: dt.datetime | None = strawberry.field(
        description="Their last sign-in to the customer page; null if never."
    )
    login_count: int = strawberry.field(description="Sign-ins on this case, all grants together.")

    @classmethod
    def of(cls, row: ContactAccessRow) -> ContactAccess:
        return cls(
            contact=CaseContact.from_row(row.contact),
            has_access=row.granted_at is not None,
            selected=row.selected,
            granted_at=row.granted_at,
            link_sent_at=row.link_sent_at,
            last_login_at=row.last_login_at,
            login_count=row.login_count,
        )


@strawberry.type(description="Who has access to a case's customer page, and how many.")
class CaseCustomerAccess:
    count: int = strawberry.field(description="How many contacts have access now.")
    contacts: list[ContactAccess] = strawberry.field(
        description="Every contact on the case, with or without access, in the order added."
    )

    @classmethod
    async def load(cls, info: strawberry.Info, case_id: int) -> CaseCustomerAccess:
        principal = info.context.require_principal()
        async with info.context.sessions() as session:
            rows = await access_overview(session=session, actor=principal, case_id=case_id)
        contacts = [ContactAccess.of(row) for row in rows]
        return cls(count=sum(c.has_access for c in contacts), contacts=contacts)


async def customer_access(
    info: strawberry.Info,
    case_id: Annotated[strawberry.ID, strawberry.argument(description="The case.")],
) -> CaseCustomerAccess:
    """The root field: NOT_FOUND for a case you cannot see, FORBIDDEN unless you are the
    insurer's staff or the case's external case handler."""
    return await CaseCustomerAccess.load(info, decode_typed_id(case_id, "Case", "caseId"))
