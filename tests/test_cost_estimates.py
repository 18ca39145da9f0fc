"""Cached cost estimates (schema.cost.CostEstimates) equal a fresh walk of the document
for every request, whatever the variables and the order they come in."""

from __future__ import annotations

from graphql.utilities import get_operation_ast
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.cost import CostEstimates, _fragments, operation_cost
from schema.limits import parse_limited
from schema.root import build_schema

SCHEMA = build_schema()._schema
DOCUMENTS = [
    "query ($id: ID!) { case(id: $id) { number tasks { title } } }",
    "query ($n: Int = 7, $m: Int) { cases(first: $n) { nodes { documents(last: $m) { nodes { id } } } } }",
    "query ($ids: [ID!]!, $n: Int) { nodes(ids: $ids) { id } cases(first: $n) { totalCount } }",
    "query A($n: Int) { cases(first: $n) { nodes { ...F } } } query B { viewer { role } }"
    " fragment F on Case { feed(first: 3) { nodes { id } } }",
]
VALUES = (
    st.none()
    | st.integers(-5, 150)
    | st.floats(-1, 120)
    | st.text(max_size=3)
    | st.lists(st.text(max_size=2), max_size=5)
)
VARIABLES = st.dictionaries(st.sampled_from(["id", "n", "m", "ids", "other"]), VALUES, max_size=4)


def fresh(text: str, operation_name: str | None, variables: dict) -> int:
    document = parse_limited(text)
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    return operation_cost(SCHEMA, operation, _fragments(document), variables)


@settings(max_examples=200, deadline=None)
@given(
    requests=st.lists(
        st.tuples(
            st.sampled_from(range(len(DOCUMENTS))), st.sampled_from([None, "A", "B"]), VARIABLES
        ),
        min_size=1,
        max_size=12,
    )
)
def test_a_cached_estimate_is_the_fresh_one(requests):
    estimates = CostEstimates(SCHEMA, size=3, per_operation=4)  # small: eviction is exercised
    documents = [parse_limited(text) for text in DOCUMENTS]
    for index, operation_name, variables in requests:
        expected = fresh(DOCUMENTS[index], operation_name, variables)
        assert estimates.estimate(documents[index], operation_name, variables) == expected


def test_an_estimate_is_cached_by_the_variables_it_reads_only():
    estimates = CostEstimates(SCHEMA)
    document = parse_limited(DOCUMENTS[1])
    assert estimates.estimate(document, None, {"n": 40}) == 1 + 40 * (1 + 1 + 20)
    assert estimates.estimate(document, None, {}) == 1 + 7 * (1 + 1 + 20)  # the default
    assert estimates.estimate(document, None, {"n": 2, "m": 3}) == 1 + 2 * (1 + 1 + 3)
    entry = next(iter(estimates._operations.values()))
    assert entry.reads == ("n", "m")
    by_id = CostEstimates(SCHEMA)
    single = parse_limited(DOCUMENTS[0])
    for case_id in ("a", "b", "c"):
        assert by_id.estimate(single, None, {"id": case_id}) == 1 + 10
    assert len(next(iter(by_id._operations.values())).costs) == 1  # one estimate for any id


def test_values_that_are_not_sizes_are_kept_apart_from_null():
    """NaN (Python's json accepts it) is no size: the largest page, where null is the
    default page. Reported by a review: keyed by their JSON, both were `null`, and one
    client's NaN set the estimate for everyone's omitted variable."""
    estimates = CostEstimates(SCHEMA)
    document = parse_limited(DOCUMENTS[1])
    largest = 1 + 100 * (1 + 1 + 100)
    assert estimates.estimate(document, None, {"n": float("nan"), "m": float("inf")}) == largest
    assert estimates.estimate(document, None, {"n": None, "m": None}) == 1 + 20 * (1 + 1 + 20)
    assert estimates.estimate(document, None, {}) == 1 + 7 * (1 + 1 + 20)
    odd = {"n": object(), "m": "x"}  # a Python caller's own values: not sizes either
    assert estimates.estimate(document, None, odd) == largest == fresh(DOCUMENTS[1], None, odd)


def test_a_kept_estimate_holds_sizes_not_values():
    estimates = CostEstimates(SCHEMA)
    document = parse_limited(DOCUMENTS[2])
    huge = {"ids": ["x" * 1000] * 10_000, "n": 5}
    assert estimates.estimate(document, None, huge) == fresh(DOCUMENTS[2], None, huge)
    entry = next(iter(estimates._operations.values()))
    assert list(entry.costs) == [(("list", 100), ("size", 5))]
