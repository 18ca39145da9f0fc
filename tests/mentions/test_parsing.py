"""The mention syntax at its edges: what is a mention, what stays text, what is refused."""

from __future__ import annotations

import pytest

from resolvers.services.mentions import MAX_MENTIONS, parse_mention_ids, parse_mentions
from server.errors import AppError
from tests.factories import gid


def m(user_id: int, name: str = "Hans Handler") -> str:
    return f"@[{name}](user:{gid('User', user_id)})"


def test_two_mentions_in_order_of_appearance():
    assert parse_mentions(f"{m(7)} and {m(3, 'Åse Øvre-Li')}, please look") == [7, 3]


def test_a_duplicate_mention_counts_once():
    assert parse_mentions(f"{m(7)} ... {m(7, 'Hans')} again") == [7]


def test_names_with_spaces_and_punctuation_are_fine():
    assert parse_mentions(m(5, "Dr. Anna-Lena O'Neil (Bergen)")) == [5]


@pytest.mark.parametrize(
    "body",
    [
        "@Hans please",  # a bare @name
        "@[Hans Handler]",  # no target
        f"[Hans](user:{gid('User', 7)})",  # no @
        f"@[Hans](user:{gid('User', 7)}",  # missing parenthesis
        "@[Hans](user:)",  # empty id
        f"@[](user:{gid('User', 7)})",  # empty name
        f"@[Hans](person:{gid('User', 7)})",  # another scheme
        "email me at hans@example.test",
    ],
)
def test_malformed_syntax_is_plain_text(body):
    assert parse_mentions(body) == []


def test_a_well_formed_mention_of_something_else_than_a_user_is_refused():
    with pytest.raises(AppError) as caught:
        parse_mentions(f"@[Case](user:{gid('Case', 7)})")
    assert caught.value.code.value == "BAD_USER_INPUT"
    assert caught.value.extensions["field"] == "body"


def test_an_id_this_server_did_not_issue_is_refused():
    with pytest.raises(AppError) as caught:
        parse_mentions("@[Hans](user:not-an-id)")
    assert caught.value.extensions["field"] == "body"


def test_too_many_people_is_refused():
    body = " ".join(m(i) for i in range(1, MAX_MENTIONS + 2))
    with pytest.raises(AppError) as caught:
        parse_mentions(body)
    assert caught.value.extensions["field"] == "body"


def test_reading_a_stored_body_never_raises():
    assert parse_mention_ids(f"@[x](user:not-an-id) {m(4)} @[c](user:{gid('Case', 1)})") == [4]
