from tests.factories import gid
from tests.graphql import gql

CASE_QUERY = """
query ($id: ID!) {
  case(id: $id) {
    id number status budget
    tasks { id kind title status budgetEstimate office { name } responsible { name } }
    documents(first: 10) { totalCount edges { cursor node { title } } }
    feed(first: 5) { totalCount nodes { type payload } }
    messages(first: 5) { nodes { body direction } }
    comments(first: 5) { nodes { body author { name } } }
  }
}
"""


async def test_staff_reads_a_case(client, world):
    portal = world.portal
    result = await gql(
        client, CASE_QUERY, {"id": gid("Case", portal.case.id)}, token=portal.tokens["staff"]
    )
    assert "errors" not in result, result
    case = result["data"]["case"]
    assert case["number"] == portal.case.number
    assert len(case["tasks"]) == 3
    assert case["documents"]["totalCount"] == 3
    assert case["feed"]["totalCount"] == 3
