"""Companies, offices, users and the contacts on a case."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from permissions.field_rules import NOT_FOR_CUSTOMERS, OFFICE_CATEGORIES
from permissions.fields import guarded
from schema.enums import CompanyKind, ContactRole, UserKind
from schema.node import Node, encode_global_id

if TYPE_CHECKING:
    from schema.types.office import OfficeCategory


@strawberry.type(description="An insurer (owner of a portal) or a partner company in it.")
class Company(Node):
    row: strawberry.Private[Any]
    name: str = strawberry.field(description="Registered name.")
    kind: CompanyKind = strawberry.field(description="Insurer or partner.")
    org_number: str | None = strawberry.field(description="Organisation number.")
    logo_url: str | None = strawberry.field(
        description="The company's default logo (the customer page shows it unless its "
        "branding names another)."
    )

    @classmethod
    def from_row(cls, row: Any) -> Company:
        return cls(
            row=row,
            id=encode_global_id("Company", row.id),
            name=row.name,
            kind=row.kind,
            org_number=row.org_number,
            logo_url=row.logo_url,
        )


@strawberry.type(description="A location of a company; tasks are assigned to offices.")
class Office(Node):
    row: strawberry.Private[Any]
    name: str = strawberry.field(description="Office name.")
    street: str | None = strawberry.field(description="Street address.")
    postal_code: str | None = strawberry.field(description="Postal code.")
    city: str | None = strawberry.field(description="City.")
    latitude: float | None = strawberry.field(
        description="Latitude of the office (WGS 84), for the nearest offices first."
    )
    longitude: float | None = strawberry.field(description="Longitude of the office (WGS 84).")
    services: list[str] = strawberry.field(
        description="Task kinds and trades it offers, lower case (e.g. 'main_inspection', "
        "'repair', 'drying'); `recommendedOffices(service:)` matches one of them."
    )
    available_for_new_tasks: bool = strawberry.field(
        description="Whether it takes new tasks; only such offices are recommended or can be "
        "given a task. Staff and the office's own users change it (`officeUpdate`)."
    )

    @classmethod
    def from_row(cls, row: Any) -> Office:
        return cls(
            row=row,
            id=encode_global_id("Office", row.id),
            name=row.name,
            street=row.street,
            postal_code=row.postal_code,
            city=row.city,
            latitude=row.latitude,
            longitude=row.longitude,
            services=list(row.services),
            available_for_new_tasks=row.available_for_new_tasks,
        )

    @guarded(OFFICE_CATEGORIES, "The insurer's categories this office is in, by name.")
    async def categories(
        self, info: strawberry.Info
    ) -> list[Annotated[OfficeCategory, strawberry.lazy("schema.types.office")]]:
        from schema.types.office import OfficeCategory

        rows = await info.context.loaders.office_categories_by_office.load(self.row.id)
        return [OfficeCategory.from_row(row) for row in rows]

    @strawberry.field(description="The company the office belongs to.")
    async def company(self, info: strawberry.Info) -> Company | None:
        row = await info.context.loaders.company_by_id.load(self.row.company_id)
        return Company.from_row(row) if row else None


@strawberry.type(description="A person who signs in: insurer staff or a partner employee.")
class User(Node):
    row: strawberry.Private[Any]
    name: str = strawberry.field(description="Full name.")
    kind: UserKind = strawberry.field(description="Staff or partner.")
    email: str = guarded(NOT_FOR_CUSTOMERS, "Email address; the sign-in name.")
    phone: str | None = guarded(NOT_FOR_CUSTOMERS, "Mobile phone number.")
    authority_level: int = guarded(
        NOT_FOR_CUSTOMERS, "1–6 for staff; 6 is company admin. 0 for partner users."
    )
    external_case_handler_eligible: bool = guarded(
        NOT_FOR_CUSTOMERS, "May be chosen as external case handler (partner users)."
    )
    budget_approval_limit: Decimal | None = guarded(
        NOT_FOR_CUSTOMERS, "Highest budget this user may approve; null means the portal default."
    )

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(
            row=row,
            id=encode_global_id("User", row.id),
            name=row.name,
            kind=row.kind,
            email=row.email,
            phone=row.phone,
            authority_level=row.authority_level if row.kind == "staff" else 0,
            external_case_handler_eligible=row.external_case_handler_eligible,
            budget_approval_limit=row.budget_approval_limit,
        )

    @strawberry.field(description="The user's company.")
    async def company(self, info: strawberry.Info) -> Company | None:
        row = await info.context.loaders.company_by_id.load(self.row.company_id)
        return Company.from_row(row) if row else None

    @strawberry.field(description="The user's office, if any.")
    async def office(self, info: strawberry.Info) -> Office | None:
        if self.row.office_id is None:
            return None
        row = await info.context.loaders.office_by_id.load(self.row.office_id)
        return Office.from_row(row) if row else None


@strawberry.type(description="A person on the customer side of a case.")
class CaseContact(Node):
    row: strawberry.Private[Any]
    role: ContactRole = strawberry.field(description="Policyholder, contact person or other.")
    name: str = strawberry.field(description="Full name.")
    email: str | None = guarded(NOT_FOR_CUSTOMERS, "Email address.")
    phone: str | None = guarded(NOT_FOR_CUSTOMERS, "Mobile phone number (for SMS codes).")

    @classmethod
    def from_row(cls, row: Any) -> CaseContact:
        return cls(
            row=row,
            id=encode_global_id("CaseContact", row.id),
            role=row.role,
            name=row.name,
            email=row.email,
            phone=row.phone,
        )
