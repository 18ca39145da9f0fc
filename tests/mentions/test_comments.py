"""Comments with mentions, replies, edits and deletion: who may, what is kept, who is told."""

from __future__ import annotations

import json

from sqlalchemy import func, select, update

from resolvers.auth import user_principal
from server.db.casework import EventLogEntry
from server.db.models import Case, Comment, User
from tests.factories import gid
from tests.graphql import error_codes, gql
from tests.mentions.helpers import (
    COMMENT_DELETE,
    COMMENT_EDIT,
    PREFERENCES,
    add_comment,
    mention,
    mention_emails,
    notification_rows,
)

CASE_COMMENTS = """query ($id: ID!) {
  case(id: $id) { comments(first: 50) { nodes { id body isDeleted mentions { name } } } }
}"""
COMMENT_STATE = """query ($id: ID!) {
  case(id: $id) { comments(first: 50) { nodes { id body isDeleted deletedAt editedAt } } }
}"""
NODE_USER = "query ($id: ID!) { node(id: $id) { id } }"
NODE_COMMENT = "query ($id: ID!) { node(id: $id) { id ... on Comment { body } } }"
REVISIONS = """query ($id: ID!) {
  node(id: $id) { ... on Comment { revisions { body } } }
}"""


async def comment_count(engine, case_id: int) -> int:
    async with engine.connect() as conn:
        stmt = select(func.count()).select_from(Comment).where(Comment.case_id == case_id)
        return int((await conn.execute(stmt)).scalar_one())


async def test_mentioning_two_colleagues_notifies_both_in_app_and_by_email(client, world, engine):
    p = world.portal
    # given a comment that mentions the case handler and the inspector's partner user
    body = f"{mention(p.handler)} and {mention(p.partner_user)}: please check the meter."
    # when the admin posts it
    result = await add_comment(client, p.tokens["admin"], p.case.id, body)
    # then both are mentioned, in order, and each has one notification and one email
    assert result["errors"] == []
    assert [u["name"] for u in result["comment"]["mentions"]] == ["Hans Handler", "Per Partner"]
    for user in (p.handler, p.partner_user):
        rows = await notification_rows(engine, user)
        assert [(r.kind, r.case_id, r.actor_user_id) for r in rows] == [
            ("mention", p.case.id, p.admin.id)
        ]
        emails = await mention_emails(engine, user)
        assert len(emails) == 1 and p.case.number in emails[0].subject
        assert "@Hans Handler and @Per Partner" in emails[0].body  # mentions shown as names


async def test_a_mention_outside_the_case_company_is_refused_and_nothing_is_written(
    client, world, engine
):
    p, foreign = world.portal, world.foreign
    before = await comment_count(engine, p.case.id)
    body = f"{mention(p.handler)} {mention(foreign.handler)}"
    result = await add_comment(client, p.tokens["staff"], p.case.id, body)
    assert result["comment"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("BAD_USER_INPUT", ["input", "body"])
    ]
    assert await comment_count(engine, p.case.id) == before
    assert await notification_rows(engine, p.handler) == []  # not even the allowed one


async def test_an_unknown_or_deactivated_user_is_refused(client, world, engine):
    p = world.portal
    unknown = f"@[Ghost](user:{gid('User', 987654321)})"
    result = await add_comment(client, p.tokens["staff"], p.case.id, unknown)
    assert result["errors"][0]["field"] == ["input", "body"]
    async with engine.begin() as conn:
        await conn.execute(update(User).where(User.id == p.admin.id).values(active=False))
    result = await add_comment(client, p.tokens["staff"], p.case.id, mention(p.admin))
    assert result["errors"][0]["code"] == "BAD_USER_INPUT"


async def test_a_partner_user_who_cannot_see_the_case_cannot_be_mentioned(client, world):
    p = world.portal
    # the partner's office has no task on the lonely case
    result = await add_comment(client, p.tokens["staff"], p.lonely_case.id, mention(p.partner_user))
    assert result["errors"][0]["field"] == ["input", "body"]
    # on the handled case the named external case handler sees it, their office colleague not
    ok = await add_comment(client, p.tokens["staff"], p.handled_case.id, mention(p.ech))
    assert ok["errors"] == []
    refused = await add_comment(
        client, p.tokens["staff"], p.handled_case.id, mention(p.other_partner_user)
    )
    assert refused["errors"][0]["code"] == "BAD_USER_INPUT"


async def test_mentioning_yourself_notifies_nobody(client, world, engine):
    p = world.portal
    result = await add_comment(
        client, p.tokens["staff"], p.case.id, f"note to {mention(p.handler)}"
    )
    assert [u["name"] for u in result["comment"]["mentions"]] == ["Hans Handler"]
    assert await notification_rows(engine, p.handler) == []


