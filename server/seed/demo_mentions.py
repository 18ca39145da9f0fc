"""Demo data for mentions: on each portal's newest case a case handler mentions a
colleague, who replies, so the demo shows a thread, a mention and an unread notification."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from resolvers.services import comments
from resolvers.services.mentions import mention_markup
from server.db.enums import UserKind
from server.db.models import Case


async def seed_mentions(seeder: Any) -> None:
    """`seeder` is server.seed.demo.Seeder (typed loosely: that module imports this one)."""
    for insurer_id in seeder.insurers.values():
        staff = sorted(
            (
                u
                for u in seeder.users.values()
                if u.insurer_id == insurer_id and u.kind == UserKind.STAFF
            ),
            key=lambda u: (u.authority_level == 6, u.id),
        )
        if len(staff) < 2:
            continue
        writer, colleague = staff[0], staff[-1]
        case_id = await seeder.session.scalar(
            select(Case.id).where(Case.insurer_id == insurer_id).order_by(Case.id.desc()).limit(1)
        )
        if case_id is None:
            continue
        body = (
            f"{mention_markup(colleague.id, colleague.name)} the customer asks whether the "
            "policy covers a hotel while the floor dries. Can you decide?"
        )
        question = await seeder.call(comments.add_comment, writer, case_id=case_id, body=body)
        answer = "Yes, up to two weeks; tell them to keep the receipts."
        await seeder.call(
            comments.add_comment, colleague, case_id=case_id, body=answer, parent_id=question.id
        )
