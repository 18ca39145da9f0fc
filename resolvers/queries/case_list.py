"""The case list: scoped, filtered, ordered and keyset-paginated in one SQL statement.

The dashboard flags that depend on who is asking (`myTasks`, `actionRequired`,
`externalCaseHandlerIsMe`) are SQLAlchemy conditions over the principal, so that the
compiled read path renders the very same conditions (resolvers/compiled/roots.py).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from permissions import scopes
from permissions.principal import Principal, Role
from permissions.sla import SlaState
from resolvers.global_ids import decode_typed_id
from resolvers.pagination import PageArgs, decode_cursor, encode_cursor
from resolvers.queries.sla import sla_state_condition
from resolvers.services.common import storable
from resolvers.services.custom_fields import json_number
from server.db.enums import (
    BudgetStatus,
    CaseStatus,
    DamageType,
    MessageDirection,
    TaskKind,
    TaskStatus,
)
from server.db.models import Budget, Case, Message, Office, Task
from server.errors import bad_input, forbidden

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class CaseOrderField(enum.Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NUMBER = "number"
    STATUS = "status"


# At most this many ids in one list filter: a dashboard picks a few, not the portal.
MAX_FILTER_IDS = 100
# The order a case moves through; sorting by status follows it, not the alphabet.
STATUS_RANK = {CaseStatus.OPEN: 0, CaseStatus.ON_HOLD: 1, CaseStatus.CLOSED: 2}
_UNFINISHED = (TaskStatus.NEW, TaskStatus.ASSIGNED, TaskStatus.STARTED)


@dataclass(frozen=True, slots=True)
class CaseFilter:
    statuses: tuple[CaseStatus, ...] = ()
    damage_types: tuple[DamageType, ...] = ()
    case_handler_id: int | None = None
    search: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    # True: the dashboard's "cases with customer uploads or messages" (not yet marked
    # read); False: the others.
    customer_activity: bool | None = None
    # Any of these ids (empty: no condition).
    office_ids: tuple[int, ...] = ()
    case_handler_ids: tuple[int, ...] = ()
    inspector_ids: tuple[int, ...] = ()
    project_manager_ids: tuple[int, ...] = ()
    user_id: int | None = None
    # Dashboard flags: True selects the cases meeting the condition, False the others.
    my_tasks: bool | None = None
    action_required: bool | None = None
    has_external_case_handler: bool | None = None
    external_case_handler_is_me: bool | None = None
    unread_customer_messages: bool | None = None
    # --- casetypes ---
    case_type_id: int | None = None
    custom_fields: tuple[tuple[str, str], ...] = ()  # (key, value as text)
    # --- sla --- (any of these; empty: no condition)
    sla_states: tuple[SlaState, ...] = ()
    workflow_status_ids: tuple[int, ...] = ()
    priority_ids: tuple[int, ...] = ()

    def insider_filters(self) -> list[str]:
        """The filters set that name people, offices or the insurer's side of the chat:
        on a customer's own case they would reveal what their page may hide."""
        insider = {
            "caseHandlerId": self.case_handler_id is not None,
            "customerActivity": self.customer_activity is not None,
            "officeIds": bool(self.office_ids),
            "caseHandlerIds": bool(self.case_handler_ids),
            "inspectorIds": bool(self.inspector_ids),
            "projectManagerIds": bool(self.project_manager_ids),
            "userId": self.user_id is not None,
            "myTasks": self.my_tasks is not None,
            "actionRequired": self.action_required is not None,
            "hasExternalCaseHandler": self.has_external_case_handler is not None,
            "externalCaseHandlerIsMe": self.external_case_handler_is_me is not None,
            "unreadCustomerMessages": self.unread_customer_messages is not None,
            # A customer's own case matching a hidden field would reveal its value.
            "customFields": bool(self.custom_fields),
            # --- sla ---
            "slaState": bool(self.sla_states),
            "workflowStatusIds": bool(self.workflow_status_ids),
            "priorityIds": bool(self.priority_ids),
        }
        return [name for name, used in insider.items() if used]

    def conditions(self, principal: Principal) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.statuses:
            found.append(Case.status.in_(self.statuses))
        if self.damage_types:
            found.append(Case.damage_type.in_(self.damage_types))
        if self.case_handler_id is not None:
            found.append(Case.case_handler_id == self.case_handler_id)
        if self.search:
            pattern = search_pattern(self.search)
            found.append(
                or_(
                    Case.number.ilike(pattern),
                    Case.claim_number.ilike(pattern),
                    Case.street.ilike(pattern),
                    Case.city.ilike(pattern),
                )
            )
        if self.created_after is not None:
            found.append(Case.created_at >= self.created_after)
        if self.created_before is not None:
            found.append(Case.created_at < self.created_before)
        if self.customer_activity is not None:
            found.append(Case.customer_activity_at.is_not(None) == self.customer_activity)
        if self.office_ids:
            found.append(
                or_(
                    exists().where(Task.case_id == Case.id, Task.office_id.in_(self.office_ids)),
                    Case.external_case_handler_office_id.in_(self.office_ids),
                )
            )
        if self.case_handler_ids:
            found.append(Case.case_handler_id.in_(self.case_handler_ids))
        if self.inspector_ids:
            found.append(_responsible(TaskKind.MAIN_INSPECTION, self.inspector_ids, principal))
        if self.project_manager_ids:
            found.append(
                _responsible(TaskKind.PROJECT_MANAGEMENT, self.project_manager_ids, principal)
            )
        if self.user_id is not None:
            found.append(
                or_(
                    Case.case_handler_id == self.user_id,
                    Case.external_case_handler_id == self.user_id,
                    exists().where(
                        Task.case_id == Case.id,
                        Task.responsible_id == self.user_id,
                        _tasks_visible_in_full(principal),
                    ),
                )
            )
        # --- sla ---
        if self.sla_states:
            found.append(sla_state_condition(self.sla_states))
        if self.workflow_status_ids:
            found.append(Case.workflow_status_id.in_(self.workflow_status_ids))
        if self.priority_ids:
            found.append(Case.priority_id.in_(self.priority_ids))
        found += [
            condition if wanted else not_(condition)
            for condition, wanted in viewer_flags(self, principal)
        ]
        if self.case_type_id is not None:
            found.append(Case.case_type_id == self.case_type_id)
        found += [custom_field_condition(key, value) for key, value in self.custom_fields]
        return found


