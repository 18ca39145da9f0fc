"""One structured log line per GraphQL operation: request id, principal, operation,
duration and error codes. Works the same over HTTP and WebSocket."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from server.errors import AppError, ErrorCode

log = logging.getLogger("casegraph.request")


def error_code(error: GraphQLError) -> ErrorCode:
    """The stable code of any error the executor produced."""
    original = error.original_error
    if isinstance(original, AppError):
        return original.code
    coded = (error.extensions or {}).get("code")
    if original is None and coded in ErrorCode.__members__:
        return ErrorCode(coded)  # a validation rule that names its code (schema/limits.py)
    if original is None or (error.path is None and _about_the_document(error)):
        return ErrorCode.GRAPHQL_VALIDATION_FAILED
    return ErrorCode.INTERNAL


# Strawberry's own refusals of a request, raised before anything runs.
_REQUEST_ERRORS = (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError)


def _about_the_document(error: GraphQLError) -> bool:
    """Parse, validation and variable coercion errors happen before any resolver runs;
    they point at the document or wrap a GraphQL error. An exception that has neither a
    path nor a location was raised while running the operation: by a subscription's event
    stream (strawberry wraps it as it is) or an extension. That is a bug, not the client's."""
    original = error.original_error
    return bool(error.nodes) or isinstance(original, (GraphQLError, *_REQUEST_ERRORS))


class RequestLog(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context.context
        result = self.execution_context.result
        errors = (
            getattr(result, "errors", None) or self.execution_context.pre_execution_errors or []
        )
        principal = getattr(context, "principal", None)
        log.info(
            "graphql",
            extra={
                "requestId": getattr(context, "request_id", None),
                "principal": principal.label() if principal else "anonymous",
                "operationName": self.execution_context.operation_name,
                "operationType": _operation_type(self.execution_context),
                "durationMs": round((time.perf_counter() - started) * 1000, 2),
                "errorCodes": sorted({error_code(e).value for e in errors}),
            },
        )


def _operation_type(execution_context) -> str | None:  # type: ignore[no-untyped-def]
    try:
        return execution_context.operation_type.value
    except Exception:  # invalid documents have no operation type
        return None
