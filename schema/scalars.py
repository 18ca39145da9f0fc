"""Scalars with one fixed text form, so that SQL and Python produce identical responses.

DateTime is always UTC with microseconds and a `Z`: `2026-11-23T17:28:04.698573Z`. Input
accepts any ISO 8601 date-time with an offset.
"""

from __future__ import annotations

import datetime as dt

import dateutil.parser
from strawberry.schema.types.base_scalars import wrap_parser
from strawberry.types.scalar import ScalarDefinition


def serialize_datetime(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime reached the API")  # every column is timestamptz
    # isoformat pads the year to four digits (strftime's %Y does not, for years < 1000).
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_instant(text: str) -> dt.datetime:
    """An ISO 8601 date-time that exists in UTC: year 1 at +14:00 does not, and would fail
    in the database driver (a 500) rather than here (a coded input error)."""
    value = dateutil.parser.isoparse(text)
    if value.tzinfo is not None:
        try:
            value.astimezone(dt.UTC)
        except OverflowError as exc:
            raise ValueError("the instant is outside the years 1-9999 in UTC") from exc
    return value


DateTime = ScalarDefinition(
    name="DateTime",
    description=(
        "An instant, ISO 8601. Output is always UTC with microseconds "
        "(2026-11-23T17:28:04.698573Z); input needs an offset (…+01:00 or …Z)."
    ),
    specified_by_url=None,
    serialize=serialize_datetime,
    parse_value=wrap_parser(parse_instant, "DateTime"),
    parse_literal=None,
    origin=dt.datetime,
)

SCALAR_OVERRIDES = {dt.datetime: DateTime}
