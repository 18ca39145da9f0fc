"""Case types, defined by company admins; the custom field value input cases take."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.services import case_types
from resolvers.services.custom_fields import FieldValue
from schema.enums import TaskKind
from schema.mutations.runner import UserError, run_mutation
from schema.node import decode_typed_id
from schema.types.case_type import CaseType, CustomFieldKind
from schema.types.loading import load_one

ERRORS_HELP = "Why nothing was changed; empty on success."


@strawberry.input(description="A custom field's value: text, parsed by the field's kind.")
class CustomFieldValueInput:
    key: str = strawberry.field(description="The field's key (`CaseTypeField.key`).")
    value: str | None = strawberry.field(
        default=None,
        description="TEXT: any text; NUMBER: a decimal number (e.g. '12.5'); DATE: "
        "YYYY-MM-DD; CHOICE: one of the options exactly. Null or blank clears the value.",
    )


def field_values(given: list[CustomFieldValueInput] | None) -> list[FieldValue] | None:
    return None if given is None else [FieldValue(v.key, v.value) for v in given]


@strawberry.input(description="A custom field of a case type.")
class CaseTypeFieldInput:
    key: str = strawberry.field(
        description="Stable key: a lowercase letter, then up to 63 letters, digits or "
        "underscores; unique in the type."
    )
    label: str = strawberry.field(description="What the field is called in forms.")
    kind: CustomFieldKind = strawberry.field(  # type: ignore[valid-type]
        description="What the field holds; fixed once cases have a value for the key."
    )
    options: list[str] = strawberry.field(
        default_factory=list,
        description="CHOICE only: at least one, distinct; options chosen on cases stay.",
    )
    required: bool = strawberry.field(default=False, description="Cases need a value.")
    visible_to_customer: bool = strawberry.field(
        default=False, description="Customers see it, and reporters fill it."
    )


@strawberry.input(description="A task every new case of the type opens with.")
class CaseTypeTaskTemplateInput:
    kind: TaskKind = strawberry.field(description="The task's kind.")
    title: str = strawberry.field(description="The task's title.")
    description: str | None = strawberry.field(default=None, description="Its description.")
    office_id: strawberry.ID | None = strawberry.field(
        default=None, description="Assign it to this office (if it takes new tasks then)."
    )
    start_after_days: int | None = strawberry.field(
        default=None, description="Scheduled start, 0–3650 days after the case is opened."
    )


def _fields(given: list[CaseTypeFieldInput] | None) -> list[case_types.FieldData] | None:
    if given is None:
        return None
    return [
        case_types.FieldData(
            key=f.key,
            label=f.label,
            kind=f.kind,
            options=list(f.options),
            required=f.required,
            visible_to_customer=f.visible_to_customer,
        )
        for f in given
    ]


def _templates(
    given: list[CaseTypeTaskTemplateInput] | None,
) -> list[case_types.TemplateData] | None:
    if given is None:
        return None
    return [
        case_types.TemplateData(
            kind=t.kind,
            title=t.title,
            description=t.description,
            office_id=decode_typed_id(t.office_id, "Office", f"taskTemplates.{i}.officeId")
            if t.office_id
            else None,
            start_after_days=t.start_after_days,
        )
        for i, t in enumerate(given)
    ]


@strawberry.input(description="A new case type.")
class CaseTypeCreateInput:
    name: str = strawberry.field(description="Name, unique in the portal (100 characters).")
    description: str | None = strawberry.field(default=None, description="What it is for.")
    customer_reporting: bool = strawberry.field(
        default=False, description="Signed-in customers may report cases of it."
    )
    public_reporting: bool = strawberry.field(
        default=False, description="Anyone with its public id may report cases of it."
    )
    default_priority_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Priority new cases get (a `Priority` id of the portal, as `priorities` "
        "lists them).",
    )
    default_deadline_days: int | None = strawberry.field(
        default=None, description="New cases are due this many days (0–3650) after opening."
    )
    default_case_handler_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff user handling new cases when none is named."
    )
    active: bool = strawberry.field(default=True, description="Usable for new cases.")
    fields: list[CaseTypeFieldInput] = strawberry.field(
        default_factory=list, description="Custom fields, in order (at most 50)."
    )
    task_templates: list[CaseTypeTaskTemplateInput] = strawberry.field(
        default_factory=list, description="Tasks new cases open with, in order (at most 20)."
    )


@strawberry.input(
    description="Changes to a case type; omitted fields stay. A given `fields` or "
    "`taskTemplates` list replaces the stored one as a whole (fields match by key)."
)
class CaseTypeUpdateInput:
    case_type_id: strawberry.ID = strawberry.field(description="The case type.")
    name: str | None = strawberry.field(default=None, description="New name.")
    description: str | None = strawberry.field(default=None, description="New description.")
    customer_reporting: bool | None = strawberry.field(
        default=None, description="Open or close it to customers' reports."
    )
    public_reporting: bool | None = strawberry.field(
        default=None, description="Open or close it to anonymous reports."
    )
    default_priority_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="New default priority; null clears it."
    )
    default_deadline_days: int | None = strawberry.field(
        default=strawberry.UNSET, description="New deadline in days; null clears it."
    )
    default_case_handler_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="New default case handler; null clears it."
    )
    active: bool | None = strawberry.field(default=None, description="Usable for new cases.")
    fields: list[CaseTypeFieldInput] | None = strawberry.field(
        default=None,
        description="All custom fields, replacing the stored ones. A key with values on "
        "cases keeps its kind, cannot be removed, and keeps the options chosen on cases "
        "(else BAD_USER_INPUT naming the field).",
    )
    task_templates: list[CaseTypeTaskTemplateInput] | None = strawberry.field(
        default=None, description="All task templates, replacing the stored ones."
    )
    new_public_id: bool = strawberry.field(
        default=False, description="Issue a new public id; the old one stops working."
    )


def _id(given: Any, type_name: str, name: str) -> int | None:
    return decode_typed_id(given, type_name, name) if given else None


def _create_data(input: CaseTypeCreateInput) -> case_types.CaseTypeData:
    return case_types.CaseTypeData(
        name=input.name,
        description=input.description,
        customer_reporting=input.customer_reporting,
        public_reporting=input.public_reporting,
        default_priority_id=_id(input.default_priority_id, "Priority", "defaultPriorityId"),
        default_deadline_days=input.default_deadline_days,
        default_case_handler_id=_id(input.default_case_handler_id, "User", "defaultCaseHandlerId"),
        active=input.active,
        fields=_fields(input.fields),
        task_templates=_templates(input.task_templates),
    )


def _maybe(given: Any, decode: Any) -> tuple[Any, bool]:
    """(value, clear) of an optional setting: omitted keeps it, null clears it."""
    if given is strawberry.UNSET:
        return None, False
    if given is None:
        return None, True
    return decode(given), False


def _update_data(input: CaseTypeUpdateInput) -> case_types.CaseTypeData:
    priority, no_priority = _maybe(
        input.default_priority_id, lambda g: _id(g, "Priority", "defaultPriorityId")
    )
    days, no_days = _maybe(input.default_deadline_days, int)
    handler, no_handler = _maybe(
        input.default_case_handler_id, lambda g: _id(g, "User", "defaultCaseHandlerId")
    )
    return case_types.CaseTypeData(
        name=input.name,
        description=input.description,
        customer_reporting=input.customer_reporting,
        public_reporting=input.public_reporting,
        default_priority_id=priority,
        clear_default_priority=no_priority,
        default_deadline_days=days,
        clear_default_deadline=no_days,
        default_case_handler_id=handler,
        clear_default_case_handler=no_handler,
        active=input.active,
        fields=_fields(input.fields),
        task_templates=_templates(input.task_templates),
        new_public_id=input.new_public_id,
    )


@strawberry.type(description="Result of defining or changing a case type.")
class CaseTypePayload:
    case_type_id: strawberry.Private[int | None]
    errors: list[UserError] = strawberry.field(description=ERRORS_HELP)

    @strawberry.field(description="The case type after the change; null if it failed.")
    async def case_type(self, info: strawberry.Info) -> CaseType | None:
        return await load_one(info, "case_type_by_id", self.case_type_id, CaseType)


async def case_type_create(info: strawberry.Info, input: CaseTypeCreateInput) -> CaseTypePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await case_types.create_case_type(
            session=session, actor=actor, data=_create_data(input)
        )

    outcome = await run_mutation(info, work)
    return CaseTypePayload(
        case_type_id=outcome.value.id if outcome.value else None, errors=outcome.errors
    )


async def case_type_update(info: strawberry.Info, input: CaseTypeUpdateInput) -> CaseTypePayload:
    async def work(session, outbox, actor):  # type: ignore[no-untyped-def]
        return await case_types.update_case_type(
            session=session,
            actor=actor,
            case_type_id=decode_typed_id(input.case_type_id, "CaseType", "caseTypeId"),
            data=_update_data(input),
        )

    outcome = await run_mutation(info, work)
    return CaseTypePayload(
        case_type_id=outcome.value.id if outcome.value else None, errors=outcome.errors
    )