MAX_CUSTOM_FIELD_FILTERS = 20


def custom_field_condition(key: str, value: str) -> ColumnElement[bool]:
    """`custom_fields @> {key: value}` (the GIN index answers it); text that reads as a
    number also matches the stored JSON number (stored numbers are below 10^15)."""
    candidates: list[Any] = [value]
    try:
        number = json_number(Decimal(value.strip()))
    except InvalidOperation:
        number = None
    if number is not None:
        candidates.append(number)
    return or_(*(Case.custom_fields.contains({key: c}) for c in candidates))


def viewer_flags(
    case_filter: CaseFilter, principal: Principal
) -> list[tuple[ColumnElement[bool], bool]]:
    """The given dashboard flags as (condition, wanted) pairs; each condition is never
    NULL, so its negation selects exactly the other cases."""
    flags = [
        (case_filter.my_tasks, my_tasks),
        (case_filter.action_required, action_required),
        (case_filter.has_external_case_handler, lambda _: has_external_case_handler()),
        (case_filter.external_case_handler_is_me, external_case_handler_is_me),
        (case_filter.unread_customer_messages, lambda _: unread_customer_messages()),
    ]
    return [(build(principal), wanted) for wanted, build in flags if wanted is not None]


def _responsible(
    kind: TaskKind, user_ids: tuple[int, ...], principal: Principal
) -> ColumnElement[bool]:
    return exists().where(
        Task.case_id == Case.id,
        Task.kind == kind,
        Task.responsible_id.in_(user_ids),
        _tasks_visible_in_full(principal),
    )


def _tasks_visible_in_full(principal: Principal) -> ColumnElement[bool]:
    """Tasks whose responsible person the viewer may know: all for the insurer's side, a
    partner's own offices' otherwise (the `ownTaskDetail` rule): filtering by a person
    must not reveal who works on another company's task."""
    if principal.acts_as_insurer:
        return true()
    return Task.office_id.in_(_viewer_offices(principal))


