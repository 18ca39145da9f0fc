"""The customer app's one request stays a handful of statements however long the case's
feed, chat and document lists grow (no N+1 on the customer's resolver path)."""

from __future__ import annotations

from sqlalchemy import text

from tests.graphql import gql

WHOLE_PAGE = """{ customerPage {
  companyName branding { logoUrl } milestones tabs { newsFeed documents communication }
  communication { canSend } budget
  contact { caseHandlerName partners { officeName } helpText }
  schedule { title personName }
  case {
    number status caseHandler { name }
    tasks { title status office { name } responsible { name } }
    feed(first: 50) { totalCount edges { node { type details actor { name } } } }
    documents(first: 50) { edges { node { title } } }
    messages(first: 50) { edges { node { body isRead sender { displayName } } } }
  }
} }"""


async def test_whole_customer_page_statement_count_is_flat(client, engine, world, count_statements):
    portal = world.portal
    token = portal.tokens["customer"]
    counts = {}
    for extra in (0, 30):
        await _grow(engine, portal, extra)
        with count_statements() as counter:
            result = await gql(client, WHOLE_PAGE, token=token)
        assert "errors" not in result, result
        counts[extra] = counter.count
    print("statements for the whole customer page:", counts)
    assert counts[0] == counts[30], counts
    assert counts[30] <= 16, counts


async def _grow(engine, portal, extra: int) -> None:
    """`extra` more customer-facing feed entries, messages both ways and shared documents."""
    case, handler, contact = portal.case, portal.handler, portal.contact
    async with engine.begin() as conn:
        for n in range(extra):
            await conn.execute(
                text(
                    "INSERT INTO feed_entries (insurer_id, case_id, type, payload, actor_user_id) "
                    "VALUES (:i, :c, 'document_shared', '{}', :u)"
                ),
                {"i": case.insurer_id, "c": case.id, "u": handler.id},
            )
            await conn.execute(
                text(
                    "INSERT INTO messages (insurer_id, case_id, direction, author_user_id, "
                    "author_contact_id, body) VALUES (:i, :c, :d, :u, :k, :b)"
                ),
                {
                    "i": case.insurer_id,
                    "c": case.id,
                    "b": f"message {n}",
                    "d": "to_customer" if n % 2 else "from_customer",
                    "u": handler.id if n % 2 else None,
                    "k": None if n % 2 else contact.id,
                },  # fmt: skip
            )
            await conn.execute(
                text(
                    "INSERT INTO documents (insurer_id, case_id, type, title, file_name, "
                    "content_type, size_bytes, sha256, storage_key, shared_with_customer) "
                    "VALUES (:i, :c, 'other', :t, 'f.pdf', 'application/pdf', 1, :h, 'k', true)"
                ),
                {"i": case.insurer_id, "c": case.id, "t": f"Doc {n}", "h": "0" * 64},
            )
