"""Report downloads over plain HTTP: `GET /reports/case-statistics.csv`.

Authorization as for GraphQL (a Bearer token or API key); errors are JSON with the same
`extensions.code` values. The CSV streams in chunks from a server-side cursor.
"""

from __future__ import annotations

import datetime as dt

import dateutil.parser
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from resolvers.global_ids import decode_typed_id
from resolvers.queries.case_export import export_columns, require_export_access, stream_cases_csv
from resolvers.queries.case_statistics import StatisticsFilter, require_report_access, stream_csv
from server.db.enums import CaseStatus
from server.errors import AppError, ErrorCode, bad_input
from server.graphql_view import authenticate


def _error(status: int, error: AppError) -> JSONResponse:
    extensions = {"code": error.code.value, **error.extensions}
    return JSONResponse({"errors": [{"message": error.message, "extensions": extensions}]}, status)


_STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.BAD_USER_INPUT: 400,
}


def _instant(request: Request, name: str) -> dt.datetime | None:
    given = request.query_params.get(name)
    if not given:
        return None
    try:
        value = dateutil.parser.isoparse(given)
    except (ValueError, OverflowError) as exc:
        raise bad_input(f"'{name}' must be an ISO 8601 date or date-time.", name) from exc
    # A date alone, or a time without offset, is taken as UTC.
    value = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    try:  # checked before the 200 goes out, not while the rows stream
        value.astimezone(dt.UTC)
    except OverflowError as exc:
        raise bad_input(f"'{name}' is outside the years 1-9999 in UTC.", name) from exc
    return value


def parse_filter(request: Request) -> StatisticsFilter:
    """`createdAfter`, `createdBefore` (ISO 8601) and `status` (repeated or comma-separated,
    e.g. `status=open,on_hold`)."""
    statuses: list[CaseStatus] = []
    for given in request.query_params.getlist("status"):
        for word in filter(None, (w.strip().lower() for w in given.split(","))):
            try:
                statuses.append(CaseStatus(word))
            except ValueError as exc:
                allowed = ", ".join(s.value for s in CaseStatus)
                raise bad_input(f"'status' must be one of {allowed}.", "status") from exc
    return StatisticsFilter(
        created_after=_instant(request, "createdAfter"),
        created_before=_instant(request, "createdBefore"),
        statuses=tuple(dict.fromkeys(statuses)),
    )


async def case_statistics_csv(request: Request) -> Response:
    """One CSV row per case (see resolvers.queries.case_statistics.COLUMNS)."""
    principal, auth_error = await authenticate(request)
    try:
        if principal is None:
            raise auth_error or AppError(
                ErrorCode.UNAUTHENTICATED, "Sign in first: send a Bearer token."
            )
        require_report_access(principal)
        report_filter = parse_filter(request)
    except AppError as error:
        return _error(_STATUS.get(error.code, 400), error)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    return StreamingResponse(
        stream_csv(
            engine=request.app.state.services.engine,
            principal=principal,
            report_filter=report_filter,
        ),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="case-statistics-{today}.csv"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# --- casetypes ---


async def cases_csv(request: Request) -> Response:
    """`GET /reports/cases.csv?caseType=<CaseType id>`: the type's cases with one column
    per custom field (see resolvers.queries.case_export)."""
    principal, auth_error = await authenticate(request)
    engine = request.app.state.services.engine
    try:
        if principal is None:
            raise auth_error or AppError(
                ErrorCode.UNAUTHENTICATED, "Sign in first: send a Bearer token."
            )
        require_export_access(principal)
        given = request.query_params.get("caseType")
        if not given:
            raise bad_input("'caseType' is required.", "caseType")
        case_type_id = decode_typed_id(given, "CaseType", "caseType")
        fields = await export_columns(engine=engine, principal=principal, case_type_id=case_type_id)
    except AppError as error:
        status = 404 if error.code is ErrorCode.NOT_FOUND else _STATUS.get(error.code, 400)
        return _error(status, error)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    return StreamingResponse(
        stream_cases_csv(
            engine=engine, principal=principal, case_type_id=case_type_id, fields=fields
        ),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="cases-{today}.csv"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