def _viewer_offices(principal: Principal) -> Any:
    """The offices a partner principal works for (as permissions.scopes): a partner
    user's office, or every office of a partner company's API key; none otherwise."""
    if principal.role is Role.PARTNER:
        return [principal.office_id] if principal.office_id is not None else []
    if principal.role is Role.INTEGRATION and principal.partner_integration:
        return select(Office.id).where(Office.company_id == principal.company_id).scalar_subquery()
    return []


def _is_me(column: Any, principal: Principal) -> ColumnElement[bool]:
    if principal.user_id is None:
        return false()
    return and_(column.is_not(None), column == principal.user_id)


def my_tasks(principal: Principal) -> ColumnElement[bool]:
    """ "My tasks": the viewer is responsible for an unfinished task (new, assigned or
    started), or, for partners, their office (an API key's: its company's offices)
    holds one."""
    holds = [_is_me(Task.responsible_id, principal)]
    offices = _viewer_offices(principal)
    if not isinstance(offices, list) or offices:
        holds.append(Task.office_id.in_(offices))
    # One comparison per status, not IN: the compiled path renders this with the
    # principal's ids as parameters, where an expanding IN cannot be rendered.
    unfinished = or_(*(Task.status == status for status in _UNFINISHED))
    return exists().where(Task.case_id == Case.id, unfinished, or_(*holds))


def action_required(principal: Principal) -> ColumnElement[bool]:
    """ "Action required", for the viewer's side of the case:
    - the insurer (staff, its API keys) and the case's external case handler: customer
      messages or uploads not yet marked read, a task completed and awaiting approval, or
      a budget submitted and awaiting a decision;
    - a partner office: a task of the office still new, waiting to be taken on."""
    decides = or_(
        Case.customer_activity_at.is_not(None),
        exists().where(Task.case_id == Case.id, Task.status == TaskStatus.COMPLETED),
        exists().where(Budget.case_id == Case.id, Budget.status == BudgetStatus.SUBMITTED),
    )
    if principal.acts_as_insurer:
        return decides
    if principal.role is Role.CUSTOMER:
        return false()
    offices = _viewer_offices(principal)
    new_task = exists().where(
        Task.case_id == Case.id, Task.status == TaskStatus.NEW, Task.office_id.in_(offices)
    )
    return or_(and_(external_case_handler_is_me(principal), decides), new_task)


def has_external_case_handler() -> ColumnElement[bool]:
    """An office holds the role, whether or not it has named the person yet."""
    return or_(
        Case.external_case_handler_office_id.is_not(None),
        Case.external_case_handler_id.is_not(None),
    )


def external_case_handler_is_me(principal: Principal) -> ColumnElement[bool]:
    return _is_me(Case.external_case_handler_id, principal)


def unread_customer_messages() -> ColumnElement[bool]:
    """A message from the customer not yet read by the insurer's side."""
    return exists().where(
        Message.case_id == Case.id,
        Message.direction == MessageDirection.FROM_CUSTOMER,
        Message.read_at.is_(None),
    )


def decode_ids(global_ids: Any, type_name: str, name: str) -> tuple[int, ...]:
    """Row ids of a list filter's global ids, each of `type_name`; at most MAX_FILTER_IDS."""
    if not global_ids:
        return ()
    if len(global_ids) > MAX_FILTER_IDS:
        raise bad_input(f"'{name}' takes at most {MAX_FILTER_IDS} ids.", name)
    return tuple(dict.fromkeys(decode_typed_id(i, type_name, name) for i in global_ids))


