"""Case types: an insurer's admin defines them with their custom fields and task template.

`fields` and `task_templates` are set as whole lists: on update a given list replaces the
stored one (omitted: unchanged). Fields are matched by `key`, so a field keeps its values
on existing cases; once a key has values on cases of the type it may not change kind or
be removed, and a CHOICE option in use may not be dropped (the values would no longer
validate). Every change is written to the event log in the same transaction.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from permissions import rules
from permissions.principal import Principal
from resolvers.services import event_log
from resolvers.services.common import require, text
from server.db.casework import CasePriority, CaseType, CaseTypeField, CaseTypeTaskTemplate
from server.db.enums import CustomFieldKind, TaskKind, UserKind
from server.db.models import Case, Office, User
from server.errors import bad_input, not_found

ADMINS = "Only company admins (authority level 6) configure case types."
KEY_PATTERN = re.compile(r"^[a-z][a-zA-Z0-9_]{0,63}$")
MAX_FIELDS = 50
MAX_OPTIONS = 100
MAX_TEMPLATES = 20
MAX_DAYS = 3650


@dataclass(frozen=True, slots=True)
class FieldData:
    key: str
    label: str
    kind: CustomFieldKind
    options: list[str] = field(default_factory=list)
    required: bool = False
    visible_to_customer: bool = False


@dataclass(frozen=True, slots=True)
class TemplateData:
    kind: TaskKind
    title: str
    description: str | None = None
    office_id: int | None = None
    start_after_days: int | None = None


@dataclass(slots=True)
class CaseTypeData:
    """A case type as given by a client; None means 'not given' (update keeps it)."""

    name: str | None = None
    description: str | None = None
    customer_reporting: bool | None = None
    public_reporting: bool | None = None
    default_priority_id: int | None = None
    clear_default_priority: bool = False
    default_deadline_days: int | None = None
    clear_default_deadline: bool = False
    default_case_handler_id: int | None = None
    clear_default_case_handler: bool = False
    active: bool | None = None
    fields: list[FieldData] | None = None
    task_templates: list[TemplateData] | None = None
    new_public_id: bool = False


def _require_admin(actor: Principal) -> None:
    require(rules.can_define_ech_role(actor), ADMINS)


def new_public_id() -> str:
    """Unguessable, URL-safe, 24 characters: what an anonymous reporter's form carries."""
    return secrets.token_urlsafe(18)


def _check_fields(given: list[FieldData]) -> list[FieldData]:
    """The definitions, validated and trimmed; errors name `fields.<index>.<what>`."""
    if len(given) > MAX_FIELDS:
        raise bad_input(f"A case type has at most {MAX_FIELDS} custom fields.", "fields")
    seen: set[str] = set()
    checked = []
    for index, item in enumerate(given):
        at = f"fields.{index}"
        if not KEY_PATTERN.match(item.key):
            raise bad_input(
                "A field key starts with a lowercase letter and has at most 64 letters, "
                "digits or underscores.",
                f"{at}.key",
            )
        if item.key in seen:
            raise bad_input(f"The key '{item.key}' is used twice.", f"{at}.key")
        seen.add(item.key)
        label = text(item.label, f"{at}.label", max_length=200)
        options = [text(o, f"{at}.options", max_length=200) or "" for o in item.options]
        if item.kind is CustomFieldKind.CHOICE:
            if not options:
                raise bad_input("A CHOICE field needs at least one option.", f"{at}.options")
            if len(set(options)) != len(options):
                raise bad_input("The options must be distinct.", f"{at}.options")
            if len(options) > MAX_OPTIONS:
                raise bad_input(f"At most {MAX_OPTIONS} options.", f"{at}.options")
        elif options:
            raise bad_input("Only CHOICE fields have options.", f"{at}.options")
        checked.append(
            FieldData(
                key=item.key,
                label=label or "",
                kind=item.kind,
                options=options,
                required=item.required,
                visible_to_customer=item.visible_to_customer,
            )
        )
    return checked


def _days(value: int | None, name: str) -> int | None:
    if value is not None and not 0 <= value <= MAX_DAYS:
        raise bad_input(f"'{name}' must be between 0 and {MAX_DAYS} days.", name)
    return value


async def _check_templates(
    session: AsyncSession, insurer_id: int, given: list[TemplateData]
) -> list[TemplateData]:
    if len(given) > MAX_TEMPLATES:
        raise bad_input(f"A case type opens at most {MAX_TEMPLATES} tasks.", "taskTemplates")
    checked = []
    for index, item in enumerate(given):
        at = f"taskTemplates.{index}"
        if item.office_id is not None:
            office = await session.get(Office, item.office_id)
            if office is None or office.insurer_id != insurer_id:
                raise bad_input("No office with that id in your portal.", f"{at}.officeId")
        checked.append(
            TemplateData(
                kind=item.kind,
                title=text(item.title, f"{at}.title", max_length=200) or "",
                description=text(
                    item.description, f"{at}.description", max_length=10_000, required=False
                ),
                office_id=item.office_id,
                start_after_days=_days(item.start_after_days, f"{at}.startAfterDays"),
            )
        )
    return checked


