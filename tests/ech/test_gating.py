"""Each right of the external case handler, as a table: for every action it gates, the
case's external case handler with the right may, without it gets FORBIDDEN naming the
right, a partner user on the case who is not its handler is refused without any right
named, and staff are unaffected. Only on the handler's own cases."""

from __future__ import annotations

import pytest

from permissions.rights import Right
from tests.ech.actions import ACTIONS, CASE_DECIDE, MESSAGE_SEND, TASK_ADD, Action
from tests.ech.stage import outcome, set_rights, stage
from tests.factories import build_portal, gid
from tests.graphql import gql

ACTORS = {  # who → (token label, the role's rights given the action's right)
    "ech_with_right": ("ech", lambda right: {right}),
    "ech_without_right": ("ech", lambda right: set(Right) - {right}),
    "partner_not_ech": ("partner", lambda right: set(Right)),
    "staff": ("staff", lambda right: set()),
}


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.field)
async def test_right_gates_action(client, engine, settings, action: Action, who: str):
    portal = await build_portal(engine, settings, "Rett")
    staged = await stage(engine, portal)
    label, rights = ACTORS[who]
    await set_rights(engine, portal, rights(action.right))

    result = await gql(
        client, action.document, action.variables(staged), token=portal.tokens[label]
    )

    code, message = outcome(result, action.field)
    if who in ("ech_with_right", "staff"):
        assert (code, message) == ("ok", "")
    elif who == "ech_without_right":
        assert code == "FORBIDDEN"
        assert message == f"The external case handler role lacks the right '{action.right}'."
    else:
        assert code == "FORBIDDEN"
        assert "lacks the right" not in message


# The handler has every right, but only on `handled_case`. On `case` Erik's office holds a
# repair task (he sees the case as that office's user); `lonely_case` he does not see.
ELSEWHERE = [
    pytest.param(
        TASK_ADD,
        "taskAdd",
        lambda c: {"caseId": c, "kind": "REPAIR", "title": "Roofing"},
        id="taskAdd",
    ),
    pytest.param(
        CASE_DECIDE,
        "caseSetCompensationDecision",
        lambda c: {"caseId": c, "decision": "ACCEPTED"},
        id="caseSetCompensationDecision",
    ),
    pytest.param(
        MESSAGE_SEND, "messageSend", lambda c: {"caseId": c, "body": "Hello"}, id="messageSend"
    ),
]


@pytest.mark.parametrize(
    ("case_key", "expected"), [("case", "FORBIDDEN"), ("lonely_case", "NOT_FOUND")]
)
@pytest.mark.parametrize(("document", "field", "variables"), ELSEWHERE)
async def test_rights_apply_only_on_own_cases(
    client, engine, settings, document, field, variables, case_key, expected
):
    portal = await build_portal(engine, settings, "Egen")
    case_id = gid("Case", getattr(portal, case_key).id)

    result = await gql(client, document, {"input": variables(case_id)}, token=portal.tokens["ech"])

    code, message = outcome(result, field)
    assert code == expected
    assert "lacks the right" not in message
