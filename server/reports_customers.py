"""`GET /reports/customer-grants.csv`: customers with their grants and login statistics
(see resolvers.queries.customer_grants_report). Authorization as for GraphQL; errors are
JSON with the same `extensions.code` values as the case statistics report."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from resolvers.queries.customer_grants_report import require_report_access, stream_csv
from server.errors import AppError, ErrorCode
from server.graphql_view import authenticate
from server.reports import _STATUS, _error


async def customer_grants_csv(request: Request) -> Response:
    principal, auth_error = await authenticate(request)
    try:
        if principal is None:
            raise auth_error or AppError(
                ErrorCode.UNAUTHENTICATED, "Sign in first: send a Bearer token."
            )
        require_report_access(principal)
    except AppError as error:
        return _error(_STATUS.get(error.code, 400), error)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    return StreamingResponse(
        stream_csv(engine=request.app.state.services.engine, principal=principal),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="customer-grants-{today}.csv"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
