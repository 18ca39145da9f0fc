"""Customers and customer grants as staff read them, and what a grant session sees."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import strawberry
from sqlalchemy import func, select

from permissions import scopes
from resolvers.pagination import PageArgs, decode_id_cursor, encode_cursor, pages_by_parent
from resolvers.services.customers import CustomerFilter, customers_select, require_staff
from schema.connections import Connection, make_connection
from schema.enums import CaseStatus
from schema.node import encode_global_id
from schema.types.case import PAGE_ARGS_HELP, Case
from server.db.casework import Customer as CustomerRow
from server.db.casework import CustomerGrant as GrantRow
from server.db.casework import CustomerGrantCustomer
from server.db.models import Case as CaseRow
from server.errors import bad_input

# --- loaders (one statement per batch of customers; kept here, not in resolvers.loaders) --


def _cases_page(info: strawberry.Info) -> Any:
    loaders = info.context.loaders

    def make() -> Any:
        async def batch(keys: Sequence[tuple[int, PageArgs]]) -> list[Any]:
            where = scopes.visible_cases(loaders.principal)
            by_args: dict[PageArgs, list[int]] = defaultdict(list)
            for customer_id, args in keys:
                by_args[args].append(customer_id)
            found: dict[tuple[int, PageArgs], Any] = {}
            async with loaders.engine.connect() as conn:
                for args, ids in by_args.items():
                    pages = await pages_by_parent(
                        conn, list(CaseRow.__table__.c), CaseRow.id, CaseRow.customer_id,
                        ids, args, where,
                    )  # fmt: skip
                    found.update({(i, args): page for i, page in pages.items()})
            return [found[key] for key in keys]

        return batch

    return loaders._loader("customer_cases_page", make)


def _cases_count(info: strawberry.Info) -> Any:
    loaders = info.context.loaders

    def make() -> Any:
        async def batch(ids: Sequence[int]) -> list[int]:
            stmt = (
                select(CaseRow.customer_id, func.count())
                .where(CaseRow.customer_id.in_(ids), scopes.visible_cases(loaders.principal))
                .group_by(CaseRow.customer_id)
            )
            counts = dict(await loaders._rows(stmt))
            return [counts.get(i, 0) for i in ids]

        return batch

    return loaders._loader("customer_cases_count", make)


def _grants_by_customer(info: strawberry.Info) -> Any:
    loaders = info.context.loaders

    def make() -> Any:
        async def batch(ids: Sequence[int]) -> list[list[Any]]:
            stmt = (
                select(CustomerGrantCustomer.customer_id, *GrantRow.__table__.c)
                .join(GrantRow, GrantRow.id == CustomerGrantCustomer.grant_id)
                .where(
                    CustomerGrantCustomer.customer_id.in_(ids),
                    GrantRow.insurer_id == loaders.principal.insurer_id,
                )
                .order_by(GrantRow.id)
            )
            grouped: dict[int, list[Any]] = defaultdict(list)
            for row in await loaders._rows(stmt):
                grouped[row.customer_id].append(row)
            return [grouped.get(i, []) for i in ids]

        return batch

    return loaders._loader("customer_grants_by_customer", make)


def _customer_ids_by_grant(info: strawberry.Info) -> Any:
    loaders = info.context.loaders

    def make() -> Any:
        async def batch(ids: Sequence[int]) -> list[list[int]]:
            stmt = (
                select(CustomerGrantCustomer.grant_id, CustomerGrantCustomer.customer_id)
                .where(CustomerGrantCustomer.grant_id.in_(ids))
                .order_by(CustomerGrantCustomer.customer_id)
            )
            grouped: dict[int, list[int]] = defaultdict(list)
            for row in await loaders._rows(stmt):
                grouped[row.grant_id].append(row.customer_id)
            return [grouped.get(i, []) for i in ids]

        return batch

    return loaders._loader("customer_ids_by_grant", make)


# --- types --------------------------------------------------------------------------------


@strawberry.type(
    description="Access for one person (a household member, a property manager) to the "
    "cases of one or more customers, by a secret link (`customerGrantCreate`). Staff only."
)
class CustomerGrant:
    row: strawberry.Private[Any]
    id: strawberry.ID = strawberry.field(description="Global id (type CustomerGrant).")
    name: str = strawberry.field(description="The holder's name.")
    email: str | None = strawberry.field(description="The holder's email address.")
    phone: str | None = strawberry.field(description="The holder's mobile number.")
    created_at: dt.datetime = strawberry.field(description="When the grant was made.")
    revoked_at: dt.datetime | None = strawberry.field(
        description="When it was revoked; null while it works."
    )

    @classmethod
    def from_row(cls, row: Any) -> CustomerGrant:
        return cls(
            row=row, id=encode_global_id("CustomerGrant", row.id), name=row.name,
            email=row.email, phone=row.phone, created_at=row.created_at,
            revoked_at=row.revoked_at,
        )  # fmt: skip

    @strawberry.field(description="Global ids of the customers it covers.")
    async def customer_ids(self, info: strawberry.Info) -> list[strawberry.ID]:
        ids = await _customer_ids_by_grant(info).load(self.row.id)
        return [encode_global_id("Customer", i) for i in ids]


@strawberry.type(
    description="A policyholder of the insurer (a person, a household, an organisation) "
    "whose cases customer grants can cover. Staff only."
)
class Customer:
    row: strawberry.Private[Any]
    id: strawberry.ID = strawberry.field(description="Global id (type Customer).")
    name: str = strawberry.field(description="Name.")
    customer_number: str | None = strawberry.field(
        description="The insurer's customer number, unique in the portal."
    )
    email: str | None = strawberry.field(description="Email address.")
    phone: str | None = strawberry.field(description="Phone number.")
    created_at: dt.datetime = strawberry.field(description="When the customer was added.")

    @classmethod
    def from_row(cls, row: Any) -> Customer:
        return cls(
            row=row, id=encode_global_id("Customer", row.id), name=row.name,
            customer_number=row.customer_number, email=row.email, phone=row.phone,
            created_at=row.created_at,
        )  # fmt: skip

    @strawberry.field(
        description="True: a live customer grant covers the customer, or a contact of one "
        "of its cases has a live case grant. False: not yet invited (revoked grants do not "
        "count)."
    )
    def invited(self) -> bool:
        return bool(getattr(self.row, "invited", False))

    @strawberry.field(description="Cases linked to the customer. " + PAGE_ARGS_HELP)
    async def cases(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Case]:
        args = PageArgs.parse(first, after, last, before)
        page = await _cases_page(info).load((self.row.id, args))
        items = [(encode_cursor(str(row.id)), Case.from_row(row)) for row in page.rows]
        counter = _cases_count(info)

        async def count() -> int:
            return int(await counter.load(self.row.id))

        return make_connection(
            items, has_next=page.has_next, has_previous=page.has_previous, count=count
        )

    @strawberry.field(description="Customer grants covering the customer, oldest first.")
    async def grants(self, info: strawberry.Info) -> list[CustomerGrant]:
        rows = await _grants_by_customer(info).load(self.row.id)
        return [CustomerGrant.from_row(row) for row in rows]


@strawberry.input(description="Which customers to list; all given conditions apply.")
class CustomerFilterInput:
    search: str | None = strawberry.field(
        default=None, description="Text in the name, customer number or email."
    )
    invited: bool | None = strawberry.field(
        default=None,
        description="False: not yet invited, i.e. no live customer grant covers the "
        "customer and no contact of its cases has a live case grant (a revoked grant counts "
        "as not invited; case grants opened through a customer grant never count alone). "
        "True: the others.",
    )


async def customers(
    info: strawberry.Info,
    filter: CustomerFilterInput | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Connection[Customer]:
    """The portal's customers, oldest first (staff only)."""
    principal = info.context.require_principal()
    require_staff(principal)
    if first is not None and not 1 <= first <= 100:
        raise bad_input("'first' must be between 1 and 100.", "first")
    limit = first or 20
    given = filter or CustomerFilterInput()
    base = customers_select(
        principal,
        CustomerFilter(search=(given.search or "").strip() or None, invited=given.invited),
    )
    stmt = base
    if after:
        stmt = stmt.where(base.selected_columns.id > decode_id_cursor(after, "after"))
    stmt = stmt.order_by(base.selected_columns.id).limit(limit + 1)
    async with info.context.engine.connect() as conn:
        rows = list((await conn.execute(stmt)).all())

    async def count() -> int:
        async with info.context.engine.connect() as conn:
            counted = select(func.count()).select_from(base.subquery())
            return int((await conn.execute(counted)).scalar_one())

    items = [(encode_cursor(str(row.id)), Customer.from_row(row)) for row in rows[:limit]]
    return make_connection(
        items, has_next=len(rows) > limit, has_previous=after is not None, count=count
    )


