"""A case's type and custom field values: validation against the type's definitions,
what a new case of a type lands with, and the tasks its template opens.

Values come in as text (`{key, value}`) and are stored normalised in `cases.custom_fields`
(JSONB): TEXT and CHOICE as strings, NUMBER as a JSON number, DATE as ISO text
(YYYY-MM-DD). A null or blank value clears the key. Every error names
`customFields.<key>` (or `caseTypeId`), and nothing is stored.

Reporters (origin CUSTOMER or PUBLIC) fill only the fields visible to customers: a hidden
field is an unknown key to them, and a hidden required field is left for staff (the
next update of the case's values must fill it: required stays required).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from permissions.principal import Principal, Role
from resolvers.services.common import storable, text, unstorable
from resolvers.services.outbox import Outbox
from server.db.casework import CasePriority, CaseType, CaseTypeField, CaseTypeTaskTemplate
from server.db.enums import CaseOrigin, CustomFieldKind
from server.db.models import Case, Office, User
from server.errors import bad_input

MAX_TEXT = 2000
MAX_DIGITS = 15  # integral digits: below 10^15, exact as a JSON number in every client
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REPORTERS = (CaseOrigin.CUSTOMER, CaseOrigin.PUBLIC)


@dataclass(frozen=True, slots=True)
class FieldValue:
    """One value as a client gives it; `value` None (or blank) clears the key."""

    key: str
    value: str | None


def _where(key: str) -> str:
    return f"customFields.{key[:64]}"


def normalise(definition: Any, raw: str) -> Any:
    """The stored form of `raw` for the field, or BAD_USER_INPUT naming it."""
    at = _where(definition.key)
    label = definition.label
    match definition.kind:
        case CustomFieldKind.TEXT:
            return text(raw, at, max_length=MAX_TEXT)
        case CustomFieldKind.NUMBER:
            try:
                number = Decimal(raw.strip())
            except InvalidOperation as exc:
                raise bad_input(f"'{label}' must be a number.", at) from exc
            stored = json_number(number)
            if stored is None:
                raise bad_input(f"'{label}' must be a number below 10^15.", at)
            return stored
        case CustomFieldKind.DATE:
            value = raw.strip()
            try:
                if not DATE_PATTERN.match(value):
                    raise ValueError(value)
                return dt.date.fromisoformat(value).isoformat()
            except ValueError as exc:
                raise bad_input(f"'{label}' must be a date as YYYY-MM-DD.", at) from exc
        case CustomFieldKind.CHOICE:
            if raw not in (definition.options or []):
                raise bad_input(f"'{raw[:200]}' is not an option of '{label}'.", at)
            return raw
    raise bad_input(f"'{label}' has an unknown kind.", at)  # pragma: no cover


def json_number(number: Decimal) -> int | float | None:
    """The stored (JSON) form of a number below 10^15 in size: an int when integral; None
    for anything else. The size is read from the exponent first, so "1e9999999999" is
    refused without arithmetic on it (which would overflow, or build a huge integer)."""
    if not number.is_finite():
        return None
    if number.is_zero():
        return 0
    if number.adjusted() >= MAX_DIGITS:
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def render(stored: Any) -> str | None:
    """A stored value as the text clients read (and may give back)."""
    return None if stored is None else str(stored)


def validate_values(
    definitions: Sequence[Any],
    current: dict[str, Any],
    given: Sequence[FieldValue],
    *,
    reporter: bool = False,
) -> dict[str, Any]:
    """The case's values after applying `given` to `current`, checked as a whole: every
    given key must be a field (visible to customers, for reporters), every required field
    must have a value. Values of keys the type no longer defines are dropped."""
    defined = {d.key: d for d in definitions}
    fillable = {k: d for k, d in defined.items() if not reporter or d.visible_to_customer}
    result = {k: v for k, v in current.items() if k in defined}
    seen: set[str] = set()
    for item in given:
        if unstorable(item.key) is not None:
            raise bad_input(
                "A custom field key must not contain NUL or unpaired surrogate characters.",
                "customFields",
            )
        if item.value is not None:
            storable(item.value, _where(item.key))
        if item.key in seen:
            raise bad_input(f"The key '{item.key[:64]}' is given twice.", _where(item.key))
        seen.add(item.key)
        definition = fillable.get(item.key)
        if definition is None:
            raise bad_input(
                f"The case type has no custom field '{item.key[:64]}'.", _where(item.key)
            )
        if item.value is None or not item.value.strip():
            result.pop(item.key, None)
        else:
            result[item.key] = normalise(definition, item.value)
    for definition in definitions:
        if reporter and not definition.visible_to_customer:
            continue
        if definition.required and definition.key not in result:
            raise bad_input(f"'{definition.label}' is required.", _where(definition.key))
    return result


async def definitions_of(session: AsyncSession, case_type_id: int) -> list[CaseTypeField]:
    stmt = (
        select(CaseTypeField)
        .where(CaseTypeField.case_type_id == case_type_id)
        .order_by(CaseTypeField.position, CaseTypeField.id)
    )
    return list((await session.execute(stmt)).scalars())


async def active_type(session: AsyncSession, insurer_id: int, case_type_id: int) -> CaseType:
    case_type = await session.get(CaseType, case_type_id)
    if case_type is None or case_type.insurer_id != insurer_id or not case_type.active:
        raise bad_input("No active case type with that id.", "caseTypeId")
    return case_type


def server_actor(insurer_id: int) -> Principal:
    """The portal itself, acting for configuration (a type's template, a reporter's case):
    feed entries it writes name no person."""
    return Principal(role=Role.STAFF, insurer_id=insurer_id)


async def on_case_created(
    *,
    session: AsyncSession,
    outbox: Outbox,
    case: Case,
    case_type_id: int | None,
    values: Sequence[FieldValue] | None,
    origin: CaseOrigin | None,
    handler_given: bool,
) -> None:
    """Called once by cases.create_case (the case is flushed): its origin, type and
    values, the type's defaults where the input named none, and the template's tasks,
    all in the caller's transaction."""
    if origin is not None:
        case.origin = origin
    if case_type_id is None:
        if values:
            raise bad_input("Custom fields need a case type: give 'caseTypeId'.", "customFields")
        return
    case_type = await active_type(session, case.insurer_id, case_type_id)
    definitions = await definitions_of(session, case_type.id)
    case.case_type_id = case_type.id
    case.custom_fields = validate_values(
        definitions, {}, values or (), reporter=origin in REPORTERS
    )
    # A default deactivated since the type was saved is skipped: the case keeps the
    # portal's default priority (sla.start_case) and has no handler yet.
    if case_type.default_priority_id is not None:
        priority = await session.get(CasePriority, case_type.default_priority_id)
        if priority is not None and priority.active:
            case.priority_id = priority.id
    if case_type.default_deadline_days is not None:
        case.deadline = func.now() + dt.timedelta(days=case_type.default_deadline_days)
    if not handler_given and case_type.default_case_handler_id is not None:
        handler = await session.get(User, case_type.default_case_handler_id)
        if handler is not None and handler.active:
            case.case_handler_id = handler.id
    await session.flush()
    await _open_template_tasks(session, outbox, case, case_type)