async def test_email_follows_the_preference_the_in_app_notification_does_not(client, world, engine):
    p = world.portal
    # given the handler turned mention emails off
    result = await gql(
        client, PREFERENCES, {"i": {"emailOnMention": False}}, token=p.tokens["staff"]
    )
    assert result["data"]["viewerPreferencesUpdate"] == {"emailOnMention": False, "errors": []}
    viewer = await gql(client, "{ viewer { emailOnMention } }", token=p.tokens["staff"])
    assert viewer["data"]["viewer"]["emailOnMention"] is False
    # when they are mentioned
    await add_comment(client, p.tokens["admin"], p.case.id, mention(p.handler))
    # then they have the in-app notification but no email
    assert len(await notification_rows(engine, p.handler)) == 1
    assert await mention_emails(engine, p.handler) == []
    # and the change is in the event log
    async with engine.connect() as conn:
        stmt = select(EventLogEntry.action, EventLogEntry.before, EventLogEntry.after).where(
            EventLogEntry.subject_type == "User", EventLogEntry.subject_id == str(p.handler.id)
        )
        assert list(await conn.execute(stmt)) == [
            ("userPreferences.update", {"emailOnMention": True}, {"emailOnMention": False})
        ]


async def test_customers_and_api_keys_have_no_preferences(client, world):
    for label in ("customer", "integration"):
        result = await gql(
            client, PREFERENCES, {"i": {"emailOnMention": False}}, token=world.portal.tokens[label]
        )
        assert error_codes(result) == ["FORBIDDEN"]


# Replies


async def test_a_reply_names_its_parent_and_stays_internal(client, world):
    p = world.portal
    parent = await add_comment(client, p.tokens["staff"], p.case.id, "Leak under the sink?")
    parent_id = parent["comment"]["id"]
    reply = await add_comment(client, p.tokens["partner"], p.case.id, "Confirmed.", parent_id)
    assert reply["errors"] == []
    assert reply["comment"]["parent"] == {"id": parent_id}
    # the customer reaches neither the reply nor its parent
    for comment_id in (parent_id, reply["comment"]["id"]):
        found = await gql(client, NODE_COMMENT, {"id": comment_id}, token=p.tokens["customer"])
        assert found["data"] == {"node": None} or error_codes(found) == ["NOT_FOUND"]
    listed = await gql(
        client, CASE_COMMENTS, {"id": gid("Case", p.case.id)}, token=p.tokens["customer"]
    )
    assert error_codes(listed) == ["FORBIDDEN"]


async def test_a_reply_to_another_case_or_a_deleted_comment_is_refused(client, world):
    p = world.portal
    elsewhere = await add_comment(client, p.tokens["staff"], p.lonely_case.id, "Other case")
    result = await add_comment(
        client, p.tokens["staff"], p.case.id, "Reply", elsewhere["comment"]["id"]
    )
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("BAD_USER_INPUT", ["input", "parentId"])
    ]
    gone = await add_comment(client, p.tokens["staff"], p.case.id, "Soon gone")
    await gql(client, COMMENT_DELETE, {"i": {"id": gone["comment"]["id"]}}, token=p.tokens["staff"])
    result = await add_comment(client, p.tokens["staff"], p.case.id, "Reply", gone["comment"]["id"])
    assert result["errors"][0]["field"] == ["input", "parentId"]


# Editing and deleting


async def test_the_author_edits_with_history_and_only_the_newly_mentioned_are_told(
    client, world, engine
):
    p = world.portal
    first = await add_comment(client, p.tokens["staff"], p.case.id, f"{mention(p.admin)} look")
    comment_id = first["comment"]["id"]
    body = f"{mention(p.admin)} and {mention(p.partner_user)}, look"
    result = await gql(
        client, COMMENT_EDIT, {"i": {"id": comment_id, "body": body}}, token=p.tokens["staff"]
    )
    edited = result["data"]["commentEdit"]
    assert edited["errors"] == []
    assert edited["comment"]["body"] == body and edited["comment"]["editedAt"]
    assert [m["name"] for m in edited["comment"]["mentions"]] == ["Ada Admin", "Per Partner"]
    assert edited["comment"]["revisions"] == [
        {"body": f"{mention(p.admin)} look", "replacedBy": {"name": "Hans Handler"}}
    ]
    assert len(await notification_rows(engine, p.admin)) == 1  # not told twice
    assert len(await notification_rows(engine, p.partner_user)) == 1


async def test_only_the_author_edits_or_deletes(client, world):
    p = world.portal
    comment_id = (await add_comment(client, p.tokens["staff"], p.case.id, "Mine"))["comment"]["id"]
    for label in ("admin", "partner"):
        edit = await gql(
            client, COMMENT_EDIT, {"i": {"id": comment_id, "body": "Theirs"}}, token=p.tokens[label]
        )
        assert error_codes(edit) == ["FORBIDDEN"]
        delete = await gql(client, COMMENT_DELETE, {"i": {"id": comment_id}}, token=p.tokens[label])
        assert error_codes(delete) == ["FORBIDDEN"]
    customer = await gql(
        client, COMMENT_DELETE, {"i": {"id": comment_id}}, token=p.tokens["customer"]
    )
    assert error_codes(customer) == ["NOT_FOUND"]


