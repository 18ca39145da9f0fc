"""The error codes clients can rely on, and the exception that carries one.

Every GraphQL error the server returns has `extensions.code` from `ErrorCode` and
`extensions.requestId`. Anything else raised inside a resolver is a bug: it is logged
with the request id and reaches the client masked as INTERNAL. The README lists the set;
`tests/test_errors.py` keeps the two in step.
"""

from __future__ import annotations

import enum
from typing import Any


class ErrorCode(enum.StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    # The document itself is wrong: syntax, unknown fields, wrong variable types.
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    # Abuse limits, checked before execution: depth, aliases or tokens over the maximum
    # (`extensions.limit` names which), or the operation's estimated cost.
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    COST_LIMIT = "COST_LIMIT"
    # The client's points bucket (or sign-in attempts) is spent; `extensions.retryAfter`.
    RATE_LIMITED = "RATE_LIMITED"
    # Apollo persisted queries: the hash is unknown here (send the query with it), or
    # this session may only run registered documents and this one is not registered.
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
    INTERNAL = "INTERNAL"


class AppError(Exception):
    """An expected failure with a stable code, shown to the client as it is."""

    def __init__(self, code: ErrorCode, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extensions = extensions


def not_found(what: str = "object") -> AppError:
    # Same message whether the row is missing or out of scope: no existence oracle.
    return AppError(ErrorCode.NOT_FOUND, f"No {what} with that id.")


def forbidden(message: str) -> AppError:
    return AppError(ErrorCode.FORBIDDEN, message)


def unauthenticated(message: str = "Sign in first: send a Bearer token.") -> AppError:
    return AppError(ErrorCode.UNAUTHENTICATED, message)


def bad_input(message: str, field: str | None = None) -> AppError:
    extra = {"field": field} if field else {}
    return AppError(ErrorCode.BAD_USER_INPUT, message, **extra)