@strawberry.type(
    description="A case a customer grant session may open: its number, address, main "
    "status and customer; nothing else until opened with `grantOpenCase`."
)
class GrantCase:
    id: strawberry.ID = strawberry.field(description="Global id (type Case).")
    number: str = strawberry.field(description="Case number.")
    street: str = strawberry.field(description="Damage address: street.")
    postal_code: str = strawberry.field(description="Damage address: postal code.")
    city: str = strawberry.field(description="Damage address: city.")
    status: CaseStatus = strawberry.field(description="Open, on hold or closed.")
    customer_name: str = strawberry.field(description="The customer the case belongs to.")

    @classmethod
    def of(cls, case: Any) -> GrantCase:
        return cls(
            id=encode_global_id("Case", case.id), number=case.number, street=case.street,
            postal_code=case.postal_code, city=case.city, status=case.status,
            customer_name=case.customer_name,
        )  # fmt: skip


async def customer_of_case(info: strawberry.Info, case_row: Any) -> Customer | None:
    """A case's customer, through one loader per request (no N+1 over a case list)."""
    customer_id = getattr(case_row, "customer_id", None)
    if customer_id is None:
        return None
    loaders = info.context.loaders

    def make() -> Any:
        async def batch(ids: Sequence[int]) -> list[Any]:
            stmt = select(*CustomerRow.__table__.c).where(
                CustomerRow.id.in_(ids), CustomerRow.insurer_id == loaders.principal.insurer_id
            )
            found = {row.id: row for row in await loaders._rows(stmt)}
            return [found.get(i) for i in ids]

        return batch

    row = await loaders._loader("customer_by_id", make).load(customer_id)
    return Customer.from_row(row) if row is not None else None