async def _check_references(session: AsyncSession, insurer_id: int, data: CaseTypeData) -> None:
    """The given defaults must be usable now: an active priority, an active staff user.
    (One deactivated later is skipped when a case is created: custom_fields.)"""
    if data.default_priority_id is not None:
        priority = await session.get(CasePriority, data.default_priority_id)
        if priority is None or priority.insurer_id != insurer_id:
            raise bad_input("No priority with that id in your portal.", "defaultPriorityId")
        if not priority.active:
            raise bad_input("The priority is not active.", "defaultPriorityId")
    if data.default_case_handler_id is not None:
        user = await session.get(User, data.default_case_handler_id)
        if user is None or user.insurer_id != insurer_id or user.kind is not UserKind.STAFF:
            raise bad_input(
                "The default case handler must be a staff user of the insurer.",
                "defaultCaseHandlerId",
            )
        if not user.active:
            raise bad_input("The default case handler is deactivated.", "defaultCaseHandlerId")
    _days(data.default_deadline_days, "defaultDeadlineDays")


async def _check_name(
    session: AsyncSession, insurer_id: int, name: str, own_id: int | None
) -> None:
    stmt = select(CaseType.id).where(CaseType.insurer_id == insurer_id, CaseType.name == name)
    if own_id is not None:
        stmt = stmt.where(CaseType.id != own_id)
    if (await session.execute(stmt.limit(1))).first() is not None:
        raise bad_input(f"A case type named '{name}' exists already.", "name")