async def _open_template_tasks(
    session: AsyncSession, outbox: Outbox, case: Case, case_type: CaseType
) -> None:
    """The template's tasks, through the task service (its NEW_TASKS_ADDED entry, and the
    office's assignment and email when the template names an office taking tasks)."""
    stmt = (
        select(CaseTypeTaskTemplate)
        .where(CaseTypeTaskTemplate.case_type_id == case_type.id)
        .order_by(CaseTypeTaskTemplate.position, CaseTypeTaskTemplate.id)
    )
    # Imported here: the task service imports the case service, which calls this module.
    from resolvers.services import tasks

    actor = server_actor(case.insurer_id)
    for template in (await session.execute(stmt)).scalars():
        task = await tasks.add_task(
            session=session,
            outbox=outbox,
            actor=actor,
            case_id=case.id,
            kind=template.kind,
            title=template.title,
            description=template.description,
        )
        if template.start_after_days is not None:
            task.scheduled_start = func.now() + dt.timedelta(days=template.start_after_days)
        if template.office_id is not None:
            office = await session.get(Office, template.office_id)
            if office is not None and office.available_for_new_tasks:
                await tasks.assign_office(
                    session=session,
                    outbox=outbox,
                    actor=actor,
                    task_id=task.id,
                    office_id=office.id,
                )


async def changes_for_update(
    *,
    session: AsyncSession,
    case: Case,
    case_type_id: int | None,
    values: Sequence[FieldValue] | None,
) -> dict[str, Any]:
    """The case's new `case_type_id` / `custom_fields` for update_case (only what changes
    is applied there). The given values replace those keys; the result is validated as a
    whole against the (new) type, so a required field stays required."""
    if case_type_id is None and values is None:
        return {}
    type_id = case_type_id if case_type_id is not None else case.case_type_id
    if type_id is None:
        raise bad_input("The case has no case type: give 'caseTypeId'.", "customFields")
    if case_type_id is not None and case_type_id != case.case_type_id:
        await active_type(session, case.insurer_id, case_type_id)
    definitions = await definitions_of(session, type_id)
    current = dict(case.custom_fields or {})
    return {
        "case_type_id": type_id,
        "custom_fields": validate_values(definitions, current, values or ()),
    }
