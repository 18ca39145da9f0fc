"""What happens when a case may have passed a milestone: reports due for automatic
sharing are shared, and access links due are sent.

Every service that can move a case past a milestone (creating it, naming the inspector,
an accepted compensation decision) or add a report calls `on_case_progress` in its own
transaction, so a mutation, the demo seed and any job share one rule.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from permissions.customer_page import auto_share_due
from permissions.principal import Principal
from resolvers.services import access, customer_page, feed
from resolvers.services.outbox import Outbox
from server.db.enums import CaseStatus, DocumentType, FeedEventType
from server.db.models import Case, Document


async def on_case_progress(
    *, session: AsyncSession, outbox: Outbox, actor: Principal, case: Case, send_links: bool = True
) -> None:
    """Apply the customer page's automatic steps the case's current milestones call for.

    They run when the case progresses (creation, the inspector, a decision, a report) or
    its own override is saved; a portal-wide settings change takes effect for each case
    at its next such step, never as a mass mailing. A closed case sends no links: they
    would open a page that is about to disappear (staff can still grant access by hand);
    nor does a step whose caller grants access itself (`send_links=False`).
    """
    state = await customer_page.page_state(session, case.id)
    await _auto_share_reports(session, outbox, actor, case, state)
    if send_links and case.status is not CaseStatus.CLOSED:
        await access.send_due_links(session=session, case=case, state=state)


async def _auto_share_reports(
    session: AsyncSession,
    outbox: Outbox,
    actor: Principal,
    case: Case,
    state: customer_page.PageState,
) -> None:
    """Share the report types whose auto-share milestone is reached. A document a person
    shared or unshared keeps that choice."""
    due = [DocumentType(kind) for kind in auto_share_due(state.settings, state.milestones)]
    if not due:
        return
    stmt = (
        select(Document)
        .where(
            Document.case_id == case.id,
            Document.type.in_(due),
            Document.shared_with_customer.is_(False),
            Document.sharing_set_by_person.is_(False),
        )
        .order_by(Document.id)
    )
    for document in (await session.execute(stmt)).scalars():
        document.shared_with_customer = True
        await feed.record(
            session,
            outbox,
            actor=actor,
            case=case,
            type=FeedEventType.DOCUMENT_SHARED,
            payload={"documentId": document.id, "title": document.title, "automatic": True},
        )
