"""`viewerNotifications`, `notificationsMarkRead`, and no N+1 for comments with mentions."""

from __future__ import annotations

from tests.factories import gid
from tests.graphql import error_codes, gql
from tests.mentions.helpers import MARK_READ, NOTIFICATIONS, add_comment, mention

COMMENTS_WITH_MENTIONS = """query ($id: ID!) {
  case(id: $id) {
    comments(first: 100) {
      nodes {
        body isDeleted editedAt
        author { name }
        mentions { id name }
        parent { id author { name } }
        revisions { body replacedBy { name } }
      }
    }
  }
}"""


async def mention_handler(client, portal, times: int, case_id: int | None = None) -> None:
    """`times` comments by the admin, each mentioning the handler and a second person
    (the partner user on the main case, else the case's external case handler)."""
    other = portal.partner_user if case_id in (None, portal.case.id) else portal.ech
    for n in range(times):
        body = f"#{n} {mention(portal.handler)} {mention(other)}"
        result = await add_comment(client, portal.tokens["admin"], case_id or portal.case.id, body)
        assert result["errors"] == [], result


async def test_newest_first_with_counts_pages_and_unread_only(client, world):
    p = world.portal
    await mention_handler(client, p, 3)
    token = p.tokens["staff"]
    first = (await gql(client, NOTIFICATIONS, {"first": 2}, token=token))["data"]
    page = first["viewerNotifications"]
    assert (page["totalCount"], page["unreadCount"]) == (3, 3)
    texts = [e["node"]["text"] for e in page["edges"]]
    assert texts == [f"Ada Admin mentioned you in a comment on case {p.case.number}."] * 2
    node = page["edges"][0]["node"]
    assert node["kind"] == "MENTION" and node["isRead"] is False
    assert node["case"] == {"number": p.case.number} and node["actor"] == {"name": "Ada Admin"}
    assert node["comment"]["body"].startswith("#2 ")  # the newest first
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await gql(client, NOTIFICATIONS, {"after": page["pageInfo"]["endCursor"]}, token=token)
    assert [
        e["node"]["comment"]["body"][:2] for e in rest["data"]["viewerNotifications"]["edges"]
    ] == ["#0"]
    # when one is marked read
    marked = await gql(client, MARK_READ, {"i": {"ids": [node["id"]]}}, token=token)
    assert marked["data"]["notificationsMarkRead"] == {"marked": 1, "errors": []}
    unread = (await gql(client, NOTIFICATIONS, {"unread": True}, token=token))["data"]
    assert unread["viewerNotifications"]["unreadCount"] == 2
    assert len(unread["viewerNotifications"]["edges"]) == 2
    # then all
    everything = await gql(client, MARK_READ, {"i": {"all": True}}, token=token)
    assert everything["data"]["notificationsMarkRead"]["marked"] == 2
    done = (await gql(client, NOTIFICATIONS, {}, token=token))["data"]["viewerNotifications"]
    assert (done["totalCount"], done["unreadCount"]) == (3, 0)


async def test_nobody_marks_or_reads_someone_elses_notifications(client, world):
    p = world.portal
    await mention_handler(client, p, 1)
    theirs = await gql(client, NOTIFICATIONS, {}, token=p.tokens["staff"])
    notification_id = theirs["data"]["viewerNotifications"]["edges"][0]["node"]["id"]
    mine = await gql(client, NOTIFICATIONS, {}, token=p.tokens["admin"])
    assert mine["data"]["viewerNotifications"]["totalCount"] == 0
    marked = await gql(
        client, MARK_READ, {"i": {"ids": [notification_id]}}, token=p.tokens["admin"]
    )
    assert marked["data"]["notificationsMarkRead"]["marked"] == 0
    still = await gql(client, NOTIFICATIONS, {}, token=p.tokens["staff"])
    assert still["data"]["viewerNotifications"]["unreadCount"] == 1


async def test_mark_read_needs_ids_or_all(client, world):
    token = world.portal.tokens["staff"]
    result = await gql(client, MARK_READ, {"i": {}}, token=token)
    assert result["data"]["notificationsMarkRead"]["errors"] == [
        {"code": "BAD_USER_INPUT", "field": ["input", "ids"]}
    ]
    wrong = await gql(client, MARK_READ, {"i": {"ids": [gid("Case", 1)]}}, token=token)
    assert wrong["data"]["notificationsMarkRead"]["errors"][0]["field"] == ["input", "ids"]


async def test_page_arguments_are_checked(client, world):
    token = world.portal.tokens["staff"]
    for variables in ({"first": 0}, {"first": 101}, {"after": "not-a-cursor"}):
        result = await gql(client, NOTIFICATIONS, variables, token=token)
        assert error_codes(result) == ["BAD_USER_INPUT"], variables


async def test_customers_and_api_keys_have_no_notifications(client, world):
    for label in ("customer", "integration"):
        result = await gql(client, NOTIFICATIONS, {}, token=world.portal.tokens[label])
        assert error_codes(result) == ["FORBIDDEN"], label
        marked = await gql(
            client, MARK_READ, {"i": {"all": True}}, token=world.portal.tokens[label]
        )
        assert error_codes(marked) == ["FORBIDDEN"], label


async def test_a_customer_never_sees_comments_or_mentions_of_their_case(client, world):
    p = world.portal
    await mention_handler(client, p, 1)
    result = await gql(
        client, COMMENTS_WITH_MENTIONS, {"id": gid("Case", p.case.id)}, token=p.tokens["customer"]
    )
    assert error_codes(result) == ["FORBIDDEN"]
    assert "#0" not in str(result)  # nothing of the comment leaked next to the error
    page = await gql(client, "{ customerPage { case { number } } }", token=p.tokens["customer"])
    assert "mention" not in str(page).lower()


async def test_comment_statements_do_not_grow_with_comments_and_mentions(
    client, world, count_statements
):
    p = world.portal
    case_id = p.handled_case.id
    edit = "mutation ($i: CommentEditInput!) { commentEdit(input: $i) { errors { code } } }"
    counts, sizes = [], []
    for more in (2, 6):
        await mention_handler(client, p, more, case_id)
        # a reply that is edited, so parents and revisions are read too
        last = await add_comment(client, p.tokens["staff"], case_id, "one more")
        reply = await add_comment(client, p.tokens["staff"], case_id, "re", last["comment"]["id"])
        edited = {"id": reply["comment"]["id"], "body": "edited"}
        await gql(client, edit, {"i": edited}, token=p.tokens["staff"])
        with count_statements() as counter:
            result = await gql(
                client,
                COMMENTS_WITH_MENTIONS,
                {"id": gid("Case", case_id)},
                token=p.tokens["admin"],
            )
        assert "errors" not in result, result
        sizes.append(len(result["data"]["case"]["comments"]["nodes"]))
        counts.append(counter.count)
    assert sizes == [4, 12]
    assert counts[0] == counts[1], counts


async def test_notification_statements_do_not_grow_with_notifications(
    client, world, count_statements
):
    p = world.portal
    counts = {}
    for total in (2, 8):
        await mention_handler(client, p, total - (2 if total == 8 else 0))
        with count_statements() as counter:
            result = await gql(client, NOTIFICATIONS, {"first": 100}, token=p.tokens["staff"])
        assert len(result["data"]["viewerNotifications"]["edges"]) == total
        counts[total] = counter.count
    assert counts[2] == counts[8], counts