def search_pattern(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere, with the wildcards in it escaped."""
    storable(text, "search")  # PostgreSQL text cannot hold NUL or a lone surrogate
    escaped = text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    return f"%{escaped}%"


@dataclass(slots=True)
class CasePage:
    rows: list[tuple[str, Any]]  # (cursor, row)
    has_next: bool
    has_previous: bool
    count: Callable[[], Awaitable[int]] = field(repr=False)


def _sort_key(order: CaseOrderField) -> list[Any]:
    """The columns a case list sorts by, the id last to break ties. Case numbers sort as
    numbers within a prefix (2026-100000 after 2026-99999): by length, then text."""
    if order is CaseOrderField.NUMBER:
        return [func.length(Case.number), Case.number, Case.id]
    if order is CaseOrderField.STATUS:
        return [status_rank(), Case.id]
    return [getattr(Case, order.value), Case.id]


def status_rank() -> ColumnElement[int]:
    return case(*((Case.status == s, r) for s, r in STATUS_RANK.items() if r), else_=0)


def _cursor(order: CaseOrderField, row: Any) -> str:
    """'<field>|<value>|<id>'; timestamps as epoch microseconds, so SQL can build it too."""
    value = getattr(row, order.value)
    if order is CaseOrderField.STATUS:
        value = STATUS_RANK[CaseStatus(value)]
    if isinstance(value, dt.datetime):
        value = (value - EPOCH) // dt.timedelta(microseconds=1)
    return encode_cursor(f"{order.value}|{value}|{row.id}")


def decode_case_cursor(cursor: str, order: CaseOrderField, name: str) -> list[Any]:
    """The sort key values a cursor stands for, in `_sort_key` order."""
    field_name, _, rest = decode_cursor(cursor, name).partition("|")
    value, _, row_id = rest.rpartition("|")
    valid_id = row_id.isascii() and row_id.isdigit() and len(row_id) <= 18
    if field_name != order.value or not valid_id or not value.isprintable():
        raise bad_input(f"'{name}' is not a cursor for this ordering.", name)
    if order is CaseOrderField.NUMBER:
        return [len(value), value, int(row_id)]
    if order is CaseOrderField.STATUS:
        if value not in {str(r) for r in STATUS_RANK.values()}:
            raise bad_input(f"'{name}' is not a cursor for this ordering.", name)
        return [int(value), int(row_id)]
    try:
        micros = int(value)
        return [EPOCH + dt.timedelta(microseconds=micros), int(row_id)]
    except (ValueError, OverflowError) as exc:
        raise bad_input(f"'{name}' is not a cursor for this ordering.", name) from exc


async def list_cases(
    *,
    engine: AsyncEngine,
    principal: Principal,
    case_filter: CaseFilter,
    order: CaseOrderField,
    descending: bool,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> CasePage:
    if principal.role is Role.CUSTOMER and (insider := case_filter.insider_filters()):
        raise forbidden(
            "Customers filter their case list by status, damage type, text and creation "
            f"date only, not by {', '.join(insider)}."
        )
    args = PageArgs.parse(first, None, last, None)  # validates the page size
    from_end = args.from_end
    where = [scopes.visible_cases(principal), *case_filter.conditions(principal)]
    key = tuple_(*_sort_key(order))
    # "after" moves along the order, "before" against it.
    if after:
        values = tuple_(*decode_case_cursor(after, order, "after"))
        where.append(key < values if descending else key > values)
    if before:
        values = tuple_(*decode_case_cursor(before, order, "before"))
        where.append(key > values if descending else key < values)
    walk_descending = descending != from_end
    columns = _sort_key(order)
    ordering = [c.desc() if walk_descending else c.asc() for c in columns]
    stmt = select(*Case.__table__.c).where(and_(*where)).order_by(*ordering).limit(args.limit + 1)
    async with engine.connect() as conn:
        rows = list((await conn.execute(stmt)).all())
    more = len(rows) > args.limit
    rows = rows[: args.limit]
    if from_end:
        rows.reverse()
    cursor_rows = [(_cursor(order, row), row) for row in rows]

    async def count() -> int:
        count_where = [scopes.visible_cases(principal), *case_filter.conditions(principal)]
        async with engine.connect() as conn:
            stmt = select(func.count()).select_from(Case).where(*count_where)
            return int((await conn.execute(stmt)).scalar_one())

    # A cursor given on one side proves there are cases on that side.
    return CasePage(
        cursor_rows,
        has_next=(more and not from_end) or bool(before),
        has_previous=(more and from_end) or bool(after),
        count=count,
    )