async def test_a_deleted_comment_is_a_tombstone_with_its_body_in_the_history(client, world):
    p = world.portal
    body = f"Wrong case, sorry {mention(p.admin)}"
    comment_id = (await add_comment(client, p.tokens["staff"], p.case.id, body))["comment"]["id"]
    result = await gql(client, COMMENT_DELETE, {"i": {"id": comment_id}}, token=p.tokens["staff"])
    deleted = result["data"]["commentDelete"]["comment"]
    assert deleted["body"] == "" and deleted["isDeleted"] and deleted["deletedAt"]
    assert deleted["mentions"] == [] and deleted["revisions"] == [{"body": body}]
    listed = await gql(
        client, CASE_COMMENTS, {"id": gid("Case", p.case.id)}, token=p.tokens["admin"]
    )
    nodes = listed["data"]["case"]["comments"]["nodes"]
    assert {"id": comment_id, "body": "", "isDeleted": True, "mentions": []} in nodes
    # the compiled read path answers the tombstone's state alike (compared in the suite)
    state = await gql(
        client, COMMENT_STATE, {"id": gid("Case", p.case.id)}, token=p.tokens["admin"]
    )
    assert "errors" not in state, state
    tombstone = next(n for n in state["data"]["case"]["comments"]["nodes"] if n["id"] == comment_id)
    assert tombstone["isDeleted"] and tombstone["body"] == "" and tombstone["editedAt"] is None
    again = await gql(
        client, COMMENT_EDIT, {"i": {"id": comment_id, "body": "x"}}, token=p.tokens["staff"]
    )
    assert again["data"]["commentEdit"]["errors"][0]["code"] == "CONFLICT"


async def test_history_is_for_staff_and_the_author(client, world):
    p = world.portal
    comment_id = (await add_comment(client, p.tokens["partner"], p.case.id, "v1"))["comment"]["id"]
    await gql(
        client, COMMENT_EDIT, {"i": {"id": comment_id, "body": "v2"}}, token=p.tokens["partner"]
    )
    for label in ("partner", "staff"):
        seen = await gql(client, REVISIONS, {"id": comment_id}, token=p.tokens[label])
        assert seen["data"]["node"]["revisions"] == [{"body": "v1"}], label
    other = await gql(client, REVISIONS, {"id": comment_id}, token=p.tokens["other_partner"])
    assert error_codes(other) == ["FORBIDDEN"]


async def test_the_compiled_read_path_serves_a_comments_edit_state(app, client, world):
    """editedAt/deletedAt/isDeleted are compiled (compared with the resolvers suite-wide);
    a selection with mentions falls back to the resolvers as a whole."""
    p = world.portal
    await add_comment(client, p.tokens["staff"], p.case.id, "compiled")
    principal = user_principal(p.handler, p.handler.id)
    reads = app.state.services.reads
    variables = {"id": gid("Case", p.case.id)}
    answered = await reads.execute(
        query=COMMENT_STATE, operation_name=None, variables=variables, principal=principal
    )
    assert answered is not None
    nodes = json.loads(answered)["data"]["case"]["comments"]["nodes"]
    assert {"body": "compiled", "isDeleted": False, "editedAt": None}.items() <= nodes[0].items()
    with_mentions = COMMENT_STATE.replace("editedAt", "editedAt mentions { name }")
    declined = await reads.execute(
        query=with_mentions, operation_name=None, variables=variables, principal=principal
    )
    assert declined is None


async def test_a_partner_cannot_mention_people_they_cannot_see_and_refusals_read_alike(
    client, world, engine
):
    p = world.portal
    # given a case the partner user works on (their office has a task on it) whose
    # external case handler is of another partner company, which the partner cannot see
    async with engine.begin() as conn:
        await conn.execute(
            update(Case).where(Case.id == p.case.id).values(external_case_handler_id=p.ech.id)
        )
    hidden = await gql(client, NODE_USER, {"id": gid("User", p.ech.id)}, token=p.tokens["partner"])
    assert error_codes(hidden) == ["NOT_FOUND"]
    before = await comment_count(engine, p.case.id)
    # when the partner user mentions that external case handler (who can see the case)
    result = await add_comment(client, p.tokens["partner"], p.case.id, f"hi {mention(p.ech)}")
    # then it is refused, nothing is written and nobody is told
    assert result["comment"] is None
    [refusal] = result["errors"]
    assert (refusal["code"], refusal["field"]) == ("BAD_USER_INPUT", ["input", "body"])
    assert await comment_count(engine, p.case.id) == before
    assert await notification_rows(engine, p.ech) == []
    # and the refusal reads exactly like one of an id that is no user at all, and like one
    # of a user who cannot see the case: it tells nobody whether a hidden id exists
    ghost = f"hi @[Ghost](user:{gid('User', 10**12)})"
    unknown = await add_comment(client, p.tokens["partner"], p.case.id, ghost)
    blind = await add_comment(
        client, p.tokens["staff"], p.lonely_case.id, f"hi {mention(p.other_partner_user)}"
    )
    assert unknown["errors"] == [refusal]
    assert blind["errors"] == [refusal]
    # while people they can see, who see the case, are theirs to mention
    ok = await add_comment(client, p.tokens["partner"], p.case.id, f"hi {mention(p.handler)}")
    assert ok["errors"] == []
