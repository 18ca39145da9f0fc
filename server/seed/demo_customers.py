"""Demo customers (issue 7): in Nordlys' portal, a household whose two open cases one
customer grant covers, and a customer not yet invited. Written through the services as
staff would; the grant's link token is fixed so the demo can be tried."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select

from resolvers.auth import sha256_hex
from resolvers.services import customer_grants, customers
from server.db.casework import CustomerGrant
from server.db.enums import CaseStatus
from server.db.models import Case, CustomerAccessGrant

DEMO_GRANT_TOKEN = "cgg_demo_nordlys_household_hansen"
DEMO_GRANT_HELP = (
    "Nordlys Forsikring, the Hansen household's two cases (one customer grant): "
    f'mutation {{ customerGrantLogin(accessToken: "{DEMO_GRANT_TOKEN}") {{ sessionToken '
    "cases { id number } } }, then grantOpenCase(sessionToken, caseId)"
)


async def seed_customers(seeder: Any, principal_of: Any) -> None:
    """After the cases are played: customers, case links and the household's grant."""
    session = seeder.session
    admin = principal_of(seeder.users["admin@nordlys.test"])
    open_cases = (
        select(Case.id)
        .where(Case.insurer_id == admin.insurer_id, Case.status == CaseStatus.OPEN)
        .order_by(Case.id)
        .limit(2)
    )
    first, second = list((await session.execute(open_cases)).scalars())
    # Nils Olsen's case: one nobody has a link to, so he stays "not yet invited".
    linked = exists().where(
        CustomerAccessGrant.case_id == Case.id, CustomerAccessGrant.revoked_at.is_(None)
    )
    unlinked = (
        select(Case.id)
        .where(Case.insurer_id == admin.insurer_id, Case.id.not_in([first, second]), ~linked)
        .order_by((Case.status != CaseStatus.OPEN), Case.id)
        .limit(1)
    )
    third = (await session.execute(unlinked)).scalar_one()
    household = await customers.create_customer(
        session=session, actor=admin, name="Familien Hansen", customer_number="NF-10001",
        email="hansen@example.test", phone="+47 911 10 001",
    )  # fmt: skip
    uninvited = await customers.create_customer(
        session=session, actor=admin, name="Nils Olsen", customer_number="NF-10002",
        email="nils.olsen@example.test",
    )  # fmt: skip
    for case_id, customer in ((first, household), (second, household), (third, uninvited)):
        await customers.set_case_customer(
            session=session, outbox=seeder.outbox, actor=admin, case_id=case_id,
            customer_id=customer.id,
        )  # fmt: skip
    grant, _ = await customer_grants.create_customer_grant(
        session=session, actor=admin, name="Ingrid Hansen", email="ingrid.hansen@example.test",
        phone="+47 911 10 002", customer_ids=[household.id],
    )  # fmt: skip
    row = await session.get(CustomerGrant, grant.id)
    assert row is not None
    row.token_hash = sha256_hex(DEMO_GRANT_TOKEN)  # a known link, like the demo case links
    await session.flush()