async def _flush_name(session: AsyncSession, name: str) -> None:
    """Write the type; a name taken meanwhile by a concurrent request (the unique index
    decides what `_check_name` could not) is the same BAD_USER_INPUT, and the mutation
    rolls back as for any user error."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        if "uq_case_types_name" not in str(exc.orig):
            raise
        raise bad_input(f"A case type named '{name}' exists already.", "name") from exc


async def snapshot(session: AsyncSession, case_type: CaseType) -> dict[str, Any]:
    """What the event log keeps of a case type (before and after a change)."""
    fields = (
        await session.execute(
            select(CaseTypeField)
            .where(CaseTypeField.case_type_id == case_type.id)
            .order_by(CaseTypeField.position, CaseTypeField.id)
        )
    ).scalars()
    templates = (
        await session.execute(
            select(CaseTypeTaskTemplate)
            .where(CaseTypeTaskTemplate.case_type_id == case_type.id)
            .order_by(CaseTypeTaskTemplate.position, CaseTypeTaskTemplate.id)
        )
    ).scalars()
    return {
        "name": case_type.name,
        "description": case_type.description,
        "customerReporting": case_type.customer_reporting,
        "publicReporting": case_type.public_reporting,
        "defaultPriorityId": case_type.default_priority_id,
        "defaultDeadlineDays": case_type.default_deadline_days,
        "defaultCaseHandlerId": case_type.default_case_handler_id,
        "active": case_type.active,
        "fields": [
            {
                "key": f.key,
                "label": f.label,
                "kind": f.kind,
                "options": list(f.options or []),
                "required": f.required,
                "visibleToCustomer": f.visible_to_customer,
            }
            for f in fields
        ],
        "taskTemplates": [
            {
                "kind": t.kind,
                "title": t.title,
                "description": t.description,
                "officeId": t.office_id,
                "startAfterDays": t.start_after_days,
            }
            for t in templates
        ],
    }


async def create_case_type(
    *, session: AsyncSession, actor: Principal, data: CaseTypeData
) -> CaseType:
    _require_admin(actor)
    name = text(data.name, "name", max_length=100) or ""
    await _check_name(session, actor.insurer_id, name, None)
    await _check_references(session, actor.insurer_id, data)
    fields = _check_fields(data.fields or [])
    templates = await _check_templates(session, actor.insurer_id, data.task_templates or [])
    case_type = CaseType(
        insurer_id=actor.insurer_id,
        name=name,
        description=text(data.description, "description", max_length=10_000, required=False),
        public_id=new_public_id(),
        customer_reporting=bool(data.customer_reporting),
        public_reporting=bool(data.public_reporting),
        default_priority_id=data.default_priority_id,
        default_deadline_days=data.default_deadline_days,
        default_case_handler_id=data.default_case_handler_id,
        active=True if data.active is None else data.active,
    )
    session.add(case_type)
    await _flush_name(session, name)
    _add_fields(session, case_type, fields)
    _add_templates(session, case_type, templates)
    await session.flush()
    await event_log.record(
        session,
        actor=actor,
        insurer_id=actor.insurer_id,
        action="caseType.create",
        subject_type="CaseType",
        subject_id=case_type.id,
        after=await snapshot(session, case_type),
    )
    return case_type


async def update_case_type(
    *, session: AsyncSession, actor: Principal, case_type_id: int, data: CaseTypeData
) -> CaseType:
    _require_admin(actor)
    case_type = await session.get(CaseType, case_type_id, with_for_update=True)
    if case_type is None or case_type.insurer_id != actor.insurer_id:
        raise not_found("case type")
    before = await snapshot(session, case_type)
    if data.name is not None:
        name = text(data.name, "name", max_length=100) or ""
        await _check_name(session, actor.insurer_id, name, case_type.id)
        case_type.name = name
        await _flush_name(session, name)
    if data.description is not None:
        case_type.description = text(
            data.description, "description", max_length=10_000, required=False
        )
    await _check_references(session, actor.insurer_id, data)
    for flag in ("customer_reporting", "public_reporting", "active"):
        if getattr(data, flag) is not None:
            setattr(case_type, flag, getattr(data, flag))
    defaults = (
        ("default_priority_id", data.clear_default_priority),
        ("default_deadline_days", data.clear_default_deadline),
        ("default_case_handler_id", data.clear_default_case_handler),
    )
    for name, clear in defaults:
        if clear or getattr(data, name) is not None:
            setattr(case_type, name, None if clear else getattr(data, name))
    if data.new_public_id:
        case_type.public_id = new_public_id()
    if data.fields is not None:
        await _replace_fields(session, case_type, _check_fields(data.fields))
    if data.task_templates is not None:
        templates = await _check_templates(session, actor.insurer_id, data.task_templates)
        await session.execute(
            delete(CaseTypeTaskTemplate).where(CaseTypeTaskTemplate.case_type_id == case_type.id)
        )
        _add_templates(session, case_type, templates)
    await session.flush()
    after = await snapshot(session, case_type)
    if data.new_public_id:
        # Logged without the id itself: the entry says the old public form links died.
        after["publicIdRotated"] = True
    if after != before:
        case_type.updated_at = func.now()
        await event_log.record(
            session,
            actor=actor,
            insurer_id=actor.insurer_id,
            action="caseType.update",
            subject_type="CaseType",
            subject_id=case_type.id,
            before=before,
            after=after,
        )
    return case_type


def _add_fields(session: AsyncSession, case_type: CaseType, fields: list[FieldData]) -> None:
    for position, item in enumerate(fields):
        _add_field(session, case_type, item, position)


def _add_templates(
    session: AsyncSession, case_type: CaseType, templates: list[TemplateData]
) -> None:
    for position, item in enumerate(templates):
        session.add(
            CaseTypeTaskTemplate(
                insurer_id=case_type.insurer_id,
                case_type_id=case_type.id,
                kind=item.kind,
                title=item.title,
                description=item.description,
                office_id=item.office_id,
                start_after_days=item.start_after_days,
                position=position,
            )
        )


async def _in_use(session: AsyncSession, case_type_id: int, key: str, value: Any = None) -> bool:
    """Whether a case of the type has a value for `key` (equal to `value`, if given)."""
    condition = (
        Case.custom_fields.has_key(key)
        if value is None
        else Case.custom_fields.contains({key: value})
    )
    stmt = select(Case.id).where(Case.case_type_id == case_type_id, condition).limit(1)
    return (await session.execute(stmt)).first() is not None


async def _replace_fields(
    session: AsyncSession, case_type: CaseType, fields: list[FieldData]
) -> None:
    """The stored fields become `fields`, matched by key (rows of kept keys are updated,
    so nothing about them is lost); refused when values on cases would stop fitting."""
    stored = {
        f.key: f
        for f in (
            await session.execute(
                select(CaseTypeField).where(CaseTypeField.case_type_id == case_type.id)
            )
        ).scalars()
    }
    given = {f.key for f in fields}
    for key in stored:
        if key not in given and await _in_use(session, case_type.id, key):
            raise bad_input(
                f"The field '{key}' has values on cases of this type; it cannot be removed.",
                "fields",
            )
    for index, item in enumerate(fields):
        row = stored.get(item.key)
        if row is None:
            continue
        if row.kind is not item.kind and await _in_use(session, case_type.id, item.key):
            raise bad_input(
                f"The field '{item.key}' has values on cases of this type; its kind stays "
                f"{row.kind.name}.",
                f"fields.{index}.kind",
            )
        for dropped in set(row.options or []) - set(item.options):
            if await _in_use(session, case_type.id, item.key, dropped):
                raise bad_input(
                    f"The option '{dropped}' is chosen on cases of this type; keep it.",
                    f"fields.{index}.options",
                )
    for key, row in stored.items():
        if key not in given:
            await session.delete(row)
    for position, item in enumerate(fields):
        row = stored.get(item.key)
        if row is None:
            _add_field(session, case_type, item, position)
            continue
        row.label, row.kind, row.options = item.label, item.kind, item.options
        row.required, row.visible_to_customer = item.required, item.visible_to_customer
        row.position = position


def _add_field(session: AsyncSession, case_type: CaseType, item: FieldData, position: int) -> None:
    session.add(
        CaseTypeField(
            insurer_id=case_type.insurer_id,
            case_type_id=case_type.id,
            key=item.key,
            label=item.label,
            kind=item.kind,
            options=item.options,
            required=item.required,
            visible_to_customer=item.visible_to_customer,
            position=position,
        )
    )
