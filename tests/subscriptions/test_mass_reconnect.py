"""A mass reconnect (a restart or a deploy): hundreds of sockets sign in and subscribe at
once. Their credential checks, case checks and registrations are read in batches: a few
statements in all, where one by one each socket cost four. Checks are as strict as alone."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from sqlalchemy.dialects import postgresql

from permissions import scopes
from permissions.principal import Scope
from permissions.sharing import visibility_key
from resolvers.auth import issue_token, principal_from_bearer
from resolvers.loaders import Loaders
from resolvers.subscriptions.access import CaseChecks
from resolvers.subscriptions.sign_ins import SignIns
from server.errors import AppError
from tests.conftest import StatementCounter
from tests.factories import gid
from tests.subscriptions.test_coalesced_backlogs import principal, revoke_and_deactivate
from tests.subscriptions.test_coalesced_registrations import SUBSCRIBERS, quiet
from tests.subscriptions.test_live import CASE_MESSAGES
from tests.subscriptions.test_socket import send_message
from tests.subscriptions.wsclient import GraphQLSocket


async def test_hundreds_of_sockets_subscribing_at_once_cost_a_few_statements(
    ws_url, app, client, world, engine
):
    """From connection_init to registered, one by one a socket cost four statements (its
    sign-in, the operation's re-check, the case check, the case's last id), each on its own
    pooled connection."""
    portal = world.portal
    tokens = [portal.tokens[label] for label in ("staff", "admin", "integration")]
    tails = app.state.services.live.case_tails["messages"]
    variables = {"c": gid("Case", portal.case.id)}
    with StatementCounter(engine) as counter:
        sockets = await asyncio.gather(
            *(GraphQLSocket.open(ws_url, tokens[n % len(tokens)]) for n in range(SUBSCRIBERS))
        )
        ops = await asyncio.gather(*(s.subscribe(CASE_MESSAGES, variables) for s in sockets))
        async with asyncio.timeout(20):
            while len(getattr(tails._tails.get(portal.case.id), "subscribers", ())) < SUBSCRIBERS:
                await asyncio.sleep(0.01)
        await quiet(counter)
    try:
        # Per batch: the sign-ins (a statement per kind of credential), the case checks (one
        # per visibility key: here all three scopes see the portal), the last ids (one); and
        # the new tail's first read and check: 10 when every socket lands in one batch of
        # each. One by one it was 1,200.
        assert counter.count <= 30, counter.statements
        last_id_reads = [s for s in counter.statements if "unnest" in s and "max(" in s]
        assert 1 <= len(last_id_reads) <= 10, last_id_reads
        bodies = [f"after {n}" for n in range(3)]
        for body in bodies:
            await send_message(client, portal.tokens["staff"], portal.case.id, body)
        received = await asyncio.gather(
            *(s.collect(op, len(bodies), timeout=20) for s, op in zip(sockets, ops, strict=True))
        )
        assert all(
            [p["data"]["caseMessages"]["body"] for p in payloads] == bodies for payloads in received
        )
    finally:
        await asyncio.gather(*(s.close() for s in sockets))


async def test_the_case_check_at_subscribe_still_refuses_per_operation(ws_url, world):
    portal = world.portal
    partner = await GraphQLSocket.open(ws_url, portal.tokens["partner"])
    chat = await partner.subscribe(CASE_MESSAGES, {"c": gid("Case", portal.case.id)})
    foreign = await partner.subscribe(CASE_MESSAGES, {"c": gid("Case", world.foreign.case.id)})
    errors = {op: (await partner.next(op))["payload"] for op in (chat, foreign)}
    codes = {op: e.get("errors", e)[0]["extensions"]["code"] for op, e in errors.items()}
    assert codes == {chat: "FORBIDDEN", foreign: "NOT_FOUND"}
    await partner.close()


async def test_sign_ins_in_a_batch_answer_as_each_alone(world, engine, settings):
    """Every kind of credential, live and refused, read together in a statement per kind."""
    key = settings.signing_key()
    portal, foreign = world.portal, world.foreign
    await revoke_and_deactivate(engine, foreign)
    integration = portal.tokens["integration"]
    tokens = [
        *portal.tokens.values(),
        *foreign.tokens.values(),  # a revoked customer, a deactivated user
        issue_token({"sub": "user:0"}, key, 60)[0],  # no such user
        issue_token({"sub": f"user:{portal.handler.id}"}, key, -1)[0],  # expired
        issue_token({"sub": "customer-grant:1"}, key, 60)[0],
        issue_token({"sub": f"user:{portal.handler.id}"}, "another key " * 4, 60)[0],
        integration[:-3] + "xyz",  # a wrong secret
        "cgk_malformed",
        "not a token",
    ]
    alone = [await outcome(principal_from_bearer(engine, t, key)) for t in tokens]
    sign_ins = SignIns(engine)
    with StatementCounter(engine) as counter:
        together = await asyncio.gather(*(outcome(sign_ins(t, key)) for t in tokens))
    assert together == alone
    assert sum(isinstance(o, tuple) for o in alone) >= 8  # refusals of every kind
    assert counter.count == 3, counter.statements  # users, grants, API keys


async def outcome(check: Any) -> Any:
    try:
        return await check
    except AppError as exc:
        return exc.code, exc.message


async def test_case_checks_in_a_batch_answer_as_each_principals_own_read(world, engine, settings):
    portal, foreign = world.portal, world.foreign
    labels = ("staff", "admin", "partner", "other_partner", "ech", "customer",
              "integration_readonly", "partner_integration")  # fmt: skip
    people = [await principal(engine, settings, portal.tokens[label]) for label in labels]
    cases = [portal.case.id, portal.lonely_case.id, portal.handled_case.id, foreign.case.id]
    requests = [(p, case) for p in people for case in cases]
    alone = []
    for who, case in requests:
        row = await Loaders(engine, who).case_by_id.load(case)
        alone.append(row and (row.id, row.external_case_handler_id))
    checks = CaseChecks(engine)
    with StatementCounter(engine) as counter:
        rows = await asyncio.gather(*(checks(who, case) for who, case in requests))
    assert [row and (row.id, row.external_case_handler_id) for row in rows] == alone
    assert len({row for row in alone}) >= 4  # seen and unseen, with and without a handler
    assert counter.count <= len(people)  # one per permission scope, whatever the cases


async def test_equal_visibility_keys_get_the_same_case_and_feed_scopes(world, engine, settings):
    """What lets CaseChecks and check_access read once for all staff of a portal: any two
    principals with equal keys get the same SQL, parameters and all, from both scopes."""
    portal, foreign = world.portal, world.foreign
    labels = ("staff", "admin", "partner", "other_partner", "ech", "customer", "integration",
              "integration_readonly", "partner_integration")  # fmt: skip
    people = [await principal(engine, settings, w.tokens[lb]) for w in (portal, foreign) for lb in labels]  # fmt: skip
    staff, integration = people[0], people[6]
    people += [
        replace(staff, user_id=0, authority_level=0, office_id=1),
        replace(integration, api_key_id=0, scopes=frozenset({Scope.CASES_READ.value})),
        replace(integration, api_key_id=1, scopes=frozenset({Scope.MESSAGES_READ.value})),
    ]
    by_key: dict[Any, set[str]] = {}
    for who in people:
        by_key.setdefault(visibility_key(who), set()).add(scope_sql(who))
    assert all(len(sql) == 1 for sql in by_key.values()), by_key
    portal_key = visibility_key(staff)
    # Three staff members (one made here) and three of the insurer's keys that read cases
    # (one made here): one read for all six.
    assert sum(visibility_key(p) == portal_key for p in people) == 6


def scope_sql(who: Any) -> str:
    conditions = (scopes.visible_cases(who), scopes.visible_feed(who))
    dialect = postgresql.dialect()
    return " / ".join(
        str(c.compile(dialect=dialect, compile_kwargs={"literal_binds": True})) for c in conditions
    )
