"""`extensions.cost.actual` of a compiled response, counted in its JSON text, equals the
count over the decoded data (the lean path sends PostgreSQL's bytes without decoding)."""

from __future__ import annotations

import json

import asyncpg
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.cost import actual_cost, actual_cost_of_json

TRICKY = st.text(alphabet=st.sampled_from('{}[]"\\:,ab \n\t\u00e9\u2028\U0001f600'), max_size=12)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | TRICKY
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(data=st.one_of(st.none(), st.dictionaries(TRICKY, VALUES, max_size=4)))
def test_counting_in_the_text_equals_counting_the_decoded_data(data):
    expected = actual_cost(data, None, 0)
    for body in (orjson.dumps({"data": data}), json.dumps({"data": data}).encode()):
        assert actual_cost_of_json(body, None, 0) == expected, body


async def test_postgresqls_own_escapes_are_counted_right(database_url):
    strings = ['{"a":{}}', "\\", '\\"{', 'x\\\\"{y', "tab\t{new\nline}", "\u00e9{\U0001f600"]
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for text in strings:
            body = await conn.fetchval(
                """SELECT json_build_object('data', json_build_object(
                     'title', $1::text, 'nodes', json_build_array(json_build_object('t', $1::text),
                     json_build_object()), 'none', NULL::json))::text""",
                text,
            )
            data = orjson.loads(body)["data"]
            assert actual_cost_of_json(body.encode(), None, 0) == actual_cost(data, None, 0) == 2
    finally:
        await conn.close()
