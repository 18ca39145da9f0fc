"""The cases of one case type as CSV, one column per custom field of the type
(`GET /reports/cases.csv?caseType=<id>`), streamed from a server-side cursor."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from permissions import scopes
from permissions.principal import Principal, Scope
from resolvers.queries.case_statistics import BATCH
from resolvers.queries.case_statistics import _safe as safe_cell
from resolvers.queries.case_statistics import _text as cell_text
from resolvers.services.custom_fields import render
from server.db.casework import CaseType, CaseTypeField
from server.db.models import Case
from server.errors import forbidden, not_found

# (header, column of `cases`) before the custom fields.
COLUMNS = (
    ("number", "number"),
    ("claimNumber", "claim_number"),
    ("status", "status"),
    ("origin", "origin"),
    ("damageType", "damage_type"),
    ("street", "street"),
    ("postalCode", "postal_code"),
    ("city", "city"),
    ("damageDate", "damage_date"),
    ("createdAt", "created_at"),
    ("deadline", "deadline"),
)


def require_export_access(principal: Principal) -> None:
    """The insurer's staff and its API keys with cases:read (hidden fields included)."""
    if not (principal.acts_as_insurer and principal.has_scope(Scope.CASES_READ)):
        raise forbidden("The case export is for the insurer's staff.")


async def export_columns(
    *, engine: AsyncEngine, principal: Principal, case_type_id: int
) -> list[Any]:
    """The type's field definitions (checked before the 200 goes out); NOT_FOUND for a
    type outside the portal."""
    require_export_access(principal)
    async with engine.connect() as conn:
        found = (
            await conn.execute(
                select(CaseType.id).where(
                    CaseType.id == case_type_id, CaseType.insurer_id == principal.insurer_id
                )
            )
        ).first()
        if found is None:
            raise not_found("case type")
        stmt = (
            select(CaseTypeField.key, CaseTypeField.label)
            .where(CaseTypeField.case_type_id == case_type_id)
            .order_by(CaseTypeField.position, CaseTypeField.id)
        )
        return list((await conn.execute(stmt)).all())


def _lines(rows: Sequence[Any], fields: Sequence[Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        values = row.custom_fields or {}
        cells = [cell_text(getattr(row, attribute)) for _, attribute in COLUMNS]
        cells += [render(values.get(f.key)) or "" for f in fields]
        writer.writerow([safe_cell(c) for c in cells])
    return out.getvalue()


async def stream_cases_csv(
    *, engine: AsyncEngine, principal: Principal, case_type_id: int, fields: Sequence[Any]
) -> AsyncIterator[bytes]:
    """The header (custom fields by label), then the cases by number, BATCH at a time."""
    require_export_access(principal)
    header = io.StringIO()
    names = [name for name, _ in COLUMNS] + [f.label for f in fields]
    csv.writer(header, lineterminator="\r\n").writerow([safe_cell(n) for n in names])
    yield header.getvalue().encode()
    stmt = (
        select(*Case.__table__.c)
        .where(scopes.visible_cases(principal), Case.case_type_id == case_type_id)
        .order_by(Case.id)
        .execution_options(yield_per=BATCH)
    )
    async with engine.connect() as conn:
        result = await conn.stream(stmt)
        async for batch in result.partitions(BATCH):
            yield _lines(batch, fields).encode()
